package model

import (
	"fmt"
	"slices"
	"sync"

	"github.com/hymbaserve/hymbaserve/kvshare"
)

// pager is a model part's source of K/V pages. Its lock is held for a step (Forward, ImportSeq),
// so the steps of one part run one at a time and a step's reservation is its own.
type pager struct {
	mu   sync.Mutex
	pool *kvshare.Pool
	rows int
	left int // pages the running step reserved and has not taken yet
}

// get takes a page. A step reserved every page it takes (see reserveStep), so running out here
// is a bug in the count, not a full pool.
func (p *pager) get() *kvshare.Page {
	pg, err := p.pool.Get()
	if err != nil {
		panic(fmt.Sprintf("model: a K/V page beyond the step's reservation: %v", err))
	}
	if p.left > 0 {
		p.left--
	}
	return pg
}

// pager returns the part's pager, with an unlimited pool until SetPool gives it another.
func (m *Model) pager() *pager {
	m.pagerOnce.Do(func() {
		m.pages = &pager{pool: kvshare.NewPoolDType(kvshare.PageRows, m.dims.kw, m.dims.vw, m.kvDType, 0), rows: kvshare.PageRows}
	})
	return m.pages
}

// KVDType is the type of the part's K/V cache values (LoadOptions.KVDType): kvshare.F32 or
// kvshare.BF16. Conv and SSM state are float32 either way.
func (m *Model) KVDType() kvshare.DType { return m.kvDType }

// Pool returns the pool this part's K/V pages come from.
func (m *Model) Pool() *kvshare.Pool { return m.pager().pool }

// SetPool makes p (for example one with a memory budget) the pool of this part's K/V pages. Call
// it before the part runs its first step: it panics when pages of the previous pool are in use
// or when p's pages do not fit the model's K/V rows or dtype (see KVDType).
func (m *Model) SetPool(p *kvshare.Pool) {
	pg := m.pager()
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if kw, vw := p.Widths(); kw != m.dims.kw || vw != m.dims.vw {
		panic(fmt.Sprintf("model: SetPool: pages of %d/%d K/V values per row, the model's rows have %d/%d", kw, vw, m.dims.kw, m.dims.vw))
	}
	if p.DType() != m.kvDType {
		panic(fmt.Sprintf("model: SetPool: pages of %v K/V values, the model keeps %v K/V", p.DType(), m.kvDType))
	}
	if n := pg.pool.Stats().PagesUsed; n > 0 {
		panic(fmt.Sprintf("model: SetPool while %d pages of the previous pool are in use", n))
	}
	pg.pool, pg.rows = p, p.PageRows()
}

// reserveStep starts a step: it takes the part's step lock and reserves every page the step will
// take from the pool, net of the pages its window trims free. It returns the function that ends
// the step, or, with the lock released and nothing changed, an error wrapping
// kvshare.ErrExhausted.
func (m *Model) reserveStep(segs []Segment, lay Layout) (func(), error) {
	pg := m.pager()
	pg.mu.Lock()
	need := m.stepPages(segs, lay)
	if !pg.pool.Reserve(need) {
		pg.mu.Unlock()
		st := pg.pool.Stats()
		return nil, fmt.Errorf("model: step of %d sequences needs %d K/V pages of %d bytes, %d are in use of a %d-byte budget: %w",
			len(segs), need, st.PageBytes, st.PagesUsed, st.Budget, kvshare.ErrExhausted)
	}
	pg.left = need
	return func() {
		pg.pool.Unreserve(pg.left)
		pg.left = 0
		pg.mu.Unlock()
	}, nil
}

// stepPages counts the pages a step takes from the pool beyond those it frees: each owner's text
// pages (see kvCache.need) and, when a new sequence arrives before the part has its meta
// template, the template's meta pages.
func (m *Model) stepPages(segs []Segment, lay Layout) int {
	need, fresh := 0, false
	for i, g := range lay.Segs {
		fresh = fresh || g.Meta > 0
		for _, l := range m.Layers {
			if c := segs[i].Seq.kv[l.Index]; l.OwnsKV {
				need += c.need(c.keepFrom(l, g, m.dims.W), g.Text)
			}
		}
	}
	m.metaMu.Lock()
	defer m.metaMu.Unlock()
	if fresh && m.metaState == nil {
		need += m.owners() * ceilDiv(m.dims.M, m.pages.rows)
	}
	return need
}

// owners is the number of KV-owning layers of the part.
func (m *Model) owners() int {
	n := 0
	for _, l := range m.Layers {
		if l.OwnsKV {
			n++
		}
	}
	return n
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// shareMeta makes st's meta pages the part's shared ones, layer by layer: where the part already
// holds a bit-identical set (built by an import) st references it and its own copy goes back to
// the pool; otherwise st's set becomes the shared one. metaMu is held.
func (m *Model) shareMeta(st *SeqState) {
	for l, c := range st.kv {
		if set, ok := m.metaPages[l]; ok && sameMeta(set, c, c.m) {
			for _, pg := range c.meta {
				c.pg.pool.Release(pg)
			}
			c.meta = m.refMeta(l)
		} else if !ok && c.m == m.dims.M {
			m.keepMeta(l, c.meta)
		}
	}
}

// keepMeta makes set the part's shared meta pages of layer l, holding a reference on each.
func (m *Model) keepMeta(l int, set []*kvshare.Page) {
	if m.metaPages == nil {
		m.metaPages = map[int][]*kvshare.Page{}
	}
	m.metaPages[l] = slices.Clone(set)
	for _, pg := range set {
		m.pages.pool.Ref(pg)
	}
}

// refMeta returns a new reference to each shared meta page of layer l.
func (m *Model) refMeta(l int) []*kvshare.Page {
	set := slices.Clone(m.metaPages[l])
	for _, pg := range set {
		m.pages.pool.Ref(pg)
	}
	return set
}

// sameMeta reports whether the pages of set hold c's first rows meta rows, bit for bit.
func sameMeta(set []*kvshare.Page, c *kvCache, rows int) bool {
	meta := c.metaKV()
	return rows == meta.rows(c.kw) && sameRows(set, c.pg.rows, meta, c.kw, c.vw)
}
