//go:build amd64 && !purego

package kernels

import (
	"math"
	"testing"
	"unsafe"
)

// groupCases exercise the grouped kernels: every head count of one pass (1…6) and several
// passes (7 = 4+3, 13 = 5+4+4), key widths of 1 and 4 blocks, value widths with and without
// the last vd mod 16 columns pvAccum adds, and two KV heads so the second group's offsets count.
var groupCases = []attnCase{
	{AttnShape{Heads: 1, KVHeads: 1, HeadDim: 16, VDim: 16}, 9},
	{AttnShape{Heads: 4, KVHeads: 2, HeadDim: 64, VDim: 80}, 21},
	{AttnShape{Heads: 6, KVHeads: 2, HeadDim: 32, VDim: 71}, 18},
	{AttnShape{Heads: 8, KVHeads: 2, HeadDim: 48, VDim: 128}, 19},
	{AttnShape{Heads: 10, KVHeads: 2, HeadDim: 64, VDim: 136}, 17},
	{AttnShape{Heads: 6, KVHeads: 1, HeadDim: 64, VDim: 192}, 33},
	{AttnShape{Heads: 7, KVHeads: 1, HeadDim: 16, VDim: 64}, 12},
	{AttnShape{Heads: 26, KVHeads: 2, HeadDim: 32, VDim: 40}, 11},
	{AttnShape{Heads: 25, KVHeads: 5, HeadDim: 64, VDim: 128}, 20}, // Hymba
}

// TestAttendGroupLaneModel checks the grouped kernels, float32 and bf16 rows, bit for bit
// against the documented lane structure through groupScores and groupValues.
func TestAttendGroupLaneModel(t *testing.T) {
	for _, k := range isas() {
		if k == isaGo {
			continue
		}
		t.Run(k.String(), func(t *testing.T) {
			defer func(old isaKind) { isa = old }(isa)
			isa = k
			for _, c := range groupCases {
				checkGroupModel(t, c)
				checkGroupModel16(t, c)
			}
		})
	}
}

// TestAttendGroupModel checks whole Attend calls against the exact model of every group
// (lane dots, vector softmax, fused value sums), over float32 and bf16 pages of 16 rows and
// one flat span, on both instruction sets.
func TestAttendGroupModel(t *testing.T) {
	for _, k := range isas() {
		if k == isaGo {
			continue
		}
		t.Run(k.String(), func(t *testing.T) {
			defer func(old isaKind) { isa = old }(isa)
			isa = k
			for _, c := range append(groupCases, attnCases...) {
				q, k16, v16, kf, vf := bf16Data(c, 1)
				want := attendModel(q, kf, vf, c)
				got := make([]float32, len(want))
				for what, sp := range map[string][]Span{
					"flat":       {{Lo: 0, Hi: c.S}},
					"f32 pages":  paged(kf, vf, c.s, 16, 0, c.S),
					"bf16 pages": paged16(k16, v16, c.s, 16, 0, c.S),
				} {
					Attend(got, q, kf, vf, sp, c.s, nil)
					sameBits(t, name("%+v %s", c.s, what), got, want)
				}
			}
		})
	}
}

// attendModel is Attend on the amd64 kernels, exactly: each head's scores are
// laneDot16(q, k)·scale over all c.S rows, the vector softmax, then fused multiply-adds of the
// value rows in order.
func attendModel(q, k, v []float32, c attnCase) []float32 {
	s := c.s
	g, kw, vw := s.Heads/s.KVHeads, s.KVHeads*s.HeadDim, s.KVHeads*s.VDim
	scale := float32(1 / math.Sqrt(float64(s.HeadDim)))
	out := make([]float32, s.Heads*s.VDim)
	sc := make([]float32, c.S)
	for a := 0; a < s.Heads; a++ {
		j := a / g
		for r := range sc {
			sc[r] = laneDot16(q[a*s.HeadDim:(a+1)*s.HeadDim], k[r*kw+j*s.HeadDim:r*kw+(j+1)*s.HeadDim]) * scale
		}
		p := softmaxModel(sc)
		o := out[a*s.VDim : (a+1)*s.VDim]
		for r := range p {
			for i := range o {
				o[i] = fma32(p[r], v[r*vw+j*s.VDim+i], o[i])
			}
		}
	}
	return out
}

