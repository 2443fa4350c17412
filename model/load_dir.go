//go:build ignore

package model

import "github.com/hymbaserve/hymbaserve/checkpoint"

// Load opens the Hugging Face model directory dir (config.json + safetensors) and loads the layers
// opt selects. The returned model reads BF16 weights straight from the memory-mapped file; close
// the returned checkpoint only after the model is no longer used.
func Load(dir string, opt LoadOptions) (*Model, *checkpoint.Checkpoint, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, nil, err
	}
	ck, err := checkpoint.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	m, err := New(cfg, ck, opt)
	if err != nil {
		ck.Close()
		return nil, nil, err
	}
	return m, ck, nil
}
