// Package tokenizer is the Hymba tokenizer — the Llama-2 byte-fallback BPE read from a Hugging
// Face tokenizer.json — together with the Hymba-Instruct chat template and streaming
// detokenization for generated tokens.
//
//	tok, err := tokenizer.Load("tokenizer.json")
//	prompt, err := tokenizer.RenderChat(msgs, tokenizer.ChatOptions{AddGenerationPrompt: true})
//	ids := tok.Encode(prompt, false) // chat prompts carry no BOS
//	s := tok.NewStream()
//	for _, id := range generated {
//		send(s.Add(id)) // only complete UTF-8
//	}
//	send(s.Flush())
//
// # Supported tokenizer.json
//
// Exactly what Hymba's file (the Llama-2 vocabulary plus [PAD] = 32000) uses: a BPE model with
// byte_fallback and fuse_unk, merges as "a b" strings or [a, b] pairs; a normalizer made of
// Prepend and String-pattern Replace steps (Llama-2: prepend "▁", replace " " by "▁"); no
// pre-tokenizer; the decoder Replace("▁" → " "), ByteFallback, Fuse, Strip(one leading space);
// the post-processor TemplateProcessing "<s> $A". Anything else — another model type, dropout,
// subword prefixes, regex patterns, other normalizer or decoder steps, truncation, padding —
// is refused by Parse with an error naming the JSON field, such as
// `tokenizer: decoder.decoders[2].type: unsupported "CTC" here (want "Fuse")`.
// BOS is the post-processor's special token; EOS is the special added token "</s>".
//
// # Encoding
//
// Encode takes text literally. The strings of special tokens ("<s>", "</s>", "[PAD]") are
// encoded as characters, never as special ids: this is what SentencePiece and the golden
// reference (llama-tokenizer-js) do, and it keeps user text from injecting control tokens into
// a prompt. Hugging Face's fast tokenizer would instead turn such text into the special ids.
// Bytes of invalid UTF-8 are encoded with their <0xNN> tokens.
//
// A chat prompt is encoded with addBOS false (EncodeChat does this), as Hugging Face's
// apply_chat_template tokenizes with add_special_tokens=False; the template writes no <s>.
//
// BPE merges pairs lowest rank first and, among equal ranks, leftmost first, like Hugging
// Face's Word::merge_all, with a binary heap over a linked list of symbols and an
// open-addressing table keyed by the pair of ids. The normalized text is cut before every "▁"
// that no vocabulary piece joins to the preceding character (for Llama-2, every "▁" not
// preceded by another "▁"); merges only ever build vocabulary pieces, so none can cross such a
// cut, and merging the words one by one gives exactly the ids of merging the whole text (tests
// check this against whole-text BPE). Words of up to 48 bytes go through a bounded, lock-free
// cache, as in Hugging Face's BPE. A Tokenizer is immutable apart from that cache and safe for
// concurrent use.
//
// # Decoding
//
// Decode skips the special tokens (<unk>, <s>, </s>, [PAD], like skip_special_tokens=True) and
// ids outside [0, VocabSize); it never panics. No clean-up of spaces is applied
// (clean_up_tokenization_spaces is false for Hymba). A run of <0xNN> tokens is decoded as
// UTF-8 in which every byte that is not part of a valid sequence becomes U+FFFD; Hugging Face
// turns every byte of such a run into U+FFFD, so the two differ only on runs holding invalid
// UTF-8. This rule is what lets a Stream emit each character as soon as it is complete while
// keeping the concatenation of its output equal to Decode.
//
// Round trip: Decode(Encode(s, addBOS)) == s for every valid UTF-8 s, with one exception:
// a literal "▁" (U+2581) in s comes back as a space, since the decoder cannot tell it from the
// "▁" written for a space. Invalid UTF-8 comes back with U+FFFD in place of invalid bytes.
//
// # Chat template
//
// RenderChat writes the Hymba-Instruct template in Go (no jinja). Decisions, following the
// jinja template's rules: the "<extra_id_0>System" block is always written, with empty text
// when there is no system message; every system message, wherever it appears in the list,
// adds its stripped text to that block in order and is not rendered as a turn; user,
// assistant and tool messages become "<extra_id_1>User|Assistant|Tool" turns; an unknown role
// is an error naming it (the jinja template would drop it silently). Tools are re-serialized
// as Python's json.dumps prints them (the template's tojson filter), contexts and contents are
// stripped with Python's definition of whitespace. "<extra_id_N>" markers are ordinary text
// for this tokenizer.
//
// # Golden data
//
// TestTokenizerGolden runs ../testdata/golden/tokenizer-llama and, when HYMBA_GOLDEN_DIR is
// set, every subdirectory of it holding tokenizer.json and cases.json. Subdirectories with
// other golden data (model case sets) are skipped; the test fails only when HYMBA_GOLDEN_DIR
// cannot be read or is empty. testdata/hf-reference holds 400 random texts encoded by Hugging
// Face's tokenizers.js as a second reference (see its README).
package tokenizer
