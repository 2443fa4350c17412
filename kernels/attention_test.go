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
			spans := []Span{{0, 3}, {c.S / 2, c.S}}
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
					spans[i] = []Span{{0, 1}, {2, hi}}
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
					Attend(split, q[(m-1)*qw:], k, v, []Span{{0, 1}, {2, 5}, {5, hi - 1}, {hi - 1, hi}}, c.s, nil)
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
	Attend(out, make([]float32, 8), nil, nil, []Span{{3, 3}}, s, nil)
	sameBits(t, "no rows", out, make([]float32, 6))
	for _, c := range []struct {
		name  string
		s     AttnShape
		spans []Span
		q     int
	}{
		{"zero heads", AttnShape{Heads: 0, KVHeads: 1, HeadDim: 4, VDim: 3}, nil, 8},
		{"heads not multiple", AttnShape{Heads: 3, KVHeads: 2, HeadDim: 4, VDim: 3}, nil, 12},
		{"span past cache", s, []Span{{0, 3}}, 8},
		{"reversed span", s, []Span{{2, 1}}, 8},
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
