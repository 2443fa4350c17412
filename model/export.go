package model

import (
	"errors"
	"fmt"

	"github.com/hymbaserve/hymbaserve/kvshare"
)

// SeqExport is one sequence's state for a range of layers, as it moves between workers: the
// conv and SSM state of each layer and the K/V rows (meta rows, then the held text rows) of
// each KV-owning layer. Together with the sequence's position it is everything a stage needs to
// continue the sequence exactly.
type SeqExport struct {
	ID                uint64
	Pos               int
	Started, Decoding bool
	// KVDType is the type of the K/V rows, the exporting part's (Model.KVDType): F32 rows are in
	// LayerExport.K and V, BF16 rows (bfloat16 bits, as the pages hold them) in K16 and V16. A
	// part imports only rows of its own dtype: rows are never converted.
	KVDType kvshare.DType
	Layers  []LayerExport
}

// LayerExport is one layer's part of a SeqExport.
type LayerExport struct {
	Layer     int
	Conv, SSM []float32
	// KV rows, owning layers only: Meta meta rows, then N text rows at positions Start…
	HasKV          bool
	Meta, Start, N int
	K, V           []float32 // float32 rows (SeqExport.KVDType F32)
	K16, V16       []uint16  // bf16 rows (SeqExport.KVDType BF16)
	// MetaOmitted: K and V hold only the text rows; the importing part references its own
	// shared meta pages (set up by an earlier import or its meta template), so a batch of
	// sequences carries the meta rows once, not once per sequence.
	MetaOmitted bool
}

// OmitMeta drops the meta rows from e's layers (see LayerExport.MetaOmitted).
func (m *Model) OmitMeta(e *SeqExport) {
	d := m.dims
	for i := range e.Layers {
		le := &e.Layers[i]
		if le.HasKV && !le.MetaOmitted {
			rows := le.rows()
			text := rows.slice(le.Meta, rows.rows(d.kw)-le.Meta, d.kw, d.vw)
			le.K, le.V, le.K16, le.V16, le.MetaOmitted = text.k, text.v, text.k16, text.v16, true
		}
	}
}

// ExportSeq copies s's state for layers [first, last) of this part.
func (m *Model) ExportSeq(s *SeqState, first, last int) (*SeqExport, error) {
	if first < m.First || last > m.Last || first >= last {
		return nil, fmt.Errorf("model: export of layers [%d,%d) from a part holding [%d,%d)", first, last, m.First, m.Last)
	}
	if s.released {
		return nil, fmt.Errorf("model: export of sequence %d: its state was released", s.ID)
	}
	e := &SeqExport{ID: s.ID, Pos: s.Pos, Started: s.Started, Decoding: s.Decoding, KVDType: m.kvDType}
	for l := first; l < last; l++ {
		li := l - m.First
		le := LayerExport{Layer: l, Conv: append([]float32(nil), s.conv[li]...), SSM: append([]float32(nil), s.ssm[li]...)}
		if c, ok := s.kv[l]; ok {
			le.HasKV, le.Meta, le.Start, le.N = true, c.m, c.start, c.n
			rows := c.metaKV().cat(c.textKV())
			le.K, le.V, le.K16, le.V16 = rows.k, rows.v, rows.k16, rows.v16
		}
		e.Layers = append(e.Layers, le)
	}
	return e, nil
}

// rows returns the layer's exported K/V rows.
func (le *LayerExport) rows() kvRows { return kvRows{k: le.K, v: le.V, k16: le.K16, v16: le.V16} }

// metaKV returns copies of the meta rows, in the cache's dtype.
func (c *kvCache) metaKV() kvRows { return c.gather(c.meta, 0, c.m) }

// textKV returns copies of the held text rows, in position order, in the cache's dtype.
func (c *kvCache) textKV() kvRows {
	return c.gather(c.pages, c.start-c.first*c.pg.rows, c.n)
}

// textRows returns copies of the held text rows of K and of V as float32 (bf16 rows widened
// exactly).
func (c *kvCache) textRows() (k, v []float32) { return c.textKV().float32() }

// gather copies n rows of the pages, starting at row from of the first page, in the cache's
// dtype.
func (c *kvCache) gather(pages []*kvshare.Page, from, n int) kvRows {
	var r kvRows
	if c.pg.pool.DType() == kvshare.BF16 {
		r.k16, r.v16 = gatherRows(pages, pageBF16, from, n, c.pg.rows, c.kw, c.vw)
	} else {
		r.k, r.v = gatherRows(pages, pageF32, from, n, c.pg.rows, c.kw, c.vw)
	}
	return r
}

