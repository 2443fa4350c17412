package kernels

import "math"

// AttendRef is the plain reference for Attend: every head on its own, scores, softmax and the
// weighted sum in float64.
func AttendRef(out, q, k, v []float32, spans []Span, s AttnShape) {
	g := s.Heads / s.KVHeads
	kw, vw := s.KVHeads*s.HeadDim, s.KVHeads*s.VDim
	scale := 1 / math.Sqrt(float64(s.HeadDim))
	for a := 0; a < s.Heads; a++ {
		j := a / g
		var sc []float64
		mx := math.Inf(-1)
		for _, sp := range spans {
			for r := sp.Lo; r < sp.Hi; r++ {
				var d float64
				for i := 0; i < s.HeadDim; i++ {
					d += float64(q[a*s.HeadDim+i]) * float64(k[r*kw+j*s.HeadDim+i])
				}
				sc = append(sc, d*scale)
				mx = math.Max(mx, d*scale)
			}
		}
		var sum float64
		for i := range sc {
			sc[i] = math.Exp(sc[i] - mx)
			sum += sc[i]
		}
		o := make([]float64, s.VDim)
		n := 0
		for _, sp := range spans {
			for r := sp.Lo; r < sp.Hi; r++ {
				for i := range o {
					o[i] += sc[n] / sum * float64(v[r*vw+j*s.VDim+i])
				}
				n++
			}
		}
		for i, x := range o {
			out[a*s.VDim+i] = float32(x)
		}
	}
}
