package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Parse builds a Tokenizer from the bytes of a tokenizer.json. Only the features of the
// Llama-2 / Hymba file are supported (see the package documentation); anything else is
// refused with an error naming the JSON field at fault, for example
// `tokenizer: model.type: unsupported "Unigram" (want "BPE")`.
func Parse(b []byte) (*Tokenizer, error) {
	t, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return t, nil
}

func parse(b []byte) (*Tokenizer, error) {
	var f fileJSON
	if err := decodeStrict(b, "tokenizer.json", &f); err != nil {
		return nil, err
	}
	if err := checkTopLevel(&f); err != nil {
		return nil, err
	}
	t := &Tokenizer{cache: newWordCache()}
	m, err := t.buildModel(f.Model)
	if err != nil {
		return nil, err
	}
	if err := t.addTokens(f.AddedTokens); err != nil {
		return nil, err
	}
	if err := t.buildMerges(m.Merges); err != nil {
		return nil, err
	}
	if t.norm, err = buildNormalizer(f.Normalizer, "normalizer"); err != nil {
		return nil, err
	}
	if t.dec, err = buildDecoder(f.Decoder); err != nil {
		return nil, err
	}
	t.buildDecodeTables()
	if t.bos, err = t.buildPostProcessor(f.PostProcessor); err != nil {
		return nil, err
	}
	eos, ok := t.vocab["</s>"]
	if !ok || t.kinds[eos] != kindSpecial {
		return nil, errors.New(`added_tokens: no special "</s>" token (needed as EOS)`)
	}
	t.eos = eos
	return t, nil
}

// checkTopLevel refuses the top-level features this package does not implement.
func checkTopLevel(f *fileJSON) error {
	if f.Version != "1.0" {
		return fmt.Errorf("version: unsupported %q (want \"1.0\")", f.Version)
	}
	if !isNull(f.Truncation) {
		return errors.New("truncation: unsupported (must be null)")
	}
	if !isNull(f.Padding) {
		return errors.New("padding: unsupported (must be null)")
	}
	if !isNull(f.PreTokenizer) {
		return errors.New("pre_tokenizer: unsupported (must be null)")
	}
	if isNull(f.Model) {
		return errors.New("model: missing")
	}
	return nil
}

// buildModel reads the BPE model: vocabulary, unknown token and the fallback tables.
func (t *Tokenizer) buildModel(raw json.RawMessage) (*bpeJSON, error) {
	typ, err := typeOf(raw, "model")
	if err != nil {
		return nil, err
	}
	if typ != "BPE" {
		return nil, fmt.Errorf("model.type: unsupported %q (want \"BPE\")", typ)
	}
	var m bpeJSON
	if err := decodeStrict(raw, "model", &m); err != nil {
		return nil, err
	}
	if err := checkBPEOptions(&m); err != nil {
		return nil, err
	}
	if err := t.buildVocab(m.Vocab); err != nil {
		return nil, err
	}
	t.fuseUnk = m.FuseUnk
	t.unk = -1
	if m.UnkToken != nil {
		id, ok := m.Vocab[*m.UnkToken]
		if !ok {
			return nil, fmt.Errorf("model.unk_token: %q is not in model.vocab", *m.UnkToken)
		}
		t.unk = int32(id)
	}
	t.buildCharTables(m.ByteFallback)
	return &m, nil
}

// checkBPEOptions refuses BPE options that change encoding and that this package does not
// implement.
func checkBPEOptions(m *bpeJSON) error {
	switch {
	case m.Dropout != nil && *m.Dropout != 0:
		return fmt.Errorf("model.dropout: unsupported %v (must be null: dropout is for training)", *m.Dropout)
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "":
		return fmt.Errorf("model.continuing_subword_prefix: unsupported %q (must be null)", *m.ContinuingSubwordPrefix)
	case m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return fmt.Errorf("model.end_of_word_suffix: unsupported %q (must be null)", *m.EndOfWordSuffix)
	case m.IgnoreMerges:
		return errors.New("model.ignore_merges: unsupported true (must be false)")
	case len(m.Vocab) == 0:
		return errors.New("model.vocab: missing or empty")
	}
	return nil
}

// buildVocab fills pieces and vocab; ids must be exactly 0..len(vocab)-1.
func (t *Tokenizer) buildVocab(vocab map[string]int) error {
	n := len(vocab)
	t.pieces = make([]string, n)
	t.vocab = make(map[string]int, n+8)
	seen := make([]bool, n)
	for piece, id := range vocab {
		if id < 0 || id >= n {
			return fmt.Errorf("model.vocab[%q]: id %d out of range [0, %d): ids must be dense", piece, id, n)
		}
		if seen[id] {
			return fmt.Errorf("model.vocab[%q]: id %d also used by %q", piece, id, t.pieces[id])
		}
		seen[id] = true
		t.pieces[id] = piece
		t.vocab[piece] = id
	}
	t.kinds = make([]kind, n)
	return nil
}

