package kernels

import "math"

// AttendRef is the plain reference for Attend: every head on its own, scores, softmax and the
// weighted sum in float64, rows read where each span says (its own float32 or bf16 K/V, or k
// and v).
func AttendRef(out, q, k, v []float32, spans []Span, s AttnShape) {
	g := s.Heads / s.KVHeads
	kw, vw := s.KVHeads*s.HeadDim, s.KVHeads*s.VDim
	scale := 1 / math.Sqrt(float64(s.HeadDim))
	buf := make([]float32, max(s.HeadDim, s.VDim))
	for a := 0; a < s.Heads; a++ {
		j := a / g
		var sc []float64
		mx := math.Inf(-1)
		for x := range spans {
			rs := spans[x].rows(k, v)
			for r := spans[x].Lo; r < spans[x].Hi; r++ {
				var d float64
				for i, kx := range rs.key(r*kw+j*s.HeadDim, s.HeadDim, buf) {
					d += float64(q[a*s.HeadDim+i]) * float64(kx)
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
		for x := range spans {
			rs := spans[x].rows(k, v)
			for r := spans[x].Lo; r < spans[x].Hi; r++ {
				for i, vx := range rs.value(r*vw+j*s.VDim, s.VDim, buf) {
					o[i] += sc[n] / sum * float64(vx)
				}
				n++
			}
		}
		for i, x := range o {
			out[a*s.VDim+i] = float32(x)
		}
	}
}
