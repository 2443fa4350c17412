package demo

import _ "embed"

//go:embed tokenizer.json
var tokenizerJSON []byte

// TokenizerJSON returns the tokenizer.json of the demo checkpoint: the real Llama-2 /
// Hymba tokenizer (32,000 pieces plus [PAD]). The slice is shared; callers must not modify it.
func TokenizerJSON() []byte { return tokenizerJSON }
