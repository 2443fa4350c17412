//go:build amd64 && !purego

package kernels

import (
	"math"
	"testing"
)

// TestAttendLaneModel checks the assembly scores and value sums bit for bit against their
// documented structure: scores are laneDot16(q, k)·scale, outputs are fused multiply-adds of
// the probabilities over the rows in order.
func TestAttendLaneModel(t *testing.T) {
	for _, k := range isas() {
		if k == isaGo {
			continue
		}
		t.Run(k.String(), func(t *testing.T) {
			defer func(old isaKind) { isa = old }(isa)
			isa = k
			for _, c := range attnCases {
				checkGroupModel(t, c)
			}
		})
	}
}

// checkGroupModel runs KV head 0's group of c over every cache row and checks it.
func checkGroupModel(t *testing.T, c attnCase) {
	t.Helper()
	s := c.s
	g, kw, vw := s.Heads/s.KVHeads, s.KVHeads*s.HeadDim, s.KVHeads*s.VDim
	q, k, v := attnData(c, 1)
	spans := []Span{{0, c.S}}
	sc := make([]float32, g*c.S)
	groupScores(q[:g*s.HeadDim], k, spans, s, 0, c.S, sc)
	scale := float32(1 / math.Sqrt(float64(s.HeadDim)))
	want := make([]float32, len(sc))
	for h := 0; h < g; h++ {
		for r := 0; r < c.S; r++ {
			want[h*c.S+r] = laneDot16(q[h*s.HeadDim:(h+1)*s.HeadDim], k[r*kw:r*kw+s.HeadDim]) * scale
		}
	}
	sameBits(t, name("%+v scores", s), sc, want)
	o := make([]float32, g*s.VDim)
	groupValues(o, v, spans, s, 0, c.S, sc)
	wo := make([]float32, len(o))
	for h := 0; h < g; h++ {
		for r := 0; r < c.S; r++ {
			for i := 0; i < s.VDim; i++ {
				wo[h*s.VDim+i] = fma32(sc[h*c.S+r], v[r*vw+i], wo[h*s.VDim+i])
			}
		}
	}
	sameBits(t, name("%+v values", s), o, wo)
}
