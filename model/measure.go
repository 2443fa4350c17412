package model

import (
	"fmt"

	"github.com/hymbaserve/hymbaserve/kvshare"
)

// MeasureSeqBytes drives one sequence's state on layers [first, last) of a model of cfg through
// a one-token prompt and decode steps up to textLen text tokens, and returns the most memory it
// held, as the allocator counts it: the bytes of the pages in use in a private pool of K/V dtype
// dt, plus the conv and SSM state. It runs the K/V caches' own code (pages taken, window trims,
// pages released, page rounding) with zero rows and no weights or math, so it costs textLen
// row copies per KV-owning layer (about 0.2 s for the real model at 8K tokens). The part's
// shared meta pages are left out, as in MaxSeqBytesDType, which it equals: it is the
// allocator's cross-check of that formula (and what hymbactl bench prints next to it).
func MeasureSeqBytes(cfg *Config, dt kvshare.DType, first, last, textLen int) (int64, error) {
	first, last = max(first, 0), min(last, cfg.NumHiddenLayers)
	switch {
	case dt.Size() == 0:
		return 0, fmt.Errorf("model: MeasureSeqBytes: K/V dtype %v", dt)
	case first >= last:
		return 0, fmt.Errorf("model: MeasureSeqBytes: no layer in [%d,%d) of %d", first, last, cfg.NumHiddenLayers)
	}
	m := &Model{Cfg: cfg, First: first, Last: last, dims: newDims(cfg), kvDType: dt}
	for l := first; l < last; l++ {
		m.Layers = append(m.Layers, &Layer{Index: l, Global: cfg.IsGlobal(l), OwnsKV: cfg.OwnsKV(l), Producer: cfg.KVProducer(l)})
	}
	pool := m.Pool()
	s := m.NewSeq(1)
	defer s.Release()
	d := m.dims
	k, v := make([]float32, d.kw), make([]float32, d.vw)
	var peak int64
	for p := range max(textLen, 0) {
		g := SegRows{Text: 1, Pos: p, Decode: p > 0}
		for _, l := range m.Layers {
			if c := s.kv[l.Index]; l.OwnsKV {
				c.dropBefore(c.keepFrom(l, g, d.W))
				c.append(k, v)
			}
		}
		s.Pos++
		st := pool.Stats()
		held := int64(st.PagesUsed)*st.PageBytes + s.stateBytes()
		if b := s.Bytes(); b != held {
			return 0, fmt.Errorf("model: MeasureSeqBytes: at %d tokens the sequence counts %d bytes, the pool %d", p+1, b, held)
		}
		peak = max(peak, held)
	}
	return peak, nil
}
