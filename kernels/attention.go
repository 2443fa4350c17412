package kernels

import (
	"math"
	"sync"
)

// AttnShape describes grouped-query attention heads. Query head a reads KV head a/(Heads/KVHeads).
type AttnShape struct {
	Heads, KVHeads int
	HeadDim        int // q and k head width
	VDim           int // v head width
}

// Span is a half-open range [Lo, Hi) of cache rows. Rows index the k and v arguments of
// Attend, or the span's own rows (of the same widths KVHeads·HeadDim and KVHeads·VDim): float32
// K and V when K is non-nil, bfloat16 K16 and V16 when K16 is non-nil (a span has one or the
// other). A paged cache passes one span per page, and k and v may then be nil. bf16 rows are
// widened exactly as they are read, so a bf16 span gives the bits of a float32 span holding the
// widened values. Where the rows live never changes a result bit.
type Span struct {
	Lo, Hi   int
	K, V     []float32
	K16, V16 []uint16
}

// spanRows is where a span's rows live: float32 k and v, or bf16 k16 and v16 (non-nil).
type spanRows struct {
	k, v     []float32
	k16, v16 []uint16
}

// rows returns the buffers the span's rows index: its own when K or K16 is set, else k and v.
func (sp *Span) rows(k, v []float32) spanRows {
	switch {
	case sp.K16 != nil:
		return spanRows{k16: sp.K16, v16: sp.V16}
	case sp.K != nil:
		return spanRows{k: sp.K, v: sp.V}
	}
	return spanRows{k: k, v: v}
}

// bf16 reports whether the rows are bf16.
func (r *spanRows) bf16() bool { return r.k16 != nil }

// lens returns the number of K and of V values the rows hold.
func (r *spanRows) lens() (nk, nv int) {
	if r.bf16() {
		return len(r.k16), len(r.v16)
	}
	return len(r.k), len(r.v)
}

// key returns the n K values from index i as float32: a view of float32 rows, or bf16 rows
// widened exactly into buf.
func (r *spanRows) key(i, n int, buf []float32) []float32 {
	if r.bf16() {
		return widenRow(buf[:n], r.k16[i:i+n])
	}
	return r.k[i : i+n]
}

// value is key for the V values.
func (r *spanRows) value(i, n int, buf []float32) []float32 {
	if r.bf16() {
		return widenRow(buf[:n], r.v16[i:i+n])
	}
	return r.v[i : i+n]
}

// Attend computes one query row's attention over the key rows listed in spans (in order):
// out[a] = Σ softmax(q_a·k_j / sqrt(HeadDim)) v_j, for every query head a.
//
//	q: [Heads*HeadDim]  k: [S, KVHeads*HeadDim]  v: [S, KVHeads*VDim]  out: [Heads*VDim]
//
// Everything is float32 and each head's result depends only on its query and the rows in span
// order, never on the other heads or the split between cores (or how the rows are cut into
// spans). The query heads that share a KV head are computed together so each key and value
// row is read once. The pure-Go kernel sums scores with 8 lanes of rounded products, takes
// exp from math.Exp and sums softmax and values in order; the AVX-512/AVX2 kernel (identical
// bits on both) uses the 16-lane fused dot of MatMul, the vector exp of SelectiveScan, a
// 16-lane softmax sum and fused multiply-adds for the values.
// scores is optional scratch: Attend uses it when it holds (Heads/KVHeads)·covered floats and
// the call runs on one core, and pooled scratch otherwise. No covered row gives zeros.
func Attend(out, q, k, v []float32, spans []Span, s AttnShape, scores []float32) {
	checkAttnShape(s, 1, len(q), len(out))
	n := checkSpans(k, v, spans, s)
	g := s.Heads / s.KVHeads
	grain := grainFor(s.KVHeads, int64(n*g*(s.HeadDim+s.VDim)), 1<<17)
	parallelFor(s.KVHeads, grain, func(lo, hi int) {
		sc, put := scratch(g*n, scores, lo == 0 && hi == s.KVHeads)
		for j := lo; j < hi; j++ {
			attendGroup(out, q, k, v, spans, s, j, n, sc)
		}
		put()
	})
}

// AttendRows runs Attend for m = len(spans) query rows at once, spreading (row, KV head)
// pairs over the cores; row i attends over spans[i]. The result equals m calls of Attend bit
// for bit.
//
//	q: [m, Heads*HeadDim]  out: [m, Heads*VDim]
func AttendRows(out, q, k, v []float32, spans [][]Span, s AttnShape) {
	m := len(spans)
	checkAttnShape(s, m, len(q), len(out))
	covered := make([]int, m)
	total := 0
	for i, sp := range spans {
		covered[i] = checkSpans(k, v, sp, s)
		total += covered[i]
	}
	g, units := s.Heads/s.KVHeads, m*s.KVHeads
	grain := grainFor(units, int64(total/max(m, 1)*g*(s.HeadDim+s.VDim)), 1<<17)
	qw, ow := s.Heads*s.HeadDim, s.Heads*s.VDim
	parallelFor(units, grain, func(lo, hi int) {
		var sc []float32
		put := func() {}
		for u := lo; u < hi; u++ {
			i, j := u/s.KVHeads, u%s.KVHeads
			if len(sc) < g*covered[i] {
				put()
				sc, put = scratch(g*covered[i], nil, false)
			}
			attendGroup(out[i*ow:(i+1)*ow], q[i*qw:(i+1)*qw], k, v, spans[i], s, j, covered[i], sc)
		}
		put()
	})
}

