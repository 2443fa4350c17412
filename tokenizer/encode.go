package tokenizer

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// Encode tokenizes text. With addBOS the post-processor's BOS token (<s>) comes first, as
// Hugging Face's encode(text, add_special_tokens=True) does; chat prompts from RenderChat are
// encoded with addBOS false.
//
// The text is taken literally: the strings of special tokens ("<s>", "</s>", "[PAD]") are
// encoded as ordinary characters, never as the special ids, so user text cannot inject control
// tokens. Bytes of invalid UTF-8 are encoded with their <0xNN> byte-fallback tokens.
func (t *Tokenizer) Encode(text string, addBOS bool) []int {
	ids := make([]int, 0, len(text)/3+2)
	if addBOS {
		ids = append(ids, t.bos)
	}
	if text == "" {
		return ids
	}
	w := workPool.Get().(*bpeWork)
	defer workPool.Put(w)
	norm := t.normalize(text)
	for start := 0; start < len(norm); {
		end := t.wordEnd(norm, start)
		ids = t.appendWord(ids, w, norm[start:end])
		start = end
	}
	return ids
}

// wordSep is where words start in a SentencePiece-style vocabulary: the "▁" that the
// normalizer puts in place of spaces.
const wordSep = "\u2581"

// wordEnd returns the end of the word that starts at start: the next "▁" that no vocabulary
// piece joins to the character before it. BPE merges only ever build vocabulary pieces, so no
// merge can cross such a boundary and the words can be merged separately, with small queues,
// giving exactly the result of merging the whole text at once.
func (t *Tokenizer) wordEnd(s string, start int) int {
	for i := start + 1; i < len(s); {
		j := strings.Index(s[i:], wordSep)
		if j < 0 {
			return len(s)
		}
		i += j
		prev, _ := utf8.DecodeLastRuneInString(s[:i])
		if !t.joinsSep[prev] {
			return i
		}
		i += len(wordSep)
	}
	return len(s)
}

// normalize applies the normalizer steps: for Llama-2, prepend "▁" and replace " " by "▁".
// As in Hugging Face, Prepend leaves an empty string empty.
func (t *Tokenizer) normalize(s string) string {
	for _, st := range t.norm {
		switch {
		case st.prepend != "":
			if s != "" {
				s = st.prepend + s
			}
		default:
			s = strings.ReplaceAll(s, st.from, st.to)
		}
	}
	return s
}

// symbol is one token of a word during BPE; removed symbols have id -1. prev and next link the
// live symbols (-1 at the ends).
type symbol struct {
	id, prev, next int32
}

// bpeWork holds the scratch buffers of one encode, pooled across calls.
type bpeWork struct {
	syms  []symbol
	queue mergeQueue
}

var workPool = sync.Pool{New: func() any { return new(bpeWork) }}

// appendWord appends the ids of one word, from the word cache when it holds the word (a nil
// cache is disabled).
func (t *Tokenizer) appendWord(ids []int, w *bpeWork, word string) []int {
	if t.cache == nil || len(word) > cacheMaxWord {
		return t.appendBPE(ids, w, word)
	}
	ids, ok := t.cache.get(ids, word)
	if !ok {
		n := len(ids)
		ids = t.appendBPE(ids, w, word)
		t.cache.put(word, ids[n:])
	}
	return ids
}

// appendBPE splits word into initial symbols and applies merges, lowest rank first and, among
// equal ranks, leftmost first — the order of Hugging Face's BPE (Word::merge_all).
func (t *Tokenizer) appendBPE(ids []int, w *bpeWork, word string) []int {
	w.syms = t.appendSymbols(w.syms[:0], word)
	w.queue = w.queue[:0]
	for i := 0; i+1 < len(w.syms); i++ {
		t.pushPair(w, int32(i))
	}
	t.merge(w)
	for i := 0; i >= 0 && len(w.syms) > 0; i = int(w.syms[i].next) {
		ids = append(ids, int(w.syms[i].id))
	}
	return ids
}

// pushPair queues the merge of the symbol at pos with its right neighbour, if there is one.
func (t *Tokenizer) pushPair(w *bpeWork, pos int32) {
	next := w.syms[pos].next
	if next < 0 {
		return
	}
	if r, ok := t.merges.get(w.syms[pos].id, w.syms[next].id); ok {
		w.queue.push(candidate{rank: r.rank, pos: pos, id: r.id})
	}
}

// merge runs the queued merges to completion. A queued candidate is stale when its left
// symbol was merged away or its pair changed since it was queued; stale ones are skipped.
func (t *Tokenizer) merge(w *bpeWork) {
	syms := w.syms
	for len(w.queue) > 0 {
		c := w.queue.pop()
		left := &syms[c.pos]
		if left.id < 0 || left.next < 0 {
			continue
		}
		right := &syms[left.next]
		if r, ok := t.merges.get(left.id, right.id); !ok || r.id != c.id {
			continue
		}
		left.id, left.next = c.id, right.next
		right.id = -1
		if left.next >= 0 {
			syms[left.next].prev = c.pos
		}
		if left.prev >= 0 {
			t.pushPair(w, left.prev)
		}
		t.pushPair(w, c.pos)
	}
}

// appendSymbols splits word into one symbol per character: the character's own piece if the
// vocabulary has one, else its UTF-8 bytes as <0xNN> tokens, else the unknown token (fused
// with a preceding unknown when fuse_unk is set).
func (t *Tokenizer) appendSymbols(syms []symbol, word string) []symbol {
	unkOpen := false
	for i := 0; i < len(word); {
		id, size := t.charID(word[i:])
		if id >= 0 {
			syms, unkOpen = appendSymbol(syms, id), false
		} else if t.hasBytes(word[i : i+size]) {
			for j := i; j < i+size; j++ {
				syms = appendSymbol(syms, t.byteIDs[word[j]])
			}
			unkOpen = false
		} else if t.unk >= 0 && !(t.fuseUnk && unkOpen) {
			syms, unkOpen = appendSymbol(syms, t.unk), true
		}
		i += size
	}
	return syms
}

// charID returns the id of the single-char piece at the start of s (-1 if none) and the
// length of that char; an invalid UTF-8 byte counts as a char of length 1 with no piece.
func (t *Tokenizer) charID(s string) (int32, int) {
	if c := s[0]; c < utf8.RuneSelf {
		return t.ascii[c], 1
	}
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size == 1 {
		return -1, 1
	}
	if id, ok := t.chars[r]; ok {
		return id, size
	}
	return -1, size
}

// hasBytes reports whether every byte of s has a byte-fallback token.
func (t *Tokenizer) hasBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if t.byteIDs[s[i]] < 0 {
			return false
		}
	}
	return true
}

func appendSymbol(syms []symbol, id int32) []symbol {
	n := int32(len(syms))
	if n > 0 {
		syms[n-1].next = n
	}
	return append(syms, symbol{id: id, prev: n - 1, next: -1})
}
