package model

import "github.com/hymbaserve/hymbaserve/kernels"

// attention writes each row's attention output [R, D] into s.attn. KV owners first store their
// rows in their cache (trimmed as the official code does); every layer then reads the cache of
// its producer.
func (m *Model) attention(l *Layer, segs []Segment, lay Layout, s *scratch) {
	d := m.dims
	shape := kernels.AttnShape{Heads: d.heads, KVHeads: d.kvHeads, HeadDim: d.hd, VDim: d.vd}
	for i, g := range lay.Segs {
		c := segs[i].Seq.kv[l.Producer]
		if l.OwnsKV {
			m.storeKV(l, c, g, s)
		}
		rows := g.Meta + g.Text
		spans := make([][]kernels.Span, rows)
		for j := range rows {
			spans[j] = m.allowed(l, c, g, j, nil)
		}
		lo, hi := g.Off, g.Off+rows
		kernels.AttendRows(s.attn[lo*d.D:hi*d.D], s.q[lo*d.H:hi*d.H], nil, nil, spans, shape)
	}
}

// storeKV trims an owner's cache (see kvCache.keepFrom) and appends the segment's K/V rows.
func (m *Model) storeKV(l *Layer, c *kvCache, g SegRows, s *scratch) {
	d := m.dims
	c.dropBefore(c.keepFrom(l, g, d.W))
	for j := range g.Meta + g.Text {
		r := g.Off + j
		k, v := s.k[r*d.kw:(r+1)*d.kw], s.v[r*d.vw:(r+1)*d.vw]
		if j < g.Meta {
			c.putMeta(j, k, v)
		} else {
			c.append(k, v)
		}
	}
}

// allowed lists the cache rows row j of segment g attends to.
//
//	meta row j:      meta rows 0..j
//	decode:          everything the (trimmed) cache holds
//	prefill, global: all meta rows, text positions ≤ p
//	prefill, window: all meta rows, text positions p−W..p
func (m *Model) allowed(l *Layer, c *kvCache, g SegRows, j int, dst []kernels.Span) []kernels.Span {
	if j < g.Meta {
		return c.spans(dst, j+1, 0, 0)
	}
	p := g.Pos + j - g.Meta
	switch {
	case g.Decode:
		return c.spans(dst, c.m, c.start, c.start+c.n)
	case l.Global:
		return c.spans(dst, c.m, 0, p+1)
	default:
		return c.spans(dst, c.m, p-m.dims.W, p+1)
	}
}
