package kernels

import (
	"testing"
)

// bf16Cases adds to attnCases a shape whose head widths leave the largest tails (hd mod 16 = 15,
// vd mod 8 = vd mod 16 = 7), which the bf16 kernels copy or mask word by word.
var bf16Cases = append([]attnCase{{AttnShape{Heads: 3, KVHeads: 1, HeadDim: 79, VDim: 71}, 20}}, attnCases...)

// bf16Data returns q for m rows, the cache rounded to bf16, and the same rows widened to float32.
func bf16Data(c attnCase, m int) (q []float32, k16, v16 []uint16, k, v []float32) {
	q, kf, vf := attnData(c, m)
	k16, v16 = make([]uint16, len(kf)), make([]uint16, len(vf))
	F32ToBF16Row(k16, kf)
	F32ToBF16Row(v16, vf)
	k, v = make([]float32, len(kf)), make([]float32, len(vf))
	BF16ToF32Row(k, k16)
	BF16ToF32Row(v, v16)
	return q, k16, v16, k, v
}

// paged16 is paged for bf16 rows: spans of pr-row pages with their own K16/V16.
func paged16(k, v []uint16, s AttnShape, pr, lo, hi int) []Span {
	kw, vw := s.KVHeads*s.HeadDim, s.KVHeads*s.VDim
	var spans []Span
	for p := lo / pr * pr; p < hi; p += pr {
		pk, pv := make([]uint16, pr*kw), make([]uint16, pr*vw)
		end := min(p+pr, len(k)/kw)
		copy(pk, k[p*kw:end*kw])
		copy(pv, v[p*vw:end*vw])
		spans = append(spans, Span{Lo: max(lo-p, 0), Hi: min(hi-p, pr), K16: pk, V16: pv})
	}
	return spans
}

// TestAttendBF16IsWidenedF32 checks, on every instruction set, that attention over bf16 rows
// gives the bits of attention over float32 rows holding the widened values: pages of bf16
// rows, one bf16 span longer than a value block, and bf16 and float32 pages mixed, for Attend,
// AttendRows and AttendRef. With the float32 contract (AVX-512 = AVX2 = lane model, Go
// deterministic) this carries every float32 property over to bf16 K/V.
func TestAttendBF16IsWidenedF32(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, c := range bf16Cases {
			const m = 4
			q, k16, v16, k, v := bf16Data(c, m)
			qw, ow := c.s.Heads*c.s.HeadDim, c.s.Heads*c.s.VDim
			want, got := make([]float32, m*ow), make([]float32, m*ow)
			flat, pages, whole, mixed := make([][]Span, m), make([][]Span, m), make([][]Span, m), make([][]Span, m)
			for i := range m {
				lo, hi := i, c.S-m+1+i
				flat[i] = []Span{{Lo: lo, Hi: hi}}
				pages[i] = paged16(k16, v16, c.s, 16, lo, hi)
				whole[i] = []Span{{Lo: lo, Hi: hi, K16: k16, V16: v16}}
				mixed[i] = paged(k, v, c.s, 16, lo, hi)
				for x := 0; x < len(mixed[i]); x += 2 { // every other page in bf16
					sp := mixed[i][x]
					mixed[i][x] = paged16(k16, v16, c.s, 16, lo, hi)[x]
					mixed[i][x].Lo, mixed[i][x].Hi = sp.Lo, sp.Hi
				}
			}
			AttendRows(want, q, k, v, flat, c.s)
			for what, sp := range map[string][][]Span{"pages": pages, "one span": whole, "mixed": mixed} {
				AttendRows(got, q, nil, nil, sp, c.s)
				sameBits(t, name("%+v AttendRows, bf16 %s", c.s, what), got, want)
			}
			for i := range m {
				one, r1, r2 := make([]float32, ow), make([]float32, ow), make([]float32, ow)
				Attend(one, q[i*qw:(i+1)*qw], nil, nil, pages[i], c.s, nil)
				sameBits(t, name("%+v Attend row %d, bf16 pages", c.s, i), one, want[i*ow:(i+1)*ow])
				AttendRef(r1, q[i*qw:(i+1)*qw], k, v, flat[i], c.s)
				AttendRef(r2, q[i*qw:(i+1)*qw], nil, nil, pages[i], c.s)
				sameBits(t, name("%+v AttendRef row %d, bf16 pages", c.s, i), r2, r1)
			}
		}
	})
}