// addTokens merges added_tokens into the vocabulary. A token already in model.vocab must have
// the same id there; a new one must take the next free id.
func (t *Tokenizer) addTokens(added []addedTokenJSON) error {
	order := make([]int, len(added))
	for i := range order {
		order[i] = i
		if added[i].ID == nil || added[i].Content == nil || *added[i].Content == "" {
			return fmt.Errorf("added_tokens[%d]: id and non-empty content are required", i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return *added[order[a]].ID < *added[order[b]].ID })
	for _, i := range order {
		a := added[i]
		id, content := *a.ID, *a.Content
		if have, ok := t.vocab[content]; ok {
			if have != id {
				return fmt.Errorf("added_tokens[%d]: %q has id %d but model.vocab gives %d", i, content, id, have)
			}
		} else {
			if id != len(t.pieces) {
				return fmt.Errorf("added_tokens[%d]: id %d of %q is not the next free id %d", i, id, content, len(t.pieces))
			}
			t.pieces = append(t.pieces, content)
			t.kinds = append(t.kinds, kindText)
			t.vocab[content] = id
		}
		if a.Special {
			t.kinds[id] = kindSpecial
		}
	}
	return nil
}

// buildCharTables indexes single-char pieces and the <0xNN> byte-fallback tokens.
func (t *Tokenizer) buildCharTables(byteFallback bool) {
	for i := range t.ascii {
		t.ascii[i] = -1
	}
	t.chars = make(map[rune]int32)
	t.joinsSep = make(map[rune]bool)
	for id, piece := range t.pieces {
		t.noteJoins(piece)
		r, size := utf8.DecodeRuneInString(piece)
		if size != len(piece) || r == utf8.RuneError {
			continue
		}
		if r < utf8.RuneSelf {
			t.ascii[r] = int32(id)
		} else {
			t.chars[r] = int32(id)
		}
	}
	for b := range t.byteIDs {
		t.byteIDs[b] = -1
		if !byteFallback {
			continue
		}
		if id, ok := t.vocab[fmt.Sprintf("<0x%02X>", b)]; ok {
			t.byteIDs[b] = int32(id)
		}
	}
}

// noteJoins records the chars that piece joins to a following word separator "▁".
func (t *Tokenizer) noteJoins(piece string) {
	for i := 1; i < len(piece); {
		j := strings.Index(piece[i:], wordSep)
		if j < 0 {
			return
		}
		i += j
		prev, _ := utf8.DecodeLastRuneInString(piece[:i])
		t.joinsSep[prev] = true
		i += len(wordSep)
	}
}

// buildMerges reads model.merges into the merge table. Entries are "left right" strings or
// [left, right] pairs; the all-strings form of the Llama-2 file is decoded in one pass. As in
// Hugging Face tokenizers, a pair listed twice keeps its later rank.
func (t *Tokenizer) buildMerges(raw json.RawMessage) error {
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		t.merges = newMergeTable(len(strs))
		for i, s := range strs {
			a, b, err := splitMerge(s)
			if err := t.addMerge(i, a, b, err); err != nil {
				return err
			}
		}
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return fmt.Errorf("model.merges: want an array: %w", err)
	}
	t.merges = newMergeTable(len(items))
	for i, item := range items {
		a, b, err := parseMerge(item)
		if err := t.addMerge(i, a, b, err); err != nil {
			return err
		}
	}
	return nil
}

// addMerge adds merges entry i, the pair a b with rank i, unless reading it failed with err.
func (t *Tokenizer) addMerge(i int, a, b string, err error) error {
	if err == nil {
		var ids [3]int32
		if ids, err = t.mergeIDs(a, b); err == nil {
			t.merges.put(ids[0], ids[1], rule{rank: int32(i), id: ids[2]})
			return nil
		}
	}
	return fmt.Errorf("model.merges[%d]: %w", i, err)
}

// mergeIDs returns the ids of a, b and a+b, all of which must be in the vocabulary.
func (t *Tokenizer) mergeIDs(a, b string) ([3]int32, error) {
	var ids [3]int32
	for k, s := range [3]string{a, b, a + b} {
		id, ok := t.vocab[s]
		if !ok {
			return ids, fmt.Errorf("%q is not in model.vocab", s)
		}
		ids[k] = int32(id)
	}
	return ids, nil
}
