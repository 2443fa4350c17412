package tokenizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestEncodeEdgeCases(t *testing.T) {
	tok := llama(t)
	cases := []struct {
		text   string
		addBOS bool
		want   []int
	}{
		{"", true, []int{1}},
		{"", false, []int{}},
		{"Hello", false, []int{15043}},
		// Invalid UTF-8 goes through byte fallback, byte by byte.
		{"\xff", true, []int{1, 29871, b(0xFF)}},
		{"a\xe2\x82", false, []int{263, b(0xE2), b(0x82)}},
		// Special-token text is plain text: no <s> (1) or </s> (2) ids.
		{"</s>", false, []int{1533, 29879, 29958}},
	}
	for _, c := range cases {
		if got := tok.Encode(c.text, c.addBOS); !slices.Equal(got, c.want) {
			t.Errorf("Encode(%q, %v) = %v, want %v", c.text, c.addBOS, got, c.want)
		}
	}
}

func TestAccessors(t *testing.T) {
	tok := llama(t)
	if tok.VocabSize() != 32001 || tok.BOS() != 1 || tok.EOS() != 2 {
		t.Fatalf("VocabSize %d BOS %d EOS %d, want 32001 1 2", tok.VocabSize(), tok.BOS(), tok.EOS())
	}
	for id, want := range map[int]string{0: "<unk>", 13: "<0x0A>", 15043: "▁Hello", 32000: "[PAD]"} {
		if p, ok := tok.Piece(id); !ok || p != want {
			t.Errorf("Piece(%d) = %q, %v; want %q", id, p, ok, want)
		}
		if got, ok := tok.ID(want); !ok || got != id {
			t.Errorf("ID(%q) = %d, %v; want %d", want, got, ok, id)
		}
	}
	for _, id := range []int{-1, 32001, 1 << 40} {
		if _, ok := tok.Piece(id); ok || tok.IsSpecial(id) {
			t.Errorf("Piece/IsSpecial(%d) accepted an out-of-range id", id)
		}
	}
	for id, want := range map[int]bool{0: true, 1: true, 2: true, 32000: true, 3: false, 15043: false} {
		if tok.IsSpecial(id) != want {
			t.Errorf("IsSpecial(%d) = %v", id, !want)
		}
	}
}

func TestDecodeRules(t *testing.T) {
	tok := llama(t)
	cases := []struct {
		ids  []int
		want string
	}{
		{nil, ""},
		{[]int{1, 15043, 2, 32000, 0}, "Hello"},
		{[]int{-1, 15043, 32001, 1 << 40, 3186}, "Hello world"},
		// Strip removes one leading space only.
		{[]int{29871, 29871, 15043}, "  Hello"},
		// Valid runs decode whole; each invalid byte is one U+FFFD.
		{[]int{b(0xE2), b(0x82), b(0xAC)}, "€"},
		{[]int{b(0xE2), b(0x82), b(0xAC), b(0xFF)}, "€\uFFFD"},
		{[]int{b(0xE2), b(0x82), 15043}, "\uFFFD\uFFFD Hello"},
		// A special token between bytes does not end the run.
		{[]int{b(0xE2), 2, b(0x82), b(0xAC)}, "€"},
	}
	for _, c := range cases {
		if got := tok.Decode(c.ids); got != c.want {
			t.Errorf("Decode(%v) = %q, want %q", c.ids, got, c.want)
		}
	}
}

// encodeWhole is the reference for the word split and the cache: BPE over the whole
// normalized text at once, as Hugging Face runs it (no pre-tokenizer, one word).
func encodeWhole(tok *Tokenizer, text string) []int {
	if text == "" {
		return []int{}
	}
	return tok.appendBPE([]int{}, new(bpeWork), tok.normalize(text))
}

// TestWordSplitMatchesWholeText checks that splitting at word boundaries and the word cache
// never change the result, on the golden texts and on random texts built to stress the split
// (runs of spaces, ▁ characters, words that repeat so the cache hits).
func TestWordSplitMatchesWholeText(t *testing.T) {
	tok := llama(t)
	var texts []string
	for _, dir := range []string{goldenDir, hfReferenceDir} {
		for _, c := range readCases(t, dir) {
			texts = append(texts, c.Text)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	parts := []string{" ", "  ", "▁", "▁▁", "the", "The", " the", "\n", "ing", "日本", "🦙", "a", "▁a", "x\xff"}
	for range 500 {
		var sb strings.Builder
		for range rng.IntN(30) {
			sb.WriteString(parts[rng.IntN(len(parts))])
		}
		texts = append(texts, sb.String())
	}
	for _, text := range texts {
		want := encodeWhole(tok, text)
		for pass := range 2 { // the second pass is served from the word cache
			if got := tok.Encode(text, false); !slices.Equal(got, want) {
				t.Fatalf("pass %d: Encode(%q) = %v, whole-text BPE = %v", pass, text, got, want)
			}
		}
	}
}

// TestEncodeConcurrent encodes from several goroutines at once; with -race it checks the
// word cache's lock-free sharing.
func TestEncodeConcurrent(t *testing.T) {
	tok := llama(t)
	cases := readCases(t, hfReferenceDir)
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Go(func() {
			for i := range cases {
				c := cases[(i*7+g)%len(cases)]
				if got := tok.Encode(c.Text, true); !slices.Equal(got, c.IDs) {
					errs <- c.Text
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for text := range errs {
		t.Errorf("concurrent Encode(%q) differs from the reference", text)
	}
}

func TestAddedTokenAppended(t *testing.T) {
	j := tinyJSON()
	j["added_tokens"] = append(j["added_tokens"].([]any), map[string]any{"id": 268, "content": "<tool>", "special": false})
	tok, err := Parse(mustJSON(t, j))
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != 269 {
		t.Fatalf("VocabSize = %d, want 269", tok.VocabSize())
	}
	if got := tok.Decode([]int{268, 260}); got != "<tool>a" {
		t.Errorf("a non-special added token must render: Decode = %q", got)
	}
	if slices.Contains(tok.Encode("<tool>", true), 268) {
		t.Error("Encode matched added-token text; it must keep it as plain text")
	}
}