// TestAttendBF16Contract is TestAttendContract for bf16 rows: AttendRows over causal rows equals
// Attend row by row at GOMAXPROCS 1 and 2, and cutting the rows into other spans changes no bit.
func TestAttendBF16Contract(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, c := range bf16Cases {
			const m = 6
			q, k16, v16, _, _ := bf16Data(c, m)
			qw, ow := c.s.Heads*c.s.HeadDim, c.s.Heads*c.s.VDim
			spans := make([][]Span, m)
			one := make([]float32, m*ow)
			withProcs(1, func() {
				for i := range spans {
					hi := c.S - m + 1 + i
					spans[i] = []Span{{Lo: 0, Hi: 1, K16: k16, V16: v16}, {Lo: 2, Hi: hi, K16: k16, V16: v16}}
					Attend(one[i*ow:(i+1)*ow], q[i*qw:(i+1)*qw], nil, nil, spans[i], c.s, nil)
				}
			})
			for _, p := range []int{1, 2} {
				rows := make([]float32, m*ow)
				withProcs(p, func() { AttendRows(rows, q, nil, nil, spans, c.s) })
				sameBits(t, name("%+v bf16 AttendRows procs=%d", c.s, p), rows, one)
				hi := spans[m-1][1].Hi
				cut := append([]Span{{Lo: 0, Hi: 1, K16: k16, V16: v16}}, paged16(k16, v16, c.s, 5, 2, hi)...)
				split := make([]float32, ow)
				withProcs(p, func() { Attend(split, q[(m-1)*qw:], nil, nil, cut, c.s, nil) })
				sameBits(t, name("%+v bf16 split spans procs=%d", c.s, p), split, one[(m-1)*ow:])
			}
		}
	})
}

// TestAttendBF16Parity compares bf16 attention with the float64 reference on the widened rows,
// and with float32 attention on the unrounded rows within bf16's rounding (2⁻⁸ relative per
// value: the outputs are averages of values, the scores move by less than |q|·|k|·2⁻⁸).
func TestAttendBF16Parity(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, c := range bf16Cases {
			q, k16, v16, k, v := bf16Data(c, 1)
			_, kf, vf := attnData(c, 1)
			spans := []Span{{Lo: 0, Hi: 3, K16: k16, V16: v16}, {Lo: c.S / 2, Hi: c.S, K16: k16, V16: v16}}
			flat := []Span{{Lo: 0, Hi: 3}, {Lo: c.S / 2, Hi: c.S}}
			got, ref, f32 := make([]float32, c.s.Heads*c.s.VDim), make([]float32, c.s.Heads*c.s.VDim), make([]float32, c.s.Heads*c.s.VDim)
			Attend(got, q, nil, nil, spans, c.s, nil)
			AttendRef(ref, q, k, v, flat, c.s)
			near(t, name("%+v bf16 vs reference", c.s), got, ref, 1e-5, 1e-4)
			Attend(f32, q, kf, vf, flat, c.s, nil)
			near(t, name("%+v bf16 vs float32 rows", c.s), got, f32, 2e-2, 0)
		}
	})
}

// TestAttendBF16Edges checks that bf16 spans past their own rows, without V16, or with both
// float32 and bf16 rows panic.
func TestAttendBF16Edges(t *testing.T) {
	s := AttnShape{Heads: 2, KVHeads: 1, HeadDim: 4, VDim: 3}
	big := make([]float32, 64)
	for what, sp := range map[string]Span{
		"past own rows": {Lo: 0, Hi: 3, K16: make([]uint16, 8), V16: make([]uint16, 6)},
		"no own V16":    {Lo: 0, Hi: 2, K16: make([]uint16, 8)},
		"both dtypes":   {Lo: 0, Hi: 1, K: make([]float32, 8), V: make([]float32, 6), K16: make([]uint16, 8), V16: make([]uint16, 6)},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", what)
				}
			}()
			Attend(make([]float32, 6), make([]float32, 8), big, big, []Span{sp}, s, nil)
		}()
	}
}
