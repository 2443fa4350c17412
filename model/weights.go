package model

import (
	"sync"

	"github.com/hymbaserve/hymbaserve/kernels"
	"github.com/hymbaserve/hymbaserve/kvshare"
)

// Layer holds one decoder layer's weights. Shapes for the real model in comments
// (H=1600, D=3200, N=16, K=4, R=100, I=5504).
type Layer struct {
	Index    int
	Global   bool // full causal attention (else sliding window)
	OwnsKV   bool // computes K/V (global, producer or ungrouped); else reads Producer's cache
	Producer int  // layer whose KV cache this layer reads

	InputNorm []float32       // [H]
	InProj    *kernels.Matrix // [H + kw + vw + 2D, H] owners, [H + 2D, H] consumers
	ConvW     []float32       // [D, K]
	ConvB     []float32       // [D]
	XProj     *kernels.Matrix // [R + 2N, D]
	DtProj    *kernels.Matrix // [D, R]
	DtBias    []float32       // [D]
	A         []float32       // [D, N] = −exp(A_log)
	Dskip     []float32       // [D]
	DtNorm    []float32       // [R]
	BNorm     []float32       // [N]
	CNorm     []float32       // [N]
	AttnNorm  []float32       // [D] pre_avg_layernorm1
	SSMNorm   []float32       // [D] pre_avg_layernorm2
	OutProj   *kernels.Matrix // [H, D]
	MLPNorm   []float32       // [H] pre_moe_layernorm
	Gate, Up  *kernels.Matrix // [I, H]
	Down      *kernels.Matrix // [H, I]
}

// Model is a Hymba model, or the part of it that one pipeline stage runs: layers [First, Last),
// the embedding when First == 0 and the final norm and tied head when Last == NumHiddenLayers.
type Model struct {
	Cfg         *Config
	First, Last int
	Embed       *kernels.Matrix // [V, H]; also the tied LM head
	Meta        []float32       // [M, H] meta tokens
	FinalNorm   []float32       // [H]
	Layers      []*Layer        // Layers[i] is layer First+i
	Tracer      Tracer          // optional: receives intermediate values
	invFreq     []float32       // [hd/2]
	metaMu      sync.Mutex
	metaState   *SeqState               // a sequence after the meta tokens only (see metaTemplate)
	metaOut     []float32               // [M, H] the meta rows' output
	metaPages   map[int][]*kvshare.Page // the part's shared meta K/V pages by layer (metaMu)
	pagerOnce   sync.Once
	pages       *pager        // source of K/V pages (see pager)
	kvDType     kvshare.DType // type of the K/V cache values (LoadOptions.KVDType)
	dims        dims
}

// dims are the derived sizes the forward pass uses.
type dims struct {
	H, D, N, K, R, I, V, M, W int
	heads, kvHeads, hd, vd    int
	kw, vw                    int // K and V row widths: kvHeads·hd, kvHeads·vd
	eps                       float32
}

func newDims(c *Config) dims {
	d := dims{
		H: c.HiddenSize, D: c.Inner(), N: c.MambaDState, K: c.MambaDConv, R: c.MambaDtRank,
		I: c.IntermediateSize, V: c.VocabSize, M: c.NumMemoryTokens, W: c.SlidingWindow,
		heads: c.NumAttentionHeads, kvHeads: c.NumKeyValueHeads, hd: c.HeadDim(), vd: c.VDim(),
		eps: float32(c.RMSNormEps),
	}
	d.kw, d.vw = d.kvHeads*d.hd, d.kvHeads*d.vd
	return d
}

// HasEmbed reports whether this model part embeds tokens (it runs the first layer).
func (m *Model) HasEmbed() bool { return m.First == 0 }

// HasHead reports whether this model part produces logits (it runs the last layer).
func (m *Model) HasHead() bool { return m.Last == m.Cfg.NumHiddenLayers }

// layer returns the weights of absolute layer l (which must be loaded).
func (m *Model) layer(l int) *Layer { return m.Layers[l-m.First] }

// WeightBytes is the size of the weights this part holds in memory, the embedding counted once:
// what a decode step reads.
func (m *Model) WeightBytes() int64 {
	var n int64
	vec := func(vs ...[]float32) {
		for _, v := range vs {
			n += int64(len(v)) * 4
		}
	}
	if m.Embed != nil {
		n += m.Embed.Bytes()
	}
	vec(m.Meta, m.FinalNorm)
	for _, l := range m.Layers {
		for _, w := range []*kernels.Matrix{l.InProj, l.XProj, l.DtProj, l.OutProj, l.Gate, l.Up, l.Down} {
			n += w.Bytes()
		}
		vec(l.InputNorm, l.ConvW, l.ConvB, l.DtBias, l.A, l.Dskip, l.DtNorm, l.BNorm, l.CNorm, l.AttnNorm, l.SSMNorm, l.MLPNorm)
	}
	return n
}
