package tokenizer

import (
	"fmt"
	"os"
)

// kind says how Decode renders a token.
type kind uint8

const (
	kindText    kind = iota // rendered as its text (the piece after the decoder's Replace step)
	kindByte                // a byte-fallback token <0xNN>: contributes one raw byte
	kindSpecial             // an added token marked special: never rendered
)

// Tokenizer is a loaded Llama-2 style tokenizer: a byte-fallback BPE model plus the normalizer,
// decoder and post-processor of its tokenizer.json. It is immutable after Parse and safe for
// concurrent use by any number of goroutines.
type Tokenizer struct {
	pieces []string       // id → vocabulary string, e.g. "▁Hello", "<0x0A>", "<s>"
	vocab  map[string]int // vocabulary string → id (model vocabulary and added tokens)

	texts []string // id → decoded text of a kindText token ("▁Hello" → " Hello")
	kinds []kind   // id → how the token decodes
	bytev []byte   // id → the byte of a kindByte token

	ascii    [128]int32     // ASCII char → id of its single-char piece, or -1
	chars    map[rune]int32 // other single-char pieces
	byteIDs  [256]int32     // byte → id of its <0xNN> token, or -1 without byte fallback
	merges   mergeTable     // (left, right) → merge rule
	joinsSep map[rune]bool  // chars that some piece joins to a following "▁" (see wordEnd)
	cache    *wordCache     // recently merged words
	unk      int32          // id of the unknown token, or -1
	fuseUnk  bool           // consecutive unknown chars become one unknown token

	norm []normStep // normalizer steps, applied in order to the whole text
	dec  decoderCfg // decoder parameters

	bos, eos int
}

// rule is one BPE merge: its priority (the index in the merges list, lower merges first) and
// the id of the merged token.
type rule struct {
	rank int32
	id   int32
}

// normStep is one normalizer step: Prepend (prepend != "") or Replace (from → to).
type normStep struct {
	prepend  string
	from, to string
}

// decoderCfg holds the parameters of the supported decoder chain
// Replace(from → to), ByteFallback, Fuse, Strip(strip, stripStart leading chars).
type decoderCfg struct {
	from, to   string
	strip      rune
	stripStart int
}

// Load reads and parses a tokenizer.json file. Errors name the file.
func Load(path string) (*Tokenizer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// VocabSize is the number of token ids, including added tokens (32001 for Hymba: the 32000
// Llama-2 pieces plus [PAD]). Valid ids are 0 ≤ id < VocabSize.
func (t *Tokenizer) VocabSize() int { return len(t.pieces) }

// BOS is the id of the beginning-of-sequence token that Encode adds (taken from the
// post-processor template).
func (t *Tokenizer) BOS() int { return t.bos }

// EOS is the id of the end-of-sequence token "</s>"; generation stops on it.
func (t *Tokenizer) EOS() int { return t.eos }

// Piece returns the vocabulary string of id, as written in tokenizer.json ("▁Hello",
// "<0x0A>", "</s>"). ok is false when id is out of range.
func (t *Tokenizer) Piece(id int) (piece string, ok bool) {
	if id < 0 || id >= len(t.pieces) {
		return "", false
	}
	return t.pieces[id], true
}

// ID returns the id of a vocabulary string (the inverse of Piece).
func (t *Tokenizer) ID(piece string) (id int, ok bool) {
	id, ok = t.vocab[piece]
	return id, ok
}

// IsSpecial reports whether id is a special token (<unk>, <s>, </s>, [PAD]); Decode and
// Stream never render special tokens. Out-of-range ids are not special.
func (t *Tokenizer) IsSpecial(id int) bool {
	return id >= 0 && id < len(t.kinds) && t.kinds[id] == kindSpecial
}

// pairKey packs a pair of token ids into a merges map key.
func pairKey(left, right int32) uint64 {
	return uint64(uint32(left))<<32 | uint64(uint32(right))
}
