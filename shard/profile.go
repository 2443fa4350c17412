package shard

import "github.com/hymbaserve/hymbaserve/model"

// profile is the model's cost in the form the partitioner needs: prefix sums over layers, so a
// stage's cost is two subtractions, and the boundaries a stage may start or end on.
type profile struct {
	layers  int
	pts     []int     // Boundaries(cfg)
	weights []int64   // weights[l] = weight bytes of layers [0, l)
	state   []int64   // state[l] = state bytes per sequence of layers [0, l)
	flops   []float64 // flops[l] = FLOPs per token of layers [0, l)
	embed   LayerCost
	head    LayerCost
	tied    int64 // bytes of the V×H matrix that embedding and head share
	seqs    int64
}

func newProfile(cfg *model.Config, opt Options) *profile {
	costs := LayerCosts(cfg, opt)
	L := cfg.NumHiddenLayers
	p := &profile{
		layers: L, pts: Boundaries(cfg),
		weights: make([]int64, L+1), state: make([]int64, L+1), flops: make([]float64, L+1),
		embed: costs[L], head: costs[L+1],
		tied: int64(cfg.VocabSize) * int64(cfg.HiddenSize) * int64(opt.WeightBytes),
		seqs: int64(opt.MaxSeqs),
	}
	for l, c := range costs[:L] {
		p.weights[l+1] = p.weights[l] + c.WeightBytes
		p.state[l+1] = p.state[l] + c.StateBytesPerSeq
		p.flops[l+1] = p.flops[l] + c.FLOPsPerToken
	}
	return p
}

// stageMem is the memory a stage holding layers [a, b) needs: weights plus state for every
// sequence, plus the embedding on the first stage and the head on the last. A single stage holds
// the tied V×H matrix once; a first and a last stage on different workers each hold a copy.
func (p *profile) stageMem(a, b int, first, last bool) int64 {
	m := p.weights[b] - p.weights[a] + p.seqs*(p.state[b]-p.state[a])
	if first {
		m += p.embed.WeightBytes
	}
	if last {
		m += p.head.WeightBytes
	}
	if first && last {
		m -= p.tied
	}
	return m
}

// stageFLOPs is the compute per decoded token of a stage holding layers [a, b).
func (p *profile) stageFLOPs(a, b int, first, last bool) float64 {
	f := p.flops[b] - p.flops[a]
	if first {
		f += p.embed.FLOPsPerToken
	}
	if last {
		f += p.head.FLOPsPerToken
	}
	return f
}

// weightBytes is one copy of the model's weights.
func (p *profile) weightBytes() int64 {
	return p.stageMem(0, p.layers, true, true) - p.seqs*p.statePerSeq()
}

// statePerSeq is one sequence's state over all layers.
func (p *profile) statePerSeq() int64 { return p.state[p.layers] }

// maxStages is the deepest pipeline the kv_reuse_group boundaries allow.
func (p *profile) maxStages() int { return len(p.pts) - 1 }
