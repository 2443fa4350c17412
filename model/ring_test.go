package model

import "github.com/hymbaserve/hymbaserve/kernels"

// ringCache is the contiguous K/V cache this package had before the paged one (meta rows, then
// a growable ring of text rows), kept as the reference the paged cache must match row for row.
type ringCache struct {
	kw, vw, m, meta int
	k, v            []float32
	cap, head, n    int
	start           int
}

func (c *ringCache) slot(p int) int { return c.meta + (c.head+p-c.start)%c.cap }

func (c *ringCache) dropBefore(p int) {
	if d := p - c.start; d > 0 {
		d = min(d, c.n)
		c.head = (c.head + d) % max(c.cap, 1)
		c.n -= d
		c.start += d
	}
}

func (c *ringCache) reserve(extra int) {
	if c.n+extra <= c.cap {
		return
	}
	nc := max(2*c.cap, c.n+extra, 16)
	k := make([]float32, (c.meta+nc)*c.kw)
	v := make([]float32, (c.meta+nc)*c.vw)
	copy(k, c.k[:min(len(c.k), c.meta*c.kw)])
	copy(v, c.v[:min(len(c.v), c.meta*c.vw)])
	for i := 0; i < c.n; i++ {
		s := c.slot(c.start + i)
		copy(k[(c.meta+i)*c.kw:], c.k[s*c.kw:(s+1)*c.kw])
		copy(v[(c.meta+i)*c.vw:], c.v[s*c.vw:(s+1)*c.vw])
	}
	c.k, c.v, c.cap, c.head = k, v, nc, 0
}

func (c *ringCache) putMeta(j int, k, v []float32) {
	if c.k == nil {
		c.k = make([]float32, c.meta*c.kw)
		c.v = make([]float32, c.meta*c.vw)
	}
	copy(c.k[j*c.kw:(j+1)*c.kw], k)
	copy(c.v[j*c.vw:(j+1)*c.vw], v)
	c.m = max(c.m, j+1)
}

func (c *ringCache) append(k, v []float32) {
	c.reserve(1)
	c.n++
	s := c.slot(c.start + c.n - 1)
	copy(c.k[s*c.kw:(s+1)*c.kw], k)
	copy(c.v[s*c.vw:(s+1)*c.vw], v)
}

func (c *ringCache) spans(dst []kernels.Span, metaRows, lo, hi int) []kernels.Span {
	if metaRows > 0 {
		dst = append(dst, kernels.Span{Lo: 0, Hi: metaRows})
	}
	lo, hi = max(lo, c.start), min(hi, c.start+c.n)
	if lo >= hi {
		return dst
	}
	a, b := c.slot(lo), c.slot(hi-1)+1
	if a < b {
		return append(dst, kernels.Span{Lo: a, Hi: b})
	}
	return append(dst, kernels.Span{Lo: a, Hi: c.meta + c.cap}, kernels.Span{Lo: c.meta, Hi: b})
}

// keepFrom is the trim rule of the old storeKV.
func (c *ringCache) keepFrom(global bool, g SegRows, w int) int {
	switch {
	case global:
		return 0
	case g.Decode && c.n >= w:
		return c.start + c.n - (w - 1)
	case g.Decode:
		return c.start
	}
	return g.Pos - w
}

// spanRows gathers the K rows then the V rows the spans select, from each span's own K/V or
// from k and v.
func spanRows(spans []kernels.Span, k, v []float32, kw, vw int) (rk, rv []float32) {
	for _, sp := range spans {
		sk, sv := k, v
		if sp.K != nil {
			sk, sv = sp.K, sp.V
		}
		rk = append(rk, sk[sp.Lo*kw:sp.Hi*kw]...)
		rv = append(rv, sv[sp.Lo*vw:sp.Hi*vw]...)
	}
	return rk, rv
}
