package model

import (
	"github.com/hymbaserve/hymbaserve/kernels"
	"github.com/hymbaserve/hymbaserve/kvshare"
)

// kvCache is the K/V cache of one KV-owning layer for one sequence, on pages of the part's pool
// (see package kvshare): the meta rows on meta pages (normally the part's shared ones, held by
// reference), then the text rows, position p in text page p/R at row p%R (R = rows per page).
// Text rows hold consecutive positions [start, start+n); pages[i] is page first+i. A
// sliding-window layer drops rows no later query can see and releases the pages wholly below
// the oldest row it keeps. A page that others reference is copied before it is written.
type kvCache struct {
	pg       *pager
	kw, vw   int
	m        int             // meta rows held (0 until the first forward, then M)
	meta     []*kvshare.Page // meta row j in meta[j/R], row j%R
	pages    []*kvshare.Page // text pages first, first+1, …
	first    int             // page index of pages[0]
	start, n int             // held text positions [start, start+n)
}

func newKVCache(pg *pager, kw, vw int) *kvCache {
	return &kvCache{pg: pg, kw: kw, vw: vw}
}

// keepFrom is the oldest text position the cache of layer l keeps before it stores segment g's
// rows: prefill keeps what a sliding-window query at the segment's first position can still see
// (positions ≥ Pos − W); a decode step follows the official cache trim (once W text rows are
// held, keep only the newest W − 1, so the new token sees W text rows, not W + 1). Global layers
// keep everything.
func (c *kvCache) keepFrom(l *Layer, g SegRows, w int) int {
	switch {
	case l.Global:
		return 0
	case g.Decode && c.n >= w:
		return c.start + c.n - (w - 1)
	case g.Decode:
		return c.start
	}
	return g.Pos - w
}

// dropBefore forgets text rows with positions < p and releases the pages wholly below the
// oldest row held.
func (c *kvCache) dropBefore(p int) {
	if d := p - c.start; d > 0 {
		d = min(d, c.n)
		c.n -= d
		c.start += d
	}
	r, k := c.pg.rows, 0
	for k < len(c.pages) && (c.first+k+1)*r <= c.start {
		c.pg.pool.Release(c.pages[k])
		c.pages[k] = nil
		k++
	}
	c.pages = c.pages[k:]
	c.first += k
}

// putMeta stores meta row j.
func (c *kvCache) putMeta(j int, k, v []float32) { c.putMetaRow(j, kvRows{k: k, v: v}) }

// putMetaRow stores meta row j, given as float32 or (into a bf16 cache) bf16.
func (c *kvCache) putMetaRow(j int, row kvRows) {
	r := c.pg.rows
	for len(c.meta) <= j/r {
		c.meta = append(c.meta, c.pg.get())
	}
	c.write(&c.meta[j/r], j%r, row)
	c.m = max(c.m, j+1)
}

// append stores the row of text position start+n (the next one).
func (c *kvCache) append(k, v []float32) { c.appendRow(kvRows{k: k, v: v}) }

// appendRow is append with the row given as float32 or (into a bf16 cache) bf16.
func (c *kvCache) appendRow(row kvRows) {
	p, r := c.start+c.n, c.pg.rows
	if len(c.pages) == 0 {
		c.first = p / r
	}
	i := p/r - c.first
	if i == len(c.pages) {
		c.pages = append(c.pages, c.pg.get())
	}
	c.write(&c.pages[i], p%r, row)
	c.n++
}

// write stores row in row i of *pp (rounding float32 values for a bf16 pool), copying the page
// first if it is shared.
func (c *kvCache) write(pp **kvshare.Page, i int, row kvRows) {
	if (*pp).Shared() {
		cp := c.pg.get()
		copyPage(cp, *pp)
		c.pg.pool.Release(*pp)
		*pp = cp
	}
	putRow(*pp, c.pg.pool.DType(), i, row, c.kw, c.vw)
}

// spans appends to dst one span per page (with the page's K/V, float32 or bf16) covering meta rows
// [0, metaRows) and text positions [lo, hi) (clipped to what is held), in position order.
func (c *kvCache) spans(dst []kernels.Span, metaRows, lo, hi int) []kernels.Span {
	r := c.pg.rows
	for i := 0; i*r < metaRows; i++ {
		pg := c.meta[i]
		dst = append(dst, kernels.Span{Lo: 0, Hi: min(r, metaRows-i*r), K: pg.K, V: pg.V, K16: pg.K16, V16: pg.V16})
	}
	lo, hi = max(lo, c.start), min(hi, c.start+c.n)
	for p := lo / r; lo < hi && p*r < hi; p++ {
		pg := c.pages[p-c.first]
		dst = append(dst, kernels.Span{Lo: max(lo-p*r, 0), Hi: min(hi-p*r, r), K: pg.K, V: pg.V, K16: pg.K16, V16: pg.V16})
	}
	return dst
}

// need is the number of pages the pool must supply for the cache to drop the rows below keep
// and append text rows (new pages and copies of shared ones), less the pages the drop returns
// to the pool, and at least 0.
func (c *kvCache) need(keep, text int) int {
	r := c.pg.rows
	start := c.start + min(max(keep-c.start, 0), c.n)
	freed, held := 0, 0 // pages the drop frees; index of the first page kept
	for held < len(c.pages) && (c.first+held+1)*r <= start {
		if !c.pages[held].Shared() {
			freed++
		}
		held++
	}
	gets, end := 0, c.start+c.n
	for p := end / r; text > 0 && p*r < end+text; p++ {
		if i := p - c.first; len(c.pages) == 0 || i >= len(c.pages) || c.pages[i].Shared() {
			gets++
		}
	}
	return max(gets-freed, 0)
}

// clone returns a copy that shares every page by reference.
func (c *kvCache) clone() *kvCache {
	cp := *c
	cp.meta, cp.pages = append([]*kvshare.Page(nil), c.meta...), append([]*kvshare.Page(nil), c.pages...)
	for _, pg := range cp.meta {
		c.pg.pool.Ref(pg)
	}
	for _, pg := range cp.pages {
		c.pg.pool.Ref(pg)
	}
	return &cp
}

// release returns every page to the pool and empties the cache.
func (c *kvCache) release() {
	for _, pg := range c.meta {
		c.pg.pool.Release(pg)
	}
	for _, pg := range c.pages {
		c.pg.pool.Release(pg)
	}
	*c = kvCache{pg: c.pg, kw: c.kw, vw: c.vw}
}

// bytes is the memory of the pages the cache holds alone (shared pages are not counted).
func (c *kvCache) bytes() int64 {
	n := 0
	for _, pgs := range [][]*kvshare.Page{c.meta, c.pages} {
		for _, pg := range pgs {
			if !pg.Shared() {
				n++
			}
		}
	}
	return int64(n) * c.pg.pool.PageBytes()
}
