package tokenizer

import (
	"encoding/json"
	"slices"
	"testing"
)

// tinyJSON returns a small, valid tokenizer.json in the Llama-2 format as a generic JSON tree,
// so tests can break one field at a time. Vocabulary: <unk> <s> </s>, the byte tokens <0x00>
// to <0xFF> (ids 3..258), then ▁ a b ▁a aa ab ▁ab ▁▁ and [PAD].
func tinyJSON() map[string]any {
	vocab := map[string]any{"<unk>": 0, "<s>": 1, "</s>": 2}
	for b := range 256 {
		vocab[byteToken(b)] = 3 + b
	}
	for i, p := range []string{"▁", "a", "b", "▁a", "aa", "ab", "▁ab", "▁▁", "[PAD]"} {
		vocab[p] = 259 + i
	}
	added := []any{}
	for _, a := range [][2]any{{0, "<unk>"}, {1, "<s>"}, {2, "</s>"}, {267, "[PAD]"}} {
		added = append(added, map[string]any{"id": a[0], "content": a[1], "single_word": false,
			"lstrip": false, "rstrip": false, "normalized": false, "special": true})
	}
	return map[string]any{
		"version": "1.0", "truncation": nil, "padding": nil, "added_tokens": added,
		"normalizer": map[string]any{"type": "Sequence", "normalizers": []any{
			map[string]any{"type": "Prepend", "prepend": "▁"},
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": " "}, "content": "▁"},
		}},
		"pre_tokenizer": nil,
		"post_processor": map[string]any{"type": "TemplateProcessing",
			"single": []any{
				map[string]any{"SpecialToken": map[string]any{"id": "<s>", "type_id": 0}},
				map[string]any{"Sequence": map[string]any{"id": "A", "type_id": 0}},
			},
			"pair":           []any{},
			"special_tokens": map[string]any{"<s>": map[string]any{"id": "<s>", "ids": []any{1}, "tokens": []any{"<s>"}}},
		},
		"decoder": map[string]any{"type": "Sequence", "decoders": []any{
			map[string]any{"type": "Replace", "pattern": map[string]any{"String": "▁"}, "content": " "},
			map[string]any{"type": "ByteFallback"},
			map[string]any{"type": "Fuse"},
			map[string]any{"type": "Strip", "content": " ", "start": 1, "stop": 0},
		}},
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": "<unk>",
			"continuing_subword_prefix": nil, "end_of_word_suffix": nil, "fuse_unk": true,
			"byte_fallback": true, "vocab": vocab,
			"merges": []any{"a a", "▁ a", "a b", "▁a b", "▁ ▁"}},
	}
}

func byteToken(b int) string {
	const hex = "0123456789ABCDEF"
	return "<0x" + string(hex[b>>4]) + string(hex[b&15]) + ">"
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func tiny(tb testing.TB) *Tokenizer {
	tb.Helper()
	tok, err := Parse(mustJSON(tb, tinyJSON()))
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// TestTinyBPE checks the merge order on a vocabulary small enough to follow by hand.
func TestTinyBPE(t *testing.T) {
	tok := tiny(t)
	const (
		sep, a, b, sepA, aa, ab, sepAB, sepSep = 259, 260, 261, 262, 263, 264, 265, 266
	)
	cases := []struct {
		text string
		want []int
	}{
		{"", nil},
		{"a", []int{sepA}},
		// "a a" (rank 0) beats "▁ a" (rank 1): ▁ aa, not ▁a a.
		{"aa", []int{sep, aa}},
		// Equal ranks merge leftmost first: ▁ aa a, then nothing joins.
		{"aaa", []int{sep, aa, a}},
		{"ab", []int{sepAB}},
		{"bab", []int{sep, b, ab}},
		// "▁ a" (rank 1) beats "▁ ▁" (rank 4): ▁ ▁a.
		{" a", []int{sep, sepA}},
		{"  ", []int{sepSep, sep}},
		// "c" is not in the vocabulary: byte fallback <0x63>; "é" gives two bytes.
		{"c", []int{sep, 3 + 'c'}},
		{"é", []int{sep, 3 + 0xC3, 3 + 0xA9}},
	}
	for _, c := range cases {
		got := tok.Encode(c.text, false)
		if !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q) = %v, want %v", c.text, got, c.want)
		}
		if back := tok.Decode(got); back != c.text {
			t.Errorf("Decode(Encode(%q)) = %q", c.text, back)
		}
	}
}

// TestTinyUnknownFused checks the unknown-token path, used when byte fallback is off:
// consecutive unknown characters fuse into one <unk> when fuse_unk is set.
func TestTinyUnknownFused(t *testing.T) {
	for _, fuse := range []bool{true, false} {
		j := tinyJSON()
		m := j["model"].(map[string]any)
		m["byte_fallback"], m["fuse_unk"] = false, fuse
		tok, err := Parse(mustJSON(t, j))
		if err != nil {
			t.Fatal(err)
		}
		want := []int{1, 259, 0, 260}
		if !fuse {
			want = []int{1, 259, 0, 0, 260}
		}
		if got := tok.Encode("xya", true); !slices.Equal(got, want) {
			t.Errorf("fuse_unk %v: Encode = %v, want %v", fuse, got, want)
		}
		if got := tok.Decode(want); got != "a" {
			t.Errorf("Decode(%v) = %q: <unk> is special and must not render", want, got)
		}
	}
}