// ImportSeq writes e's layers into s, a state of this part for the same sequence (a new one
// takes e's position). Every layer must belong to the part and agree with s's position. The K/V
// rows go to pages of the part's pool: the meta rows reference the part's shared meta pages when
// they are bit-identical (the part's own meta template, or the first import's rows, which
// become the shared ones), so the part holds one copy of them per layer. When the pool's budget
// has no room for the pages, the error wraps kvshare.ErrExhausted and s is unchanged. An export
// whose K/V rows are of another dtype than the part's is refused with an error wrapping
// ErrKVDType that names both.
func (m *Model) ImportSeq(s *SeqState, e *SeqExport) error {
	switch {
	case e.KVDType != m.kvDType:
		return fmt.Errorf("model: import of sequence %d: the export's K/V rows are %v, this part keeps %v K/V (rows are never converted; run both parts with the same LoadOptions.KVDType): %w",
			e.ID, e.KVDType, m.kvDType, ErrKVDType)
	case s.released:
		return fmt.Errorf("model: import of sequence %d: its state was released", e.ID)
	case len(s.conv) != len(m.Layers):
		return fmt.Errorf("model: import of sequence %d: the state is for another model part", e.ID)
	case s.Started && (s.Pos != e.Pos || s.Decoding != e.Decoding):
		return fmt.Errorf("model: sequence %d is at %d, the import at %d", s.ID, s.Pos, e.Pos)
	}
	for _, le := range e.Layers {
		if err := m.checkLayerExport(le); err != nil {
			return fmt.Errorf("model: import of sequence %d: %w", e.ID, err)
		}
	}
	pg := m.pager()
	pg.mu.Lock()
	defer pg.mu.Unlock()
	m.metaMu.Lock()
	defer m.metaMu.Unlock()
	share, need := m.importPages(e)
	for _, le := range e.Layers {
		if le.MetaOmitted && !share[le.Layer] {
			return fmt.Errorf("model: import of sequence %d: layer %d comes without its meta rows and this part has none to share", e.ID, le.Layer)
		}
	}
	if !pg.pool.Reserve(need) {
		return fmt.Errorf("model: import of sequence %d needs %d K/V pages, the pool's budget of %d bytes has no room: %w",
			e.ID, need, pg.pool.Stats().Budget, kvshare.ErrExhausted)
	}
	pg.left = need
	defer func() { pg.pool.Unreserve(pg.left); pg.left = 0 }()
	for _, le := range e.Layers {
		li := le.Layer - m.First
		copy(s.conv[li], le.Conv)
		copy(s.ssm[li], le.SSM)
		if le.HasKV {
			s.kv[le.Layer].release()
			s.kv[le.Layer] = m.importKV(le, share[le.Layer])
		}
	}
	s.Pos, s.Started, s.Decoding = e.Pos, e.Started, e.Decoding
	return nil
}

// importPages returns which layers' meta rows the part's shared meta pages hold, and the pages
// the import takes from the pool. metaMu is held.
func (m *Model) importPages(e *SeqExport) (share map[int]bool, need int) {
	d, r := m.dims, m.pager().rows
	share = map[int]bool{}
	for _, le := range e.Layers {
		if !le.HasKV {
			continue
		}
		set, ok := m.metaPages[le.Layer]
		if le.MetaOmitted {
			share[le.Layer] = ok && le.Meta == d.M // checked by ImportSeq
		} else {
			share[le.Layer] = ok && le.Meta == d.M && sameRows(set, r, le.rows().slice(0, le.Meta, d.kw, d.vw), d.kw, d.vw)
		}
		if !share[le.Layer] {
			need += ceilDiv(le.Meta, r)
		}
		if le.N > 0 {
			need += (le.Start+le.N-1)/r - le.Start/r + 1
		}
	}
	return share, need
}

// importKV builds the cache of an exported layer, referencing the shared meta pages when share
// is set, else writing the meta rows to pages of its own (which become the shared ones when the
// part has none for the layer yet). metaMu is held.
func (m *Model) importKV(le LayerExport, share bool) *kvCache {
	d := m.dims
	c := newKVCache(m.pager(), d.kw, d.vw)
	rows := le.rows()
	if share {
		c.meta, c.m = m.refMeta(le.Layer), le.Meta
	} else {
		for j := range le.Meta {
			c.putMetaRow(j, rows.slice(j, 1, d.kw, d.vw))
		}
		if _, ok := m.metaPages[le.Layer]; !ok && le.Meta == d.M {
			m.keepMeta(le.Layer, c.meta)
		}
	}
	c.start = le.Start
	first := le.Meta
	if le.MetaOmitted {
		first = 0
	}
	for j := first; j < first+le.N; j++ {
		c.appendRow(rows.slice(j, 1, d.kw, d.vw))
	}
	return c
}

// checkLayerExport checks one layer of an export of this part's K/V dtype.
func (m *Model) checkLayerExport(le LayerExport) error {
	d := m.dims
	nk, nv, other := len(le.K), len(le.V), len(le.K16)+len(le.V16)
	if m.kvDType == kvshare.BF16 {
		nk, nv, other = len(le.K16), len(le.V16), len(le.K)+len(le.V)
	}
	switch {
	case le.Layer < m.First || le.Layer >= m.Last:
		return fmt.Errorf("layer %d is not in this part [%d,%d)", le.Layer, m.First, m.Last)
	case len(le.Conv) != d.D*d.K || len(le.SSM) != d.D*d.N:
		return fmt.Errorf("layer %d: conv/SSM state of %d/%d values, want %d/%d", le.Layer, len(le.Conv), len(le.SSM), d.D*d.K, d.D*d.N)
	case le.HasKV != m.layer(le.Layer).OwnsKV:
		return fmt.Errorf("layer %d: K/V rows present=%v, the layer owns K/V=%v", le.Layer, le.HasKV, !le.HasKV)
	case other != 0:
		return fmt.Errorf("layer %d: K/V rows of another dtype than the export's %v", le.Layer, m.kvDType)
	case le.HasKV && (le.Meta < 0 || le.Meta > d.M || le.N < 0 || le.Start < 0 ||
		nk != exportRows(le)*d.kw || nv != exportRows(le)*d.vw):
		return fmt.Errorf("layer %d: K/V rows do not match their counts", le.Layer)
	case !le.HasKV && nk+nv != 0:
		return fmt.Errorf("layer %d: K/V rows on a layer without K/V", le.Layer)
	}
	return nil
}

// exportRows is the number of K/V rows an export of a layer carries.
func exportRows(le LayerExport) int {
	if le.MetaOmitted {
		return le.N
	}
	return le.Meta + le.N
}

// ErrKVDType is wrapped by the error of an import whose K/V rows are of another dtype than the
// importing part's.
var ErrKVDType = errors.New("model: K/V dtype mismatch")
