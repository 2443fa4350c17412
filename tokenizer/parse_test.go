package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// obj walks a path of object keys and array indexes in a tinyJSON tree.
func obj(v any, path ...any) map[string]any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v.(map[string]any)
}

// TestParseErrors breaks one field at a time and checks that the error names it.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(j map[string]any)
		field string
	}{
		{"unknown top-level key", func(j map[string]any) { j["extra"] = 1 }, `tokenizer.json: json: unknown field "extra"`},
		{"version", func(j map[string]any) { j["version"] = "2.0" }, "version"},
		{"truncation", func(j map[string]any) { j["truncation"] = map[string]any{"max_length": 8} }, "truncation"},
		{"padding", func(j map[string]any) { j["padding"] = map[string]any{} }, "padding"},
		{"pre_tokenizer", func(j map[string]any) { j["pre_tokenizer"] = map[string]any{"type": "Metaspace"} }, "pre_tokenizer"},
		{"model missing", func(j map[string]any) { delete(j, "model") }, "model: missing"},
		{"model type", func(j map[string]any) { obj(j, "model")["type"] = "Unigram" }, `model.type: unsupported "Unigram"`},
		{"model field type", func(j map[string]any) { obj(j, "model")["fuse_unk"] = "yes" }, "model: json: cannot unmarshal"},
		{"model unknown key", func(j map[string]any) { obj(j, "model")["vocab_size"] = 3 }, `model: json: unknown field "vocab_size"`},
		{"dropout", func(j map[string]any) { obj(j, "model")["dropout"] = 0.1 }, "model.dropout"},
		{"prefix", func(j map[string]any) { obj(j, "model")["continuing_subword_prefix"] = "##" }, "model.continuing_subword_prefix"},
		{"suffix", func(j map[string]any) { obj(j, "model")["end_of_word_suffix"] = "</w>" }, "model.end_of_word_suffix"},
		{"ignore_merges", func(j map[string]any) { obj(j, "model")["ignore_merges"] = true }, "model.ignore_merges"},
		{"unk_token", func(j map[string]any) { obj(j, "model")["unk_token"] = "<oov>" }, "model.unk_token"},
		{"vocab empty", func(j map[string]any) { obj(j, "model")["vocab"] = map[string]any{} }, "model.vocab: missing or empty"},
		{"vocab id range", func(j map[string]any) { obj(j, "model", "vocab")["zz"] = 99999 }, `model.vocab["zz"]: id 99999 out of range`},
		{"vocab negative", func(j map[string]any) { obj(j, "model", "vocab")["a"] = -1 }, `model.vocab["a"]: id -1`},
		{"vocab duplicate id", func(j map[string]any) { obj(j, "model", "vocab")["a"] = 261 }, "also used by"},
		{"merge form", func(j map[string]any) { obj(j, "model")["merges"] = []any{"a a", "ab"} }, "model.merges[1]: want"},
		{"merge unknown", func(j map[string]any) { obj(j, "model")["merges"] = []any{"a a", "b b"} }, `model.merges[1]: "bb" is not in model.vocab`},
		{"merge pair form", func(j map[string]any) { obj(j, "model")["merges"] = []any{[]any{"a", "a"}, []any{"x"}} }, "model.merges[1]"},
		{"added id", func(j map[string]any) { obj(j, "added_tokens", 3)["id"] = 300 }, `added_tokens[3]: "[PAD]" has id 300`},
		{"added gap", func(j map[string]any) {
			j["added_tokens"] = append(j["added_tokens"].([]any), map[string]any{"id": 300, "content": "<new>"})
		}, "added_tokens[4]: id 300 of \"<new>\" is not the next free id 268"},
		{"added clash", func(j map[string]any) { obj(j, "added_tokens", 0)["id"] = 5 }, `added_tokens[0]: "<unk>" has id 5`},
		{"added content", func(j map[string]any) { delete(obj(j, "added_tokens", 1), "content") }, "added_tokens[1]"},
		{"no eos", func(j map[string]any) { obj(j, "added_tokens", 2)["special"] = false }, `no special "</s>"`},
		{"normalizer type", func(j map[string]any) { obj(j, "normalizer", "normalizers", 0)["type"] = "NFKC" }, `normalizer.normalizers[0].type: unsupported normalizer "NFKC"`},
		{"normalizer regex", func(j map[string]any) {
			obj(j, "normalizer", "normalizers", 1)["pattern"] = map[string]any{"Regex": " +"}
		}, "normalizer.normalizers[1].pattern.Regex"},
		{"normalizer key", func(j map[string]any) { obj(j, "normalizer", "normalizers", 0)["lowercase"] = true }, "normalizer.normalizers[0]: json: unknown field"},
		{"decoder missing", func(j map[string]any) { j["decoder"] = nil }, "decoder: missing"},
		{"decoder type", func(j map[string]any) { obj(j, "decoder")["type"] = "Metaspace" }, "decoder.type"},
		{"decoder step", func(j map[string]any) { obj(j, "decoder", "decoders", 2)["type"] = "CTC" }, `decoder.decoders[2].type: unsupported "CTC"`},
		{"decoder count", func(j map[string]any) {
			d := obj(j, "decoder")
			d["decoders"] = d["decoders"].([]any)[:3]
		}, "decoder.decoders: want the 4 steps"},
		{"strip stop", func(j map[string]any) { obj(j, "decoder", "decoders", 3)["stop"] = 1 }, "decoder.decoders[3].stop"},
		{"strip content", func(j map[string]any) { obj(j, "decoder", "decoders", 3)["content"] = "ab" }, "decoder.decoders[3].content"},
		{"fuse params", func(j map[string]any) { obj(j, "decoder", "decoders", 2)["start"] = 1 }, "decoder.decoders[2].start: not a parameter of Fuse"},
		{"replace params", func(j map[string]any) { obj(j, "decoder", "decoders", 0)["stop"] = 0 }, "decoder.decoders[0].stop: not a parameter of Replace"},
		{"prepend params", func(j map[string]any) { obj(j, "normalizer", "normalizers", 0)["content"] = "x" }, "normalizer.normalizers[0].content: not a parameter of Prepend"},
		{"prepend empty", func(j map[string]any) { obj(j, "normalizer", "normalizers", 0)["prepend"] = "" }, "normalizer.normalizers[0].prepend"},
		{"post type", func(j map[string]any) { obj(j, "post_processor")["type"] = "ByteLevel" }, "post_processor.type"},
		{"post missing", func(j map[string]any) { j["post_processor"] = nil }, "post_processor: missing"},
		{"post single", func(j map[string]any) {
			p := obj(j, "post_processor")
			p["single"] = p["single"].([]any)[1:]
		}, "post_processor.single"},
		{"post ids", func(j map[string]any) { obj(j, "post_processor", "special_tokens", "<s>")["ids"] = []any{1, 2} }, `post_processor.special_tokens["<s>"]`},
		{"post id range", func(j map[string]any) { obj(j, "post_processor", "special_tokens", "<s>")["ids"] = []any{70000} }, "out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j := tinyJSON()
			c.edit(j)
			_, err := Parse(mustJSON(t, j))
			if err == nil {
				t.Fatalf("Parse accepted the broken file; want an error naming %q", c.field)
			}
			if !strings.HasPrefix(err.Error(), "tokenizer: ") || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("error %q does not name %q", err, c.field)
			}
		})
	}
}

