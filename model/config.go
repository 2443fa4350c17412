package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Config is a Hymba config.json. Every key of the real checkpoint's config is listed; keys that do
// not affect inference are kept so that a config round-trips.
type Config struct {
	Architectures             []string        `json:"architectures"`
	ModelType                 string          `json:"model_type"`
	HiddenSize                int             `json:"hidden_size"`
	NumHiddenLayers           int             `json:"num_hidden_layers"`
	NumAttentionHeads         int             `json:"num_attention_heads"`
	NumKeyValueHeads          int             `json:"num_key_value_heads"`
	AttnHiddenSize            int             `json:"attn_hidden_size"`
	KQHeadDim                 int             `json:"kq_head_dim"`
	VHeadDim                  int             `json:"v_head_dim"`
	KQNorm                    string          `json:"kq_norm"`
	IntermediateSize          int             `json:"intermediate_size"`
	HiddenAct                 string          `json:"hidden_act"`
	MLPHiddenAct              string          `json:"mlp_hidden_act"`
	MambaExpand               int             `json:"mamba_expand"`
	MambaDState               int             `json:"mamba_d_state"`
	MambaDConv                int             `json:"mamba_d_conv"`
	MambaDtRank               int             `json:"mamba_dt_rank"`
	MambaConvBias             bool            `json:"mamba_conv_bias"`
	MambaProjBias             bool            `json:"mamba_proj_bias"`
	MambaInnerLayernorms      bool            `json:"mamba_inner_layernorms"`
	NumMamba                  int             `json:"num_mamba"`
	ConvDim                   map[string]int  `json:"conv_dim"`
	NumExperts                int             `json:"num_experts"`
	NumExpertsPerTok          int             `json:"num_experts_per_tok"`
	VocabSize                 int             `json:"vocab_size"`
	NumMemoryTokens           int             `json:"num_memory_tokens"`
	MemoryTokensInterspersed  int             `json:"memory_tokens_interspersed_every"`
	SlidingWindow             int             `json:"sliding_window"`
	GlobalAttnIdx             []int           `json:"global_attn_idx"`
	KVReuseGroup              [][]int         `json:"kv_reuse_group"`
	KVReuseEveryILayer        int             `json:"kv_reuse_every_i_layer"`
	KVWeightReuse             bool            `json:"kv_weight_reuse"`
	LayerType                 []string        `json:"layer_type"`
	Rope                      bool            `json:"rope"`
	RopeType                  string          `json:"rope_type"`
	RopeTheta                 float64         `json:"rope_theta"`
	MaxPositionEmbeddings     int             `json:"max_position_embeddings"`
	OrigMaxPositionEmbeddings int             `json:"orig_max_position_embeddings"`
	SeqLength                 int             `json:"seq_length"`
	RMSNormEps                float64         `json:"rms_norm_eps"`
	TieWordEmbeddings         bool            `json:"tie_word_embeddings"`
	AttnImplementation        string          `json:"attn_implementation"`
	AttnImplementationNew     string          `json:"attn_implementation_new"`
	TorchDtype                string          `json:"torch_dtype"`
	BosTokenID                int             `json:"bos_token_id"`
	EosTokenID                int             `json:"eos_token_id"`
	PadTokenID                int             `json:"pad_token_id"`
	UseCache                  bool            `json:"use_cache"`
	CalcLogitsForEntirePrompt bool            `json:"calc_logits_for_entire_prompt"`
	InitializerRange          float64         `json:"initializer_range"`
	RouterAuxLossCoef         float64         `json:"router_aux_loss_coef"`
	OutputRouterLogits        bool            `json:"output_router_logits"`
	AttentionDropout          float64         `json:"attention_dropout"`
	UseMambaKernels           bool            `json:"use_mamba_kernels"`
	TransformersVersion       string          `json:"transformers_version"`
	AutoMap                   json.RawMessage `json:"auto_map,omitempty"`
}

// LoadConfig reads and validates dir/config.json (or a config file path).
func LoadConfig(path string) (*Config, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "config.json")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig decodes and validates a config.json body. Absent keys take the defaults of the
// official HymbaConfig for the keys that matter to inference.
func ParseConfig(b []byte) (*Config, error) {
	c := defaultConfig()
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("config: %w", jsonKeyError(err))
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func defaultConfig() *Config {
	return &Config{
		AttnHiddenSize: -1, KQHeadDim: -1, KQNorm: "none", NumExperts: 1, NumExpertsPerTok: 1,
		NumMamba: 1, MambaExpand: 2, MambaDState: 16, MambaDConv: 4, MambaConvBias: true,
		MambaInnerLayernorms: true, HiddenAct: "silu", MLPHiddenAct: "silu", Rope: true,
		RopeType: "ntk", RopeTheta: 10000, RMSNormEps: 1e-6, TieWordEmbeddings: true,
		KVReuseEveryILayer: -1, BosTokenID: 1, EosTokenID: 2,
	}
}

func jsonKeyError(err error) error {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return fmt.Errorf("key %q: expected %s, got %s", te.Field, te.Type, te.Value)
	}
	return err
}
