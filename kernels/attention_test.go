package kernels

import (
	"testing"
)

// attnCase is one attention shape with a cache of S rows.
type attnCase struct {
	s AttnShape
	S int
}

var attnCases = []attnCase{
	{AttnShape{Heads: 6, KVHeads: 2, HeadDim: 64, VDim: 128}, 300}, // Hymba-like widths, > one pv block
	{AttnShape{Heads: 4, KVHeads: 4, HeadDim: 37, VDim: 200}, 40},  // partial blocks everywhere
	{AttnShape{Heads: 5, KVHeads: 1, HeadDim: 7, VDim: 13}, 17},    // narrower than one block
}

// attnData returns q for m query rows and a k/v cache of c.S rows.
func attnData(c attnCase, m int) (q, k, v []float32) {
	s := c.s
	return randVec(11, m*s.Heads*s.HeadDim), randVec(12, c.S*s.KVHeads*s.HeadDim), randVec(13, c.S*s.KVHeads*s.VDim)
}

// TestAttendParity compares Attend with the float64 reference on every instruction set.
func TestAttendParity(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, c := range attnCases {
			q, k, v := attnData(c, 1)
			spans := []Span{{Lo: 0, Hi: 3}, {Lo: c.S / 2, Hi: c.S}}
			got, want := make([]float32, c.s.Heads*c.s.VDim), make([]float32, c.s.Heads*c.s.VDim)
			Attend(got, q, k, v, spans, c.s, nil)
			AttendRef(want, q, k, v, spans, c.s)
			near(t, name("%+v", c.s), got, want, 1e-5, 1e-4)
		}
	})
}

// TestAttendContract checks that AttendRows over causal prefill rows equals Attend row by row,
// at GOMAXPROCS 1 and 2, and that splitting a span anywhere changes no bit.
func TestAttendContract(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, c := range attnCases {
			const m = 9
			q, k, v := attnData(c, m)
			qw, ow := c.s.Heads*c.s.HeadDim, c.s.Heads*c.s.VDim
			spans := make([][]Span, m)
			one := make([]float32, m*ow)
			withProcs(1, func() {
				for i := range spans {
					hi := c.S - m + 1 + i // causal: row i sees the cache up to its own position
					spans[i] = []Span{{Lo: 0, Hi: 1}, {Lo: 2, Hi: hi}}
					Attend(one[i*ow:(i+1)*ow], q[i*qw:(i+1)*qw], k, v, spans[i], c.s, make([]float32, c.S*c.s.Heads))
				}
			})
			for _, p := range []int{1, 2} {
				rows := make([]float32, m*ow)
				withProcs(p, func() { AttendRows(rows, q, k, v, spans, c.s) })
				sameBits(t, name("%+v AttendRows procs=%d", c.s, p), rows, one)
				split := make([]float32, ow)
				hi := spans[m-1][1].Hi
				withProcs(p, func() {
					Attend(split, q[(m-1)*qw:], k, v, []Span{{Lo: 0, Hi: 1}, {Lo: 2, Hi: 5}, {Lo: 5, Hi: hi - 1}, {Lo: hi - 1, Hi: hi}}, c.s, nil)
				})
				sameBits(t, name("%+v split spans procs=%d", c.s, p), split, one[(m-1)*ow:])
			}
		}
	})
}

// TestAttendEdges covers empty spans (zeros) and the shape panics.
func TestAttendEdges(t *testing.T) {
	s := AttnShape{Heads: 2, KVHeads: 1, HeadDim: 4, VDim: 3}
	out := []float32{1, 2, 3, 4, 5, 6}
	Attend(out, make([]float32, 8), nil, nil, []Span{{Lo: 3, Hi: 3}}, s, nil)
	sameBits(t, "no rows", out, make([]float32, 6))
	for _, c := range []struct {
		name  string
		s     AttnShape
		spans []Span
		q     int
	}{
		{"zero heads", AttnShape{Heads: 0, KVHeads: 1, HeadDim: 4, VDim: 3}, nil, 8},
		{"heads not multiple", AttnShape{Heads: 3, KVHeads: 2, HeadDim: 4, VDim: 3}, nil, 12},
		{"span past cache", s, []Span{{Lo: 0, Hi: 3}}, 8},
		{"reversed span", s, []Span{{Lo: 2, Hi: 1}}, 8},
		{"short q", s, nil, 7},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			Attend(make([]float32, 64), make([]float32, c.q), make([]float32, 8), make([]float32, 6), c.spans, c.s, nil)
		})
	}
}