func TestParseMalformedJSON(t *testing.T) {
	good := mustJSON(t, tinyJSON())
	for _, b := range [][]byte{nil, []byte("{"), []byte("[]"), []byte(`{"model": 5}`), good[:len(good)/2], append(good, good...)} {
		if _, err := Parse(b); err == nil || !strings.HasPrefix(err.Error(), "tokenizer: ") {
			t.Errorf("Parse(%.30q) = %v, want a tokenizer error", b, err)
		}
	}
}

func TestLoadNamesFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.json")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(missing) error %v does not name the file", err)
	}
	bad := filepath.Join(dir, "tokenizer.json")
	j := tinyJSON()
	obj(j, "model")["type"] = "WordPiece"
	if err := os.WriteFile(bad, mustJSON(t, j), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(bad)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "model.type") {
		t.Errorf("Load(bad) error %v does not name the file and the field", err)
	}
}

// FuzzParse feeds mutated tokenizer files to Parse: it must never panic, errors must carry
// the package prefix, and a file it accepts must encode and decode without panicking.
func FuzzParse(f *testing.F) {
	f.Add(mustJSON(f, tinyJSON()))
	f.Add([]byte(`{"version":"1.0","model":{"type":"BPE","vocab":{"a":0},"merges":["a a"]}}`))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":-7}}}`))
	f.Add([]byte(`{"decoder":{"type":"Sequence","decoders":[{"type":"Strip","content":"","start":-1}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := Parse(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "tokenizer: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		ids := tok.Encode("a b\xff é", true)
		for _, id := range ids {
			if id < 0 || id >= tok.VocabSize() {
				t.Fatalf("Encode produced id %d outside [0, %d)", id, tok.VocabSize())
			}
		}
		tok.Decode(append(ids, -1, tok.VocabSize()))
	})
}