// TestAttendGroupIsPerHead checks that the grouped kernels give the bits of the per-head
// kernels they replace (qkDots and pvAccum over all heads, widths multiples of 16), float32
// and bf16 rows.
func TestAttendGroupIsPerHead(t *testing.T) {
	for _, k := range isas() {
		if k == isaGo {
			continue
		}
		t.Run(k.String(), func(t *testing.T) {
			defer func(old isaKind) { isa = old }(isa)
			isa = k
			for _, c := range groupCases {
				if c.s.HeadDim%16 == 0 && c.s.VDim%16 == 0 {
					checkPerHead(t, c)
				}
			}
		})
	}
}

// checkPerHead runs KV head 0's group of c through the per-head kernels and through
// groupScores and groupValues, and compares the bits.
func checkPerHead(t *testing.T, c attnCase) {
	t.Helper()
	s := c.s
	g := s.Heads / s.KVHeads
	q, k16, v16, k, v := bf16Data(c, 1)
	for _, bf16 := range []bool{false, true} {
		rs, spans := spanRows{k: k, v: v}, []Span{{Lo: 0, Hi: c.S}}
		if bf16 {
			rs, spans = spanRows{k16: k16, v16: v16}, []Span{{Lo: 0, Hi: c.S, K16: k16, V16: v16}}
		}
		dots, _ := dotKernels(bf16)
		pv, _ := pvKernels(bf16)
		want, got := make([]float32, g*c.S), make([]float32, g*c.S)
		dots(&dotArgs{
			q: unsafe.Pointer(&q[0]), k: rs.keyPtr(0), sc: unsafe.Pointer(&want[0]),
			ymask: unsafe.Pointer(&laneMasks[0]), hd: s.HeadDim, ldk: s.KVHeads * s.HeadDim,
			ldsc: c.S, rows: c.S, heads: g, scale: float32(1 / math.Sqrt(float64(s.HeadDim))),
		})
		groupScores(q, k, spans, s, 0, c.S, got)
		sameBits(t, name("%+v bf16=%v scores", s, bf16), got, want)
		wo, o := make([]float32, g*s.VDim), make([]float32, g*s.VDim)
		for lo := 0; lo < c.S; lo += pvBlock {
			pv(&pvArgs{
				o: unsafe.Pointer(&wo[0]), p: unsafe.Pointer(&want[lo]), v: rs.valuePtr(lo * s.KVHeads * s.VDim),
				ymask: unsafe.Pointer(&laneMasks[8]), vd: s.VDim, ldv: s.KVHeads * s.VDim, ldp: c.S,
				rows: min(pvBlock, c.S-lo), heads: g, ldo: s.VDim,
			})
		}
		groupValues(o, v, spans, s, 0, c.S, want)
		sameBits(t, name("%+v bf16=%v values", s, bf16), o, wo)
	}
}

// TestHeadPass checks the cut of a group into kernel passes: at most maxGroup heads each,
// ⌈g/maxGroup⌉ passes, sizes differing by at most one, covering g.
func TestHeadPass(t *testing.T) {
	for g := 1; g <= 40; g++ {
		var sizes []int
		for h0, hn := 0, 0; h0 < g; h0 += hn {
			hn = headPass(g, h0)
			if hn < 1 || hn > maxGroup {
				t.Fatalf("g=%d: pass at %d has %d heads", g, h0, hn)
			}
			sizes = append(sizes, hn)
		}
		if len(sizes) != (g+maxGroup-1)/maxGroup || sizes[0]-sizes[len(sizes)-1] > 1 {
			t.Errorf("g=%d: passes %v", g, sizes)
		}
	}
}
