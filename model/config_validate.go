package model

import (
	"fmt"
	"slices"
)

// Validate checks that the config describes a model this engine runs exactly, and refuses
// options of the official code that the real checkpoints do not use, naming the key.
func (c *Config) Validate() error {
	pos := []struct {
		key string
		v   int
	}{
		{"hidden_size", c.HiddenSize}, {"num_hidden_layers", c.NumHiddenLayers},
		{"num_attention_heads", c.NumAttentionHeads}, {"num_key_value_heads", c.NumKeyValueHeads},
		{"intermediate_size", c.IntermediateSize}, {"vocab_size", c.VocabSize},
		{"mamba_expand", c.MambaExpand}, {"mamba_d_state", c.MambaDState},
		{"mamba_d_conv", c.MambaDConv}, {"mamba_dt_rank", c.MambaDtRank},
		{"sliding_window", c.SlidingWindow}, {"max_position_embeddings", c.MaxPositionEmbeddings},
		{"orig_max_position_embeddings", c.OrigMaxPositionEmbeddings},
	}
	for _, p := range pos {
		if p.v <= 0 {
			return fmt.Errorf("config: key %q must be positive, got %d", p.key, p.v)
		}
	}
	if c.NumMemoryTokens < 0 {
		return fmt.Errorf("config: key \"num_memory_tokens\" must not be negative, got %d", c.NumMemoryTokens)
	}
	unsupported := []struct {
		key string
		bad bool
		why string
	}{
		{"num_experts", c.NumExperts != 1, "only a single expert (plain MLP) is supported"},
		{"num_experts_per_tok", c.NumExpertsPerTok != 1, "only a single expert is supported"},
		{"kq_norm", c.KQNorm != "none" && c.KQNorm != "", "q/k normalisation is not supported"},
		{"memory_tokens_interspersed_every", c.MemoryTokensInterspersed != 0, "interspersed meta tokens are not supported"},
		{"rope", !c.Rope, "models without RoPE are not supported"},
		{"rope_type", c.RopeType != "ntk", "only the fixed \"ntk\" RoPE is supported"},
		{"num_mamba", c.NumMamba != 1, "only one SSM per layer is supported"},
		{"attn_hidden_size", c.AttnHiddenSize != -1 && c.AttnHiddenSize != c.HiddenSize, "an attention width other than hidden_size is not supported"},
		{"kq_head_dim", c.KQHeadDim != -1 && c.KQHeadDim != c.HiddenSize/c.NumAttentionHeads, "a q/k head width other than hidden_size/num_attention_heads is not supported"},
		{"kv_weight_reuse", c.KVWeightReuse, "weight reuse between layers is not supported"},
		{"kv_reuse_every_i_layer", c.KVReuseEveryILayer > 0, "use kv_reuse_group instead"},
		{"hidden_act", c.HiddenAct != "silu", "only silu is supported"},
		{"mlp_hidden_act", c.MLPHiddenAct != "silu", "only silu is supported"},
		{"mamba_proj_bias", c.MambaProjBias, "projection biases are not supported"},
		{"mamba_conv_bias", !c.MambaConvBias, "a conv without bias is not supported"},
		{"mamba_inner_layernorms", !c.MambaInnerLayernorms, "only inner layernorms = true is supported"},
		{"tie_word_embeddings", !c.TieWordEmbeddings, "an untied LM head is not supported"},
	}
	for _, u := range unsupported {
		if u.bad {
			return fmt.Errorf("config: key %q: %s", u.key, u.why)
		}
	}
	if c.HiddenSize%c.NumAttentionHeads != 0 {
		return fmt.Errorf("config: key \"num_attention_heads\": %d does not divide hidden_size %d", c.NumAttentionHeads, c.HiddenSize)
	}
	if c.NumAttentionHeads%c.NumKeyValueHeads != 0 {
		return fmt.Errorf("config: key \"num_key_value_heads\": %d does not divide num_attention_heads %d", c.NumKeyValueHeads, c.NumAttentionHeads)
	}
	if c.Inner()%c.NumAttentionHeads != 0 {
		return fmt.Errorf("config: key \"mamba_expand\": inner width %d is not a multiple of num_attention_heads %d", c.Inner(), c.NumAttentionHeads)
	}
	if c.HeadDim() <= 2 || c.HeadDim()%2 != 0 {
		return fmt.Errorf("config: key \"num_attention_heads\": head width %d must be even and > 2", c.HeadDim())
	}
	if len(c.LayerType) != 0 {
		if len(c.LayerType) != c.NumHiddenLayers {
			return fmt.Errorf("config: key \"layer_type\" has %d entries for %d layers", len(c.LayerType), c.NumHiddenLayers)
		}
		for i, t := range c.LayerType {
			if t != "h" {
				return fmt.Errorf("config: key \"layer_type\"[%d] = %q: only hybrid layers \"h\" are supported", i, t)
			}
		}
	}
	for _, g := range c.GlobalAttnIdx {
		if g < 0 || g >= c.NumHiddenLayers {
			return fmt.Errorf("config: key \"global_attn_idx\": layer %d out of range [0,%d)", g, c.NumHiddenLayers)
		}
	}
	seen := map[int]bool{}
	for gi, grp := range c.KVReuseGroup {
		if len(grp) < 2 {
			return fmt.Errorf("config: key \"kv_reuse_group\"[%d]: a group needs at least 2 layers", gi)
		}
		for i, l := range grp {
			if l < 0 || l >= c.NumHiddenLayers || seen[l] {
				return fmt.Errorf("config: key \"kv_reuse_group\"[%d]: layer %d out of range or repeated", gi, l)
			}
			if i > 0 && l <= grp[i-1] {
				return fmt.Errorf("config: key \"kv_reuse_group\"[%d]: layers must increase", gi)
			}
			seen[l] = true
			if c.IsGlobal(l) != c.IsGlobal(grp[0]) {
				return fmt.Errorf("config: key \"kv_reuse_group\"[%d]: layer %d and its producer %d differ in global_attn_idx", gi, l, grp[0])
			}
		}
	}
	return nil
}

// HeadDim is the q/k head width, hidden_size / num_attention_heads.
func (c *Config) HeadDim() int { return c.HiddenSize / c.NumAttentionHeads }

// Inner is the Mamba inner width D = mamba_expand · hidden_size.
func (c *Config) Inner() int { return c.MambaExpand * c.HiddenSize }

// VDim is the value head width, D / num_attention_heads (the code recomputes v_head_dim so).
func (c *Config) VDim() int { return c.Inner() / c.NumAttentionHeads }

// MaxTextTokens is the number of text tokens a sequence may hold: positions count the meta
// tokens and stay below max_position_embeddings.
func (c *Config) MaxTextTokens() int { return c.MaxPositionEmbeddings - c.NumMemoryTokens }

// IsGlobal reports whether layer l attends over the whole context.
func (c *Config) IsGlobal(l int) bool { return slices.Contains(c.GlobalAttnIdx, l) }

// KVProducer returns the layer whose KV cache layer l reads: l itself for global layers,
// producers and layers outside every reuse group, else the first layer of its group.
func (c *Config) KVProducer(l int) int {
	for _, g := range c.KVReuseGroup {
		if slices.Contains(g[1:], l) {
			return g[0]
		}
	}
	return l
}

// OwnsKV reports whether layer l computes and stores K/V (it is not a consumer).
func (c *Config) OwnsKV(l int) bool { return c.KVProducer(l) == l }
