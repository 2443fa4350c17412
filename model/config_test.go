package model

import (
	"strings"
	"testing"
)

func TestHymba15BConfig(t *testing.T) {
	c := Hymba15B()
	if c.HeadDim() != 64 || c.Inner() != 3200 || c.VDim() != 128 {
		t.Fatalf("derived dims hd=%d D=%d vd=%d, want 64/3200/128", c.HeadDim(), c.Inner(), c.VDim())
	}
	var owners int
	for l := range c.NumHiddenLayers {
		if c.OwnsKV(l) {
			owners++
		}
	}
	if owners != 17 {
		t.Fatalf("%d KV-owning layers, want 17 (3 global + 14 groups)", owners)
	}
	if c.KVProducer(18) != 16 || c.KVProducer(2) != 1 || c.KVProducer(15) != 15 {
		t.Fatal("kv_reuse_group producers wrong")
	}
}

// TestConfigRefusesUnsupported checks that every option the engine does not implement is
// refused with an error naming its key.
func TestConfigRefusesUnsupported(t *testing.T) {
	cases := map[string]string{
		`"num_experts": 4`:                      "num_experts",
		`"kq_norm": "rms"`:                      "kq_norm",
		`"memory_tokens_interspersed_every": 2`: "memory_tokens_interspersed_every",
		`"rope_type": "dynamic_ntk"`:            "rope_type",
		`"rope": false`:                         "rope",
		`"tie_word_embeddings": false`:          "tie_word_embeddings",
		`"hidden_size": -5`:                     "hidden_size",
		`"num_key_value_heads": 4`:              "num_key_value_heads",
		`"global_attn_idx": [0, 99]`:            "global_attn_idx",
		`"kv_reuse_group": [[1]]`:               "kv_reuse_group",
		`"kv_reuse_group": [[0, 1]]`:            "kv_reuse_group",
		`"layer_type": ["h", "m"]`:              "layer_type",
		`"hidden_size": "big"`:                  "hidden_size",
	}
	for edit, key := range cases {
		body := patchJSON(t, hymba15BJSON, edit)
		_, err := ParseConfig([]byte(body))
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: error %v does not name %q", edit, err, key)
		}
	}
	if _, err := ParseConfig([]byte(`{"hidden_size": 16,`)); err == nil {
		t.Error("truncated JSON accepted")
	}
}

// patchJSON sets one key of a JSON object by appending it (the decoder keeps the last value).
func patchJSON(t *testing.T, body, kv string) string {
	t.Helper()
	i := strings.LastIndex(body, "}")
	return body[:i] + "," + kv + "}"
}
