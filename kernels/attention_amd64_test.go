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
	spans := []Span{{Lo: 0, Hi: c.S}}
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

// TestSoftmaxLaneModel checks the vector softmax bit for bit against its documented structure.
func TestSoftmaxLaneModel(t *testing.T) {
	for _, k := range isas() {
		if k == isaGo {
			continue
		}
		t.Run(k.String(), func(t *testing.T) {
			defer func(old isaKind) { isa = old }(isa)
			isa = k
			for _, n := range []int{1, 7, 16, 33, 300} {
				x := randVec(61, n)
				for i := range x {
					x[i] *= 30 // some scores far below the max underflow to 0
				}
				want := softmaxModel(x)
				softmaxVec(x)
				sameBits(t, name("n=%d", n), x, want)
			}
		})
	}
}

// softmaxModel is the documented vector softmax, exactly.
func softmaxModel(x []float32) []float32 {
	mx := float32(math.Inf(-1))
	for _, v := range x {
		mx = max(mx, v)
	}
	e := make([]float32, len(x))
	var l [16]float32
	for i, v := range x {
		e[i] = expModel(v - mx)
		l[i%16] += e[i]
	}
	for w := 8; w >= 1; w /= 2 {
		for j := 0; j < w; j++ {
			l[j] += l[j+w]
		}
	}
	for i := range e {
		e[i] /= l[0]
	}
	return e
}

// TestAttendISAsAgree checks that the AVX-512 and AVX2 attention give the same bits.
func TestAttendISAsAgree(t *testing.T) {
	if bestISA != isaAVX512 {
		t.Skip("this CPU has no AVX-512; the lane-model tests cover AVX2 alone")
	}
	defer func(old isaKind) { isa = old }(isa)
	for _, c := range attnCases {
		q, k, v := attnData(c, 1)
		spans := []Span{{Lo: 1, Hi: c.S}}
		z, y := make([]float32, c.s.Heads*c.s.VDim), make([]float32, c.s.Heads*c.s.VDim)
		isa = isaAVX512
		Attend(z, q, k, v, spans, c.s, nil)
		isa = isaAVX2
		Attend(y, q, k, v, spans, c.s, nil)
		sameBits(t, name("%+v", c.s), y, z)
	}
}

// TestAttendBF16LaneModel checks the bf16 assembly kernels bit for bit against the documented
// structure on the widened rows: scores laneDot16(q, widen(k))·scale, outputs fused
// multiply-adds of the probabilities over widen(v), including the tails AVX2 copies word by word.
func TestAttendBF16LaneModel(t *testing.T) {
	for _, k := range isas() {
		if k == isaGo {
			continue
		}
		t.Run(k.String(), func(t *testing.T) {
			defer func(old isaKind) { isa = old }(isa)
			isa = k
			for _, c := range bf16Cases {
				checkGroupModel16(t, c)
			}
		})
	}
}

// checkGroupModel16 is checkGroupModel with KV head 0's rows in one bf16 span.
func checkGroupModel16(t *testing.T, c attnCase) {
	t.Helper()
	s := c.s
	g, kw, vw := s.Heads/s.KVHeads, s.KVHeads*s.HeadDim, s.KVHeads*s.VDim
	q, k16, v16, k, v := bf16Data(c, 1)
	spans := []Span{{Lo: 0, Hi: c.S, K16: k16, V16: v16}}
	sc := make([]float32, g*c.S)
	groupScores(q[:g*s.HeadDim], nil, spans, s, 0, c.S, sc)
	scale := float32(1 / math.Sqrt(float64(s.HeadDim)))
	want := make([]float32, len(sc))
	for h := 0; h < g; h++ {
		for r := 0; r < c.S; r++ {
			want[h*c.S+r] = laneDot16(q[h*s.HeadDim:(h+1)*s.HeadDim], k[r*kw:r*kw+s.HeadDim]) * scale
		}
	}
	sameBits(t, name("%+v bf16 scores", s), sc, want)
	o := make([]float32, g*s.VDim)
	groupValues(o, nil, spans, s, 0, c.S, sc)
	wo := make([]float32, len(o))
	for h := 0; h < g; h++ {
		for r := 0; r < c.S; r++ {
			for i := 0; i < s.VDim; i++ {
				wo[h*s.VDim+i] = fma32(sc[h*c.S+r], v[r*vw+i], wo[h*s.VDim+i])
			}
		}
	}
	sameBits(t, name("%+v bf16 values", s), o, wo)
}

// TestAttendBF16ISAsAgree checks that the AVX-512 and AVX2 bf16 attention give the same bits.
func TestAttendBF16ISAsAgree(t *testing.T) {
	if bestISA != isaAVX512 {
		t.Skip("this CPU has no AVX-512; the lane-model tests cover AVX2 alone")
	}
	defer func(old isaKind) { isa = old }(isa)
	for _, c := range bf16Cases {
		q, k16, v16, _, _ := bf16Data(c, 1)
		spans := append([]Span{{Lo: 1, Hi: c.S, K16: k16, V16: v16}}, paged16(k16, v16, c.s, 16, 0, c.S)...)
		z, y := make([]float32, c.s.Heads*c.s.VDim), make([]float32, c.s.Heads*c.s.VDim)
		isa = isaAVX512
		Attend(z, q, nil, nil, spans, c.s, nil)
		isa = isaAVX2
		Attend(y, q, nil, nil, spans, c.s, nil)
		sameBits(t, name("%+v bf16", c.s), y, z)
	}
}
