package model

import (
	"fmt"

	"github.com/hymbaserve/hymbaserve/kvshare"
)

// MaxSeqBytes is the most memory one sequence holds alone on layers [first, last) of a model of
// cfg while it is decoded up to textLen text tokens, with K/V pages of kvshare.PageRows rows:
// a global owner's pages grow with the text, a sliding-window owner's stop at the pages its W
// newest rows can straddle, a KV consumer holds none, and every layer holds its conv and SSM
// state. The part's shared meta pages are not included (one copy per part, not per sequence).
// It equals SeqState.Bytes at its peak for a sequence whose prompt is at most W tokens and whose
// other tokens are decode steps. A longer prompt holds more on window layers until its first
// decode step: a prompt chunk of C rows at position P keeps rows P−W … P+C−1 (up to ⌈C/16⌉+1
// pages more per window owner). A range outside [0, layers) is clipped. The K/V values are
// float32 (the default); MaxSeqBytesDType counts another K/V dtype.
func MaxSeqBytes(cfg *Config, first, last, textLen int) int64 {
	return MaxSeqBytesDType(cfg, kvshare.F32, first, last, textLen)
}

// MaxSeqBytesDType is MaxSeqBytes for a part whose K/V pages hold values of type dt
// (LoadOptions.KVDType): bf16 halves the K/V pages; the conv and SSM state are float32 in
// both. It panics on an unknown dt.
func MaxSeqBytesDType(cfg *Config, dt kvshare.DType, first, last, textLen int) int64 {
	if dt.Size() == 0 {
		panic(fmt.Sprintf("model: MaxSeqBytesDType: K/V dtype %v", dt))
	}
	d, r := newDims(cfg), kvshare.PageRows
	first, last, textLen = max(first, 0), min(last, cfg.NumHiddenLayers), max(textLen, 0)
	pageBytes := kvshare.PageBytes(r, d.kw, d.vw, dt)
	var n int64
	for l := first; l < last; l++ {
		n += int64(d.D*d.K+d.D*d.N) * 4
		switch {
		case !cfg.OwnsKV(l):
		case cfg.IsGlobal(l):
			n += int64(ceilDiv(textLen, r)) * pageBytes
		default:
			n += int64(windowPages(textLen, d.W, r)) * pageBytes
		}
	}
	return n
}

// windowPages is the most pages a window owner holds while a sequence is decoded to textLen
// tokens: after t tokens it holds positions [max(t−W, 0), t).
func windowPages(textLen, w, r int) int {
	held := func(t int) int { return (t-1)/r - max(t-w, 0)/r + 1 }
	most := ceilDiv(min(textLen, w), r)
	for t := w + 1; t <= min(textLen, w+r); t++ {
		most = max(most, held(t))
	}
	return most
}
