package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// replacement is what an invalid byte of a byte-fallback run decodes to.
const replacement = "\uFFFD"

// Decode turns ids back into text: the decoder chain Replace("▁" → " "), ByteFallback, Fuse,
// Strip(one leading space). Special tokens (<unk>, <s>, </s>, [PAD]) are not rendered, as with
// Hugging Face's skip_special_tokens=True, and ids outside [0, VocabSize) are skipped.
//
// Consecutive <0xNN> tokens form a byte run, decoded as UTF-8 where every byte that is not part
// of a valid encoding becomes U+FFFD. Hugging Face instead turns every byte of a run with any
// invalid byte into U+FFFD; the two agree on every valid run. The per-byte rule is what lets
// Stream emit each character as soon as its bytes are complete.
func (t *Tokenizer) Decode(ids []int) string {
	var sb strings.Builder
	sb.Grow(4 * len(ids)) // about the bytes per token of English text
	var buf [32]byte
	run := buf[:0]
	for _, id := range ids {
		if id < 0 || id >= len(t.kinds) {
			continue
		}
		switch t.kinds[id] {
		case kindSpecial:
		case kindByte:
			run = append(run, t.bytev[id])
		default:
			writeRun(&sb, run)
			run = run[:0]
			sb.WriteString(t.texts[id])
		}
	}
	writeRun(&sb, run)
	s, _ := t.stripLeading(sb.String(), t.dec.stripStart)
	return s
}

// writeRun writes a byte-fallback run, replacing each invalid byte by U+FFFD.
func writeRun(sb *strings.Builder, run []byte) {
	for len(run) > 0 {
		r, size := utf8.DecodeRune(run)
		if r == utf8.RuneError && size == 1 {
			sb.WriteString(replacement)
		} else {
			sb.Write(run[:size])
		}
		run = run[size:]
	}
}

// stripLeading removes up to n leading copies of the decoder's Strip character from s. It
// returns how many may still be removed from text that follows s: none once s holds any other
// character.
func (t *Tokenizer) stripLeading(s string, n int) (string, int) {
	for n > 0 && s != "" {
		r, size := utf8.DecodeRuneInString(s)
		if r != t.dec.strip {
			return s, 0
		}
		s, n = s[size:], n-1
	}
	return s, n
}
