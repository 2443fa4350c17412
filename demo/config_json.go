package demo

// configJSON is the demo checkpoint's config.json.
const configJSON = `{
 "architectures": [
  "HymbaForCausalLM"
 ],
 "attention_dropout": 0.0,
 "attn_hidden_size": -1,
 "attn_implementation": "flex",
 "attn_implementation_new": "flex",
 "auto_map": {
  "AutoConfig": "configuration_hymba.HymbaConfig",
  "AutoModelForCausalLM": "modeling_hymba.HymbaForCausalLM"
 },
 "bos_token_id": 1,
 "calc_logits_for_entire_prompt": false,
 "conv_dim": {
  "0": 320,
  "1": 320,
  "2": 320,
  "3": 320,
  "4": 320,
  "5": 320,
  "6": 320,
  "7": 320,
  "8": 320,
  "9": 320,
  "10": 320,
  "11": 320,
  "12": 320,
  "13": 320,
  "14": 320,
  "15": 320,
  "16": 320,
  "17": 320,
  "18": 320,
  "19": 320,
  "20": 320,
  "21": 320,
  "22": 320,
  "23": 320,
  "24": 320,
  "25": 320,
  "26": 320,
  "27": 320,
  "28": 320,
  "29": 320,
  "30": 320,
  "31": 320
 },
 "eos_token_id": 2,
 "global_attn_idx": [
  0,
  15,
  31
 ],
 "hidden_act": "silu",
 "hidden_size": 160,
 "initializer_range": 0.02,
 "intermediate_size": 352,
 "kq_head_dim": -1,
 "kq_norm": "none",
 "kv_reuse_every_i_layer": -1,
 "kv_reuse_group": [
  [
   1,
   2
  ],
  [
   3,
   4
  ],
  [
   5,
   6
  ],
  [
   7,
   8
  ],
  [
   9,
   10
  ],
  [
   11,
   12
  ],
  [
   13,
   14
  ],
  [
   16,
   17,
   18
  ],
  [
   19,
   20
  ],
  [
   21,
   22
  ],
  [
   23,
   24
  ],
  [
   25,
   26
  ],
  [
   27,
   28
  ],
  [
   29,
   30
  ]
 ],
 "kv_weight_reuse": false,
 "layer_type": [
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h",
  "h"
 ],
 "mamba_conv_bias": true,
 "mamba_d_conv": 4,
 "mamba_d_state": 16,
 "mamba_dt_rank": 10,
 "mamba_expand": 2,
 "mamba_inner_layernorms": true,
 "mamba_proj_bias": false,
 "max_position_embeddings": 8192,
 "memory_tokens_interspersed_every": 0,
 "mlp_hidden_act": "silu",
 "model_type": "hymba",
 "num_attention_heads": 5,
 "num_experts": 1,
 "num_experts_per_tok": 1,
 "num_hidden_layers": 32,
 "num_key_value_heads": 1,
 "num_mamba": 1,
 "num_memory_tokens": 128,
 "orig_max_position_embeddings": 2048,
 "output_router_logits": false,
 "pad_token_id": 0,
 "rms_norm_eps": 1e-06,
 "rope": true,
 "rope_theta": 10000.0,
 "rope_type": "ntk",
 "router_aux_loss_coef": 0.001,
 "seq_length": 8192,
 "sliding_window": 1024,
 "tie_word_embeddings": true,
 "torch_dtype": "bfloat16",
 "transformers_version": "4.44.0",
 "use_cache": false,
 "use_mamba_kernels": true,
 "v_head_dim": 64,
 "vocab_size": 32001
}`
