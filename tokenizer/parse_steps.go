package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// buildNormalizer reads a normalizer: null, Prepend, Replace with a String pattern, or a
// Sequence of those (nested sequences are flattened).
func buildNormalizer(raw json.RawMessage, field string) ([]normStep, error) {
	if isNull(raw) {
		return nil, nil
	}
	var s stepJSON
	if err := decodeStrict(raw, field, &s); err != nil {
		return nil, err
	}
	params, ok := normalizerParams[s.Type]
	if !ok {
		return nil, fmt.Errorf("%s.type: unsupported normalizer %q (want Sequence, Prepend or Replace)", field, s.Type)
	}
	if err := s.checkFields(field, params...); err != nil {
		return nil, err
	}
	switch s.Type {
	case "Sequence":
		return normalizerSequence(&s, field)
	case "Prepend":
		if s.Prepend == nil || *s.Prepend == "" {
			return nil, fmt.Errorf("%s.prepend: missing or empty", field)
		}
		return []normStep{{prepend: *s.Prepend}}, nil
	default: // Replace
		from, to, err := replaceArgs(&s, field)
		if err != nil {
			return nil, err
		}
		return []normStep{{from: from, to: to}}, nil
	}
}

// normalizerParams lists the supported normalizer types and their parameters.
var normalizerParams = map[string][]string{
	"Sequence": {"normalizers"},
	"Prepend":  {"prepend"},
	"Replace":  {"pattern", "content"},
}

func normalizerSequence(s *stepJSON, field string) ([]normStep, error) {
	if s.Normalizers == nil {
		return nil, fmt.Errorf("%s.normalizers: missing", field)
	}
	var steps []normStep
	for i, sub := range s.Normalizers {
		more, err := buildNormalizer(sub, fmt.Sprintf("%s.normalizers[%d]", field, i))
		if err != nil {
			return nil, err
		}
		steps = append(steps, more...)
	}
	return steps, nil
}

// replaceArgs checks a Replace step (normalizer or decoder) and returns its pattern and content.
func replaceArgs(s *stepJSON, field string) (from, to string, err error) {
	switch {
	case s.Pattern == nil:
		return "", "", fmt.Errorf("%s.pattern: missing", field)
	case s.Pattern.Regex != nil:
		return "", "", fmt.Errorf("%s.pattern.Regex: unsupported (only String patterns)", field)
	case s.Pattern.String == nil || *s.Pattern.String == "":
		return "", "", fmt.Errorf("%s.pattern.String: missing or empty", field)
	case s.Content == nil:
		return "", "", fmt.Errorf("%s.content: missing", field)
	}
	return *s.Pattern.String, *s.Content, nil
}

// decoderChain is the only decoder supported: the Llama-2 chain.
var decoderChain = [...]string{"Replace", "ByteFallback", "Fuse", "Strip"}