// checkAttnShape panics on an invalid shape or q/out too short for m query rows.
func checkAttnShape(s AttnShape, m, lq, lout int) {
	switch {
	case s.Heads <= 0 || s.KVHeads <= 0 || s.HeadDim <= 0 || s.VDim <= 0:
		panic("kernels: Attend: non-positive head count or width")
	case s.Heads%s.KVHeads != 0:
		panic("kernels: Attend: Heads not a multiple of KVHeads")
	case lq < m*s.Heads*s.HeadDim:
		panic("kernels: Attend: q shorter than rows*Heads*HeadDim")
	case lout < m*s.Heads*s.VDim:
		panic("kernels: Attend: out shorter than rows*Heads*VDim")
	}
}

// checkSpans panics on a span outside its rows (the cache, or its own K/V) and returns the
// number of rows covered.
func checkSpans(k, v []float32, spans []Span, s AttnShape) int {
	kw, vw, n := s.KVHeads*s.HeadDim, s.KVHeads*s.VDim, 0
	for i := range spans {
		sp := &spans[i]
		if sp.K != nil && sp.K16 != nil {
			panic("kernels: Attend: span with both float32 and bf16 rows")
		}
		r := sp.rows(k, v)
		nk, nv := r.lens()
		if sp.Lo < 0 || sp.Hi < sp.Lo || sp.Hi > sp.Lo && (sp.Hi*kw > nk || sp.Hi*vw > nv) {
			panic("kernels: Attend: span outside the cache")
		}
		n += sp.Hi - sp.Lo
	}
	return n
}

// softmax turns scores into probabilities in place: e_i = exp(s_i − max), p_i = e_i / Σ e in
// float32, summed in order.
func softmax(sc []float32) {
	mx := float32(math.Inf(-1))
	for _, x := range sc {
		if x > mx {
			mx = x
		}
	}
	var sum float32
	for i, x := range sc {
		e := float32(math.Exp(float64(x - mx)))
		sc[i] = e
		sum += e
	}
	for i := range sc {
		sc[i] /= sum
	}
}

// scratchPool holds score buffers for the attention workers.
var scratchPool sync.Pool

// scratch returns a buffer of at least n floats: own when it is big enough and allowed,
// pooled otherwise; put returns a pooled buffer.
func scratch(n int, own []float32, useOwn bool) (buf []float32, put func()) {
	if useOwn && len(own) >= n {
		return own, func() {}
	}
	p, _ := scratchPool.Get().(*[]float32)
	if p == nil || cap(*p) < n {
		b := make([]float32, n)
		p = &b
	}
	return (*p)[:n], func() { scratchPool.Put(p) }
}

// attendGroupGo is the portable group kernel: query heads j·g … j·g+g−1 of one row. bf16 rows
// are widened into a row buffer first, so they give the bits of float32 rows of the same values.
func attendGroupGo(out, q, k, v []float32, spans []Span, s AttnShape, j, n int, sc []float32) {
	g := s.Heads / s.KVHeads
	kw, vw := s.KVHeads*s.HeadDim, s.KVHeads*s.VDim
	scale := float32(1 / math.Sqrt(float64(s.HeadDim)))
	buf := make([]float32, max(s.HeadDim, s.VDim))
	for h := 0; h < g; h++ {
		a := j*g + h
		qa, sa := q[a*s.HeadDim:(a+1)*s.HeadDim], sc[h*n:(h+1)*n]
		i := 0
		for x := range spans {
			rs := spans[x].rows(k, v)
			for r := spans[x].Lo; r < spans[x].Hi; r++ {
				sa[i] = dot(qa, rs.key(r*kw+j*s.HeadDim, s.HeadDim, buf)) * scale
				i++
			}
		}
		softmax(sa)
		oa := out[a*s.VDim : (a+1)*s.VDim]
		clear(oa)
		i = 0
		for x := range spans {
			rs := spans[x].rows(k, v)
			for r := spans[x].Lo; r < spans[x].Hi; r++ {
				p, vr := sa[i], rs.value(r*vw+j*s.VDim, s.VDim, buf)
				for c, x := range vr {
					oa[c] += float32(p * x)
				}
				i++
			}
		}
	}
}
