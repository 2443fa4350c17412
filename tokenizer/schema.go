package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The types in this file mirror the parts of the Hugging Face tokenizer.json format that this
// package supports. Every object is decoded strictly (unknown keys are refused), so a file that
// relies on a feature we do not implement fails at load time instead of encoding differently.

// fileJSON is the top level of tokenizer.json.
type fileJSON struct {
	Version       string           `json:"version"`
	Truncation    json.RawMessage  `json:"truncation"`
	Padding       json.RawMessage  `json:"padding"`
	AddedTokens   []addedTokenJSON `json:"added_tokens"`
	Normalizer    json.RawMessage  `json:"normalizer"`
	PreTokenizer  json.RawMessage  `json:"pre_tokenizer"`
	PostProcessor json.RawMessage  `json:"post_processor"`
	Decoder       json.RawMessage  `json:"decoder"`
	Model         json.RawMessage  `json:"model"`
}

// addedTokenJSON is one entry of "added_tokens". The matching flags (single_word, lstrip,
// rstrip, normalized) are accepted but have no effect: Encode never matches added-token text.
type addedTokenJSON struct {
	ID         *int    `json:"id"`
	Content    *string `json:"content"`
	SingleWord bool    `json:"single_word"`
	LStrip     bool    `json:"lstrip"`
	RStrip     bool    `json:"rstrip"`
	Normalized bool    `json:"normalized"`
	Special    bool    `json:"special"`
}

// bpeJSON is "model" when its type is BPE.
type bpeJSON struct {
	Type                    string          `json:"type"`
	Dropout                 *float64        `json:"dropout"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	FuseUnk                 bool            `json:"fuse_unk"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	Vocab                   map[string]int  `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
}

// stepJSON is one normalizer or decoder step. Which fields may be set depends on Type; the
// builders check that.
type stepJSON struct {
	Type        string            `json:"type"`
	Normalizers []json.RawMessage `json:"normalizers"`
	Decoders    []json.RawMessage `json:"decoders"`
	Prepend     *string           `json:"prepend"`
	Pattern     *patternJSON      `json:"pattern"`
	Content     *string           `json:"content"`
	Start       *int              `json:"start"`
	Stop        *int              `json:"stop"`
}

// checkFields refuses the step's keys other than type and those allowed for its type.
func (s *stepJSON) checkFields(field string, allowed ...string) error {
	set := map[string]bool{
		"normalizers": s.Normalizers != nil, "decoders": s.Decoders != nil, "prepend": s.Prepend != nil,
		"pattern": s.Pattern != nil, "content": s.Content != nil, "start": s.Start != nil, "stop": s.Stop != nil,
	}
	for _, k := range allowed {
		delete(set, k)
	}
	for k, isSet := range set {
		if isSet {
			return fmt.Errorf("%s.%s: not a parameter of %s", field, k, s.Type)
		}
	}
	return nil
}

// patternJSON is the pattern of a Replace step: {"String": "..."} or {"Regex": "..."}.
type patternJSON struct {
	String *string `json:"String"`
	Regex  *string `json:"Regex"`
}

// templateJSON is a TemplateProcessing post-processor.
type templateJSON struct {
	Type          string                       `json:"type"`
	Single        []templatePieceJSON          `json:"single"`
	Pair          []templatePieceJSON          `json:"pair"`
	SpecialTokens map[string]specialTokensJSON `json:"special_tokens"`
}

// templatePieceJSON is one element of a template: exactly one of the two fields is set.
type templatePieceJSON struct {
	SpecialToken *templateRefJSON `json:"SpecialToken"`
	Sequence     *templateRefJSON `json:"Sequence"`
}

type templateRefJSON struct {
	ID     string `json:"id"`
	TypeID int    `json:"type_id"`
}

type specialTokensJSON struct {
	ID     string   `json:"id"`
	IDs    []int    `json:"ids"`
	Tokens []string `json:"tokens"`
}

// decodeStrict unmarshals raw into v, refusing unknown keys and trailing data. Errors are
// prefixed with field, the JSON path of raw inside tokenizer.json.
func decodeStrict(raw json.RawMessage, field string, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	if dec.More() {
		return fmt.Errorf("%s: trailing data after JSON value", field)
	}
	return nil
}

// isNull reports whether raw is absent or the JSON literal null.
func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// typeOf reads only the "type" key of a JSON object.
func typeOf(raw json.RawMessage, field string) (string, error) {
	var t struct {
		Type *string `json:"type"`
	}
	if err := json.Unmarshal(raw, &t); err != nil {
		return "", fmt.Errorf("%s: %w", field, err)
	}
	if t.Type == nil {
		return "", fmt.Errorf("%s.type: missing", field)
	}
	return *t.Type, nil
}

// splitMerge reads a merges entry of the form "left right".
func splitMerge(s string) (string, string, error) {
	a, b, ok := strings.Cut(s, " ")
	if !ok || a == "" || b == "" || strings.Contains(b, " ") {
		return "", "", fmt.Errorf("want \"left right\", got %q", s)
	}
	return a, b, nil
}

// parseMerge reads one merges entry, either "a b" (tokenizers < 0.20) or ["a", "b"].
func parseMerge(raw json.RawMessage) (string, string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return splitMerge(s)
	}
	var pair []string
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return "", "", fmt.Errorf("want a string \"left right\" or a pair of strings, got %.40s", raw)
	}
	return pair[0], pair[1], nil
}
