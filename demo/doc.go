// Package demo holds the assets of the demo checkpoint, which the cluster serves when no real
// Hymba weights are configured. The checkpoint is clearly labelled as a demo: its weights are
// random, so its output is meaningless text, while its tokenizer is the real Llama-2 / Hymba
// tokenizer.json (embedded here and returned by TokenizerJSON), so prompts, token counts and
// detokenization behave exactly as with the real model.
package demo