// buildDecoder reads the decoder, which must be
// Sequence[Replace(String → content), ByteFallback, Fuse, Strip(content, start, stop = 0)].
func buildDecoder(raw json.RawMessage) (decoderCfg, error) {
	var cfg decoderCfg
	if isNull(raw) {
		return cfg, errors.New("decoder: missing (want the Replace, ByteFallback, Fuse, Strip sequence)")
	}
	var seq stepJSON
	if err := decodeStrict(raw, "decoder", &seq); err != nil {
		return cfg, err
	}
	if seq.Type != "Sequence" {
		return cfg, fmt.Errorf("decoder.type: unsupported %q (want Sequence)", seq.Type)
	}
	if len(seq.Decoders) != len(decoderChain) {
		return cfg, fmt.Errorf("decoder.decoders: want the %d steps %v, got %d", len(decoderChain), decoderChain, len(seq.Decoders))
	}
	for i, sub := range seq.Decoders {
		if err := cfg.step(sub, i); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// step checks decoder step i and records its parameters.
func (cfg *decoderCfg) step(raw json.RawMessage, i int) error {
	field := fmt.Sprintf("decoder.decoders[%d]", i)
	var s stepJSON
	if err := decodeStrict(raw, field, &s); err != nil {
		return err
	}
	if s.Type != decoderChain[i] {
		return fmt.Errorf("%s.type: unsupported %q here (want %q)", field, s.Type, decoderChain[i])
	}
	if err := s.checkFields(field, decoderParams[s.Type]...); err != nil {
		return err
	}
	switch s.Type {
	case "Replace":
		from, to, err := replaceArgs(&s, field)
		cfg.from, cfg.to = from, to
		return err
	case "Strip":
		return cfg.stripArgs(&s, field)
	}
	return nil
}

// decoderParams lists the parameters of the decoder steps; the others take none.
var decoderParams = map[string][]string{
	"Replace": {"pattern", "content"},
	"Strip":   {"content", "start", "stop"},
}

func (cfg *decoderCfg) stripArgs(s *stepJSON, field string) error {
	if s.Content == nil || utf8.RuneCountInString(*s.Content) != 1 {
		return fmt.Errorf("%s.content: want exactly one character", field)
	}
	if s.Start == nil || *s.Start < 0 {
		return fmt.Errorf("%s.start: missing or negative", field)
	}
	if s.Stop != nil && *s.Stop != 0 {
		return fmt.Errorf("%s.stop: unsupported %d (must be 0: trailing strips cannot stream)", field, *s.Stop)
	}
	cfg.strip, _ = utf8.DecodeRuneInString(*s.Content)
	cfg.stripStart = *s.Start
	return nil
}

// buildDecodeTables precomputes, per id, how Decode renders it: the decoder's Replace applied
// to the piece, then ByteFallback's test for the exact form <0xNN>.
func (t *Tokenizer) buildDecodeTables() {
	n := len(t.pieces)
	t.texts = make([]string, n)
	t.bytev = make([]byte, n)
	for id, piece := range t.pieces {
		if t.kinds[id] == kindSpecial {
			continue
		}
		text := strings.ReplaceAll(piece, t.dec.from, t.dec.to)
		if b, ok := fallbackByte(text); ok {
			t.kinds[id], t.bytev[id] = kindByte, b
			continue
		}
		t.texts[id] = text
	}
}

// fallbackByte parses a byte-fallback token "<0xNN>" (hex digits of either case, as Hugging
// Face's ByteFallback decoder accepts).
func fallbackByte(s string) (byte, bool) {
	if len(s) != 6 || !strings.HasPrefix(s, "<0x") || s[5] != '>' {
		return 0, false
	}
	v, err := strconv.ParseUint(s[3:5], 16, 8)
	if err != nil {
		return 0, false
	}
	return byte(v), true
}

// buildPostProcessor reads the post-processor, which must be TemplateProcessing with the
// single template [SpecialToken X, Sequence A]; it returns the id of X, the BOS token.
func (t *Tokenizer) buildPostProcessor(raw json.RawMessage) (int, error) {
	if isNull(raw) {
		return 0, errors.New("post_processor: missing (want TemplateProcessing \"<s> $A\")")
	}
	typ, err := typeOf(raw, "post_processor")
	if err != nil {
		return 0, err
	}
	if typ != "TemplateProcessing" {
		return 0, fmt.Errorf("post_processor.type: unsupported %q (want TemplateProcessing)", typ)
	}
	var tp templateJSON
	if err := decodeStrict(raw, "post_processor", &tp); err != nil {
		return 0, err
	}
	s := tp.Single
	if len(s) != 2 || s[0].SpecialToken == nil || s[0].Sequence != nil ||
		s[1].Sequence == nil || s[1].SpecialToken != nil || s[1].Sequence.ID != "A" {
		return 0, errors.New("post_processor.single: unsupported template (want [SpecialToken, Sequence A])")
	}
	name := s[0].SpecialToken.ID
	spec, ok := tp.SpecialTokens[name]
	if !ok || len(spec.IDs) != 1 {
		return 0, fmt.Errorf("post_processor.special_tokens[%q]: missing or not exactly one id", name)
	}
	id := spec.IDs[0]
	if id < 0 || id >= len(t.pieces) {
		return 0, fmt.Errorf("post_processor.special_tokens[%q].ids: id %d out of range", name, id)
	}
	return id, nil
}
