package kernels

import "math"

// AttnShape describes grouped-query attention heads. Query head a reads KV head a/(Heads/KVHeads).
type AttnShape struct {
	Heads, KVHeads int
	HeadDim        int // q and k head width
	VDim           int // v head width
}

// Span is a half-open range [Lo, Hi) of cache rows.
type Span struct{ Lo, Hi int }

// Attend computes one query row's attention over the key rows listed in spans (in order):
// out[a] = Σ softmax(q_a·k_j / sqrt(HeadDim)) v_j, for every query head a.
//
//	q: [Heads*HeadDim]  k: [S, KVHeads*HeadDim]  v: [S, KVHeads*VDim]  out: [Heads*VDim]
//
// scores must hold at least as many floats as the spans cover. Softmax and sums are float32,
// accumulated in span order.
func Attend(out, q, k, v []float32, spans []Span, s AttnShape, scores []float32) {
	g := s.Heads / s.KVHeads
	kw, vw := s.KVHeads*s.HeadDim, s.KVHeads*s.VDim
	scale := float32(1 / math.Sqrt(float64(s.HeadDim)))
	for a := 0; a < s.Heads; a++ {
		j := a / g
		qa := q[a*s.HeadDim : (a+1)*s.HeadDim]
		n := 0
		mx := float32(math.Inf(-1))
		for _, sp := range spans {
			for r := sp.Lo; r < sp.Hi; r++ {
				kr := k[r*kw+j*s.HeadDim : r*kw+(j+1)*s.HeadDim]
				sc := dot(qa, kr) * scale
				scores[n] = sc
				if sc > mx {
					mx = sc
				}
				n++
			}
		}
		var sum float32
		for i := 0; i < n; i++ {
			e := float32(math.Exp(float64(scores[i] - mx)))
			scores[i] = e
			sum += e
		}
		oa := out[a*s.VDim : (a+1)*s.VDim]
		clear(oa)
		n = 0
		for _, sp := range spans {
			for r := sp.Lo; r < sp.Hi; r++ {
				p := scores[n] / sum
				vr := v[r*vw+j*s.VDim : r*vw+(j+1)*s.VDim]
				for i, x := range vr {
					oa[i] += p * x
				}
				n++
			}
		}
	}
}
