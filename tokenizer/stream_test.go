package tokenizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// streamAll feeds ids one at a time and returns the chunks, Flush's output last.
func streamAll(tok *Tokenizer, ids []int) []string {
	s := tok.NewStream()
	chunks := make([]string, 0, len(ids)+1)
	for _, id := range ids {
		chunks = append(chunks, s.Add(id))
	}
	return append(chunks, s.Flush())
}

// checkStream asserts the Stream contract on ids: valid UTF-8 chunks whose concatenation is
// Decode(ids).
func checkStream(t *testing.T, tok *Tokenizer, ids []int) {
	t.Helper()
	chunks := streamAll(tok, ids)
	for i, c := range chunks {
		if !utf8.ValidString(c) {
			t.Fatalf("ids %v: chunk %d = %q is not valid UTF-8", ids, i, c)
		}
	}
	if got, want := strings.Join(chunks, ""), tok.Decode(ids); got != want {
		t.Fatalf("ids %v: stream = %q, Decode = %q", ids, got, want)
	}
}

func TestStreamGolden(t *testing.T) {
	tok := llama(t)
	for _, dir := range []string{goldenDir, hfReferenceDir} {
		for _, c := range readCases(t, dir) {
			checkStream(t, tok, c.IDs)
		}
	}
}

// b is the id of the byte-fallback token of byte v in the Llama-2 vocabulary.
func b(v byte) int { return 3 + int(v) }

func TestStreamSequences(t *testing.T) {
	tok := llama(t)
	const hello, sep, bos, eos, pad = 15043, 29871, 1, 2, 32000
	llamaEmoji := []int{b(0xF0), b(0x9F), b(0xA6), b(0x99)}
	cases := map[string][]int{
		"emoji bytes":             llamaEmoji,
		"emoji then text":         append(slices.Clone(llamaEmoji), hello),
		"truncated emoji at end":  llamaEmoji[:3],
		"truncated before text":   {b(0xF0), b(0x9F), hello},
		"valid then invalid byte": {b(0xE2), b(0x82), b(0xAC), b(0xFF), hello},
		"lone continuation":       {b(0x82), b(0x41)},
		"specials inside a run":   {bos, b(0xE2), eos, b(0x82), pad, b(0xAC)},
		"invalid ids inside":      {b(0xE2), -1, b(0x82), 1 << 30, b(0xAC)},
		"leading space only":      {sep},
		"two spaces":              {sep, sep},
		"space byte first":        {b(' '), hello},
		"newline first":           {b('\n'), hello},
		"overlong encoding":       {b(0xC0), b(0x80)},
		"surrogate encoding":      {b(0xED), b(0xA0), b(0x80)},
		"mixed scripts":           tok.Encode("镇 🦙Ꙋ naïve 日本語 한국어 😀😃", true),
	}
	for name, ids := range cases {
		t.Run(name, func(t *testing.T) { checkStream(t, tok, ids) })
	}
}

// TestStreamHoldsPartialCharacters checks when text comes out, not only the total: a character
// split over byte tokens appears with its last byte, and never earlier.
func TestStreamHoldsPartialCharacters(t *testing.T) {
	tok := llama(t)
	ids := tok.Encode("🦙 ok", true) // <s> ▁ F0 9F A6 99 ▁ok
	got := streamAll(tok, ids)
	want := []string{"", "", "", "", "", "🦙", " ok", ""}
	if !slices.Equal(got, want) {
		t.Fatalf("chunks of %v = %q, want %q", ids, got, want)
	}
	got = streamAll(tok, []int{b(0xF0), b(0x9F), 15043})
	want = []string{"", "", "\uFFFD\uFFFD Hello", ""}
	if !slices.Equal(got, want) {
		t.Fatalf("truncated character: chunks = %q, want %q", got, want)
	}
}

func TestStreamReuseAfterFlush(t *testing.T) {
	tok := llama(t)
	s := tok.NewStream()
	ids := tok.Encode("Hello world", false)
	for round := range 2 {
		var sb strings.Builder
		for _, id := range ids {
			sb.WriteString(s.Add(id))
		}
		sb.WriteString(s.Flush())
		if sb.String() != "Hello world" {
			t.Fatalf("round %d: %q", round, sb.String())
		}
	}
}

// TestStreamRandom checks the contract on random id sequences, weighted towards byte tokens
// and special tokens where the edge cases are.
func TestStreamRandom(t *testing.T) {
	tok := llama(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		ids := make([]int, rng.IntN(24))
		for i := range ids {
			switch r := rng.IntN(10); {
			case r < 5:
				ids[i] = b(byte(rng.IntN(256)))
			case r < 6:
				ids[i] = []int{0, 1, 2, 32000, -3, 40000}[rng.IntN(6)]
			default:
				ids[i] = rng.IntN(tok.VocabSize())
			}
		}
		checkStream(t, tok, ids)
	}
}
