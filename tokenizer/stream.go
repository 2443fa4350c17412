package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// Stream detokenizes generated ids one at a time. Each Add returns the text that the new id
// completes; bytes of a character split over several <0xNN> tokens are held back until the
// character is complete, so every returned chunk is valid UTF-8. The concatenation of all Add
// results and the final Flush equals Decode of all the ids.
//
// A Stream belongs to one sequence and is not safe for concurrent use; the Tokenizer it comes
// from may be shared.
type Stream struct {
	t       *Tokenizer
	pending []byte // bytes of an incomplete character
	strip   int    // leading Strip characters still to remove
}

// NewStream starts detokenizing a new sequence.
func (t *Tokenizer) NewStream() *Stream {
	return &Stream{t: t, pending: make([]byte, 0, utf8.UTFMax), strip: t.dec.stripStart}
}

// Add consumes one id and returns the newly completed text, possibly "". Special tokens and
// out-of-range ids produce nothing and do not break a pending byte sequence, as in Decode.
func (s *Stream) Add(id int) string {
	t := s.t
	if id < 0 || id >= len(t.kinds) {
		return ""
	}
	switch t.kinds[id] {
	case kindSpecial:
		return ""
	case kindByte:
		s.pending = append(s.pending, t.bytev[id])
		return s.emit(s.completeRunes())
	default:
		if len(s.pending) == 0 {
			return s.emit(t.texts[id])
		}
		return s.emit(s.drainPending() + t.texts[id])
	}
}

// Flush ends the sequence: bytes of a character that never completed become U+FFFD each.
// The Stream can then be reused for a new sequence.
func (s *Stream) Flush() string {
	out := s.emit(s.drainPending())
	s.strip = s.t.dec.stripStart
	return out
}

// completeRunes removes from pending and returns every character whose encoding is complete
// or already known to be invalid (an invalid byte becomes U+FFFD at once).
func (s *Stream) completeRunes() string {
	var sb strings.Builder
	p := s.pending
	for len(p) > 0 && utf8.FullRune(p) {
		r, size := utf8.DecodeRune(p)
		if r == utf8.RuneError && size == 1 {
			sb.WriteString(replacement)
		} else {
			sb.Write(p[:size])
		}
		p = p[size:]
	}
	s.pending = append(s.pending[:0], p...)
	return sb.String()
}

// drainPending ends the current byte run, as a text token or the end of the sequence does.
func (s *Stream) drainPending() string {
	var sb strings.Builder
	writeRun(&sb, s.pending)
	s.pending = s.pending[:0]
	return sb.String()
}

// emit applies the decoder's leading Strip to the start of the sequence's text.
func (s *Stream) emit(text string) string {
	if s.strip > 0 && text != "" {
		text, s.strip = s.t.stripLeading(text, s.strip)
	}
	return text
}
