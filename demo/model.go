package demo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/hymbaserve/hymbaserve/checkpoint"
	"github.com/hymbaserve/hymbaserve/model"
	"github.com/hymbaserve/hymbaserve/tokenizer"
)

// Name is the model name the demo checkpoint is served under. It says what it is: the real
// Hymba architecture at a small size with random weights, so its text is gibberish.
const Name = "hymba-demo-random-weights"

// Seed fixes the demo weights: every process that builds the demo gets the same model.
const Seed = 20241120

// Config is the demo model's config: Hymba-1.5B's layer structure (32 layers, global layers
// 0/15/31, the same kv_reuse_groups, 128 meta tokens, window 1024, the real vocabulary) at a
// hidden size of 160 with 5 heads sharing 1 KV head — about 17 M parameters.
func Config() *model.Config {
	c := model.Hymba15B()
	c.HiddenSize, c.NumAttentionHeads, c.NumKeyValueHeads = 160, 5, 1
	c.IntermediateSize, c.MambaDtRank, c.VHeadDim = 352, 10, 64
	c.TorchDtype = "bfloat16"
	c.ConvDim = map[string]int{}
	for l := range c.NumHiddenLayers {
		c.ConvDim[strconv.Itoa(l)] = c.Inner()
	}
	if err := c.Validate(); err != nil {
		panic("demo: built-in config invalid: " + err.Error()) // a bug in this function, caught by every test
	}
	return c
}

// Tensors returns the demo weights (BF16 matrices), generated from Seed.
func Tensors() model.Tensors { return model.RandomTensors(Config(), Seed, true) }

// Load builds the demo model and the real Llama-2/Hymba tokenizer.
func Load() (*model.Model, *tokenizer.Tokenizer, error) {
	m, err := model.New(Config(), Tensors(), model.LoadOptions{})
	if err != nil {
		return nil, nil, err
	}
	tok, err := tokenizer.Parse(TokenizerJSON())
	if err != nil {
		return nil, nil, fmt.Errorf("demo tokenizer: %w", err)
	}
	return m, tok, nil
}

// WriteDir writes the demo checkpoint as a Hugging Face model directory (config.json,
// model.safetensors, tokenizer.json), for workers and tests that load from disk.
func WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg, err := json.MarshalIndent(Config(), "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), TokenizerJSON(), 0o644); err != nil {
		return err
	}
	ts := Tensors()
	list := make([]checkpoint.Tensor, 0, len(ts))
	for _, name := range sortedNames(ts) {
		list = append(list, ts[name])
	}
	return checkpoint.Write(filepath.Join(dir, "model.safetensors"), list, map[string]string{"format": "pt", "hymbaserve": Name})
}

func sortedNames(ts model.Tensors) []string {
	names := make([]string, 0, len(ts))
	for n := range ts {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
