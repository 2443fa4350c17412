package model

import "github.com/hymbaserve/hymbaserve/kernels"

// kvCache is the K/V cache of one KV-owning layer for one sequence: the M meta rows first, then
// a ring of text rows. Text rows hold consecutive positions [start, start+n); the ring grows when
// needed and sliding-window layers drop rows that no later query can see.
//
//	k: [M + cap, kw]   v: [M + cap, vw]
type kvCache struct {
	kw, vw int
	m      int // meta rows held (0 until the first forward, then M)
	meta   int // M
	k, v   []float32
	cap    int // ring capacity in rows
	head   int // ring slot of the oldest text row
	n      int // text rows held
	start  int // text position of the oldest held row
}

func newKVCache(meta, kw, vw int) *kvCache {
	return &kvCache{kw: kw, vw: vw, meta: meta}
}

// slot returns the buffer row of text position p (which must be held).
func (c *kvCache) slot(p int) int { return c.meta + (c.head+p-c.start)%c.cap }

// dropBefore forgets text rows with positions < p.
func (c *kvCache) dropBefore(p int) {
	if d := p - c.start; d > 0 {
		d = min(d, c.n)
		c.head = (c.head + d) % max(c.cap, 1)
		c.n -= d
		c.start += d
	}
}

// reserve makes room for extra more text rows, growing (and unrolling) the ring.
func (c *kvCache) reserve(extra int) {
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

// putMeta stores meta row j.
func (c *kvCache) putMeta(j int, k, v []float32) {
	if c.k == nil {
		c.k = make([]float32, c.meta*c.kw)
		c.v = make([]float32, c.meta*c.vw)
	}
	copy(c.k[j*c.kw:(j+1)*c.kw], k)
	copy(c.v[j*c.vw:(j+1)*c.vw], v)
	c.m = max(c.m, j+1)
}

// append stores the row of text position start+n (the next one).
func (c *kvCache) append(k, v []float32) {
	c.reserve(1)
	c.n++
	s := c.slot(c.start + c.n - 1)
	copy(c.k[s*c.kw:(s+1)*c.kw], k)
	copy(c.v[s*c.vw:(s+1)*c.vw], v)
}

// spans appends to dst the buffer rows holding meta rows [0, metaRows) and text positions
// [lo, hi) (clipped to what is held), in position order.
func (c *kvCache) spans(dst []kernels.Span, metaRows, lo, hi int) []kernels.Span {
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

// bytes is the memory the cache holds.
func (c *kvCache) bytes() int64 { return int64(len(c.k)+len(c.v)) * 4 }
