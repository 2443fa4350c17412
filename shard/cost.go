package shard

import "github.com/hymbaserve/hymbaserve/model"

// Kind says what a LayerCost entry describes.
type Kind string

// Kinds of LayerCost entries. A decoder layer is global, a sliding-window KV owner (a reuse-group
// producer or a layer outside every group) or a KV consumer.
const (
	KindGlobal   Kind = "global"
	KindWindow   Kind = "window"
	KindConsumer Kind = "consumer"
	KindEmbed    Kind = "embed"
	KindHead     Kind = "head"
)

// LayerCost is the planner's cost of one part of the model. See docs/planner.md for the formulas.
type LayerCost struct {
	Kind  Kind `json:"kind"`
	Layer int  `json:"layer"` // decoder layer index; -1 for the embedding and the head
	// WeightBytes is the size of the part's weights at Options.WeightBytes per value.
	WeightBytes int64 `json:"weight_bytes"`
	// StateBytesPerSeq is the cache one sequence holds at Options.ContextLen rows: K/V rows
	// (none for consumers, at most window + meta rows for window layers) plus conv and SSM state.
	StateBytesPerSeq int64 `json:"state_bytes_per_seq"`
	// FLOPsPerToken is the compute for one decoded token at a full context of ContextLen rows.
	FLOPsPerToken float64 `json:"flops_per_token"`
}

// LayerCosts returns the cost of every decoder layer, indexed by layer, followed by the embedding
// (index L) and the head (index L+1), where L = cfg.NumHiddenLayers. The head is tied to the
// embedding: a worker holding both holds the V×H matrix once (see stageMem). LayerCosts does not
// validate opt; NewPlan does.
func LayerCosts(cfg *model.Config, opt Options) []LayerCost {
	d := dimsOf(cfg, opt)
	out := make([]LayerCost, 0, cfg.NumHiddenLayers+2)
	for l := range cfg.NumHiddenLayers {
		out = append(out, d.layer(cfg, l))
	}
	vh := d.V * d.H
	out = append(out,
		LayerCost{Kind: KindEmbed, Layer: -1, WeightBytes: (vh + d.M*d.H) * d.wb},
		LayerCost{Kind: KindHead, Layer: -1, WeightBytes: (vh + d.H) * d.wb, FLOPsPerToken: float64(2 * vh)},
	)
	return out
}

// dims are the config's sizes as int64, named as in hymba-architecture.md §3.
type dims struct {
	H, I, V, M, D, N, K, R, nh, nkv, hd, vd, W int64
	ctx, wb, sb, kb                            int64
}

func dimsOf(cfg *model.Config, opt Options) dims {
	return dims{
		H: int64(cfg.HiddenSize), I: int64(cfg.IntermediateSize), V: int64(cfg.VocabSize),
		M: int64(cfg.NumMemoryTokens), D: int64(cfg.Inner()), N: int64(cfg.MambaDState),
		K: int64(cfg.MambaDConv), R: int64(cfg.MambaDtRank), nh: int64(cfg.NumAttentionHeads),
		nkv: int64(cfg.NumKeyValueHeads), hd: int64(cfg.HeadDim()), vd: int64(cfg.VDim()),
		W: int64(cfg.SlidingWindow), ctx: int64(opt.ContextLen), wb: int64(opt.WeightBytes),
		sb: opt.stateBytes(), kb: opt.kvBytes(),
	}
}

func (d dims) layer(cfg *model.Config, l int) LayerCost {
	kind, rows := KindWindow, min(d.W+d.M, d.ctx)
	if cfg.IsGlobal(l) {
		kind, rows = KindGlobal, d.ctx
	}
	kvRows := rows
	if !cfg.OwnsKV(l) {
		kind, kvRows = KindConsumer, 0
	}
	linear, other := d.layerParams(cfg.OwnsKV(l))
	kvValues := kvRows * d.nkv * (d.hd + d.vd)
	flops := 2*linear + 2*d.nh*(d.hd+d.vd)*rows + 2*d.D*d.K + 8*d.D*d.N
	return LayerCost{
		Kind: kind, Layer: l,
		WeightBytes:      (linear + other) * d.wb,
		StateBytesPerSeq: kvValues*d.kb + (d.D*d.K+d.D*d.N)*d.sb,
		FLOPsPerToken:    float64(flops),
	}
}

// layerParams counts one decoder layer's parameters (hymba-architecture.md §2): those of
// matrix products, which cost 2 FLOPs each per token, and the rest (norms, conv, biases, A, D).
func (d dims) layerParams(ownsKV bool) (linear, other int64) {
	inRows := d.H + 2*d.D // q, x, z
	if ownsKV {
		inRows += d.nkv * (d.hd + d.vd) // k, v
	}
	linear = inRows*d.H + // in_proj
		(d.R+2*d.N)*d.D + // x_proj
		d.D*d.R + // dt_proj
		d.H*d.D + // out_proj
		3*d.H*d.I // gate, up, down
	other = 2*d.H + 2*d.D + d.R + 2*d.N + // input, pre_moe, pre_avg 1/2, dt, B, C norms
		d.D*d.K + d.D + // conv1d weight, bias
		d.D + // dt_proj bias
		d.D*d.N + d.D // A_log, D
	return linear, other
}