// paged copies rows [0, S) of k and v into pages of pr rows and returns the spans, each with
// its page's own K/V, that cover rows [lo, hi) in order.
func paged(k, v []float32, s AttnShape, pr, lo, hi int) []Span {
	kw, vw := s.KVHeads*s.HeadDim, s.KVHeads*s.VDim
	var spans []Span
	for p := lo / pr * pr; p < hi; p += pr {
		pk, pv := make([]float32, pr*kw), make([]float32, pr*vw)
		end := min(p+pr, len(k)/kw)
		copy(pk, k[p*kw:end*kw])
		copy(pv, v[p*vw:end*vw])
		spans = append(spans, Span{Lo: max(lo-p, 0), Hi: min(hi-p, pr), K: pk, V: pv})
	}
	return spans
}

// TestAttendPaged checks that rows read from many small pages (spans with their own K/V, k and
// v nil, or a shared prefix from k and v followed by pages) give the bits of the contiguous
// cache, for Attend, AttendRows and the reference, on every instruction set.
func TestAttendPaged(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, c := range attnCases {
			const m = 5
			q, k, v := attnData(c, m)
			qw, ow := c.s.Heads*c.s.HeadDim, c.s.Heads*c.s.VDim
			flat, page := make([][]Span, m), make([][]Span, m)
			for i := range m {
				lo, hi := i, c.S-m+1+i
				flat[i] = []Span{{Lo: lo, Hi: hi}}
				page[i] = paged(k, v, c.s, 16, lo, hi)
				if i%2 == 1 { // a prefix from the shared k/v, the rest from pages
					flat[i] = []Span{{Lo: 0, Hi: 3}, {Lo: 7, Hi: hi}}
					page[i] = append([]Span{{Lo: 0, Hi: 3}}, paged(k, v, c.s, 16, 7, hi)...)
				}
			}
			want, got := make([]float32, m*ow), make([]float32, m*ow)
			AttendRows(want, q, k, v, flat, c.s)
			AttendRows(got, q, nil, nil, page[:1], c.s) // every span has its own rows
			sameBits(t, name("%+v AttendRows, pages only", c.s), got[:ow], want[:ow])
			AttendRows(got, q, k, v, page, c.s)
			sameBits(t, name("%+v AttendRows", c.s), got, want)
			for i := range m {
				one := make([]float32, ow)
				Attend(one, q[i*qw:(i+1)*qw], k, v, page[i], c.s, nil)
				sameBits(t, name("%+v Attend row %d", c.s, i), one, want[i*ow:(i+1)*ow])
				r1, r2 := make([]float32, ow), make([]float32, ow)
				AttendRef(r1, q[i*qw:(i+1)*qw], k, v, flat[i], c.s)
				AttendRef(r2, q[i*qw:(i+1)*qw], k, v, page[i], c.s)
				sameBits(t, name("%+v AttendRef row %d", c.s, i), r2, r1)
			}
		}
	})
}

// TestAttendPagedEdges checks that a span reaching past its own rows panics even when the
// shared cache is long enough.
func TestAttendPagedEdges(t *testing.T) {
	s := AttnShape{Heads: 2, KVHeads: 1, HeadDim: 4, VDim: 3}
	big := make([]float32, 64)
	for _, sp := range []Span{
		{Lo: 0, Hi: 3, K: make([]float32, 8), V: make([]float32, 6)},  // 2 own rows
		{Lo: 0, Hi: 2, K: make([]float32, 8), V: nil},                 // no own V
		{Lo: -1, Hi: 1, K: make([]float32, 8), V: make([]float32, 6)}, // negative
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("span %d..%d with %d/%d own values: no panic", sp.Lo, sp.Hi, len(sp.K), len(sp.V))
				}
			}()
			Attend(make([]float32, 6), make([]float32, 8), big, big, []Span{sp}, s, nil)
		}()
	}
}
