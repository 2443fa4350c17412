package model

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hymbaserve/hymbaserve/checkpoint"
)

// writeDir writes the tiny config and the given tensors as a model directory.
func writeDir(t *testing.T, ts Tensors) string {
	t.Helper()
	dir := t.TempDir()
	cfg, err := os.ReadFile("../testdata/golden/tiny-hymba/config.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range ts {
		names = append(names, n)
	}
	sort.Strings(names)
	var list []checkpoint.Tensor
	for _, n := range names {
		list = append(list, ts[n])
	}
	if err := checkpoint.Write(filepath.Join(dir, "model.safetensors"), list, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestLoadRefusesBadCheckpoints: a missing tensor, a tensor whose shape does not fit the
// config, and a malformed config are errors naming the file and the tensor or key.
func TestLoadRefusesBadCheckpoints(t *testing.T) {
	cfg, err := LoadConfig("../testdata/golden/tiny-hymba")
	if err != nil {
		t.Fatal(err)
	}
	missing := RandomTensors(cfg, 1, true)
	delete(missing, "model.layers.5.mamba.x_proj.0.weight")
	wrong := RandomTensors(cfg, 1, true)
	wrong["model.layers.2.mamba.in_proj.weight"] = checkpoint.FromFloat32("model.layers.2.mamba.in_proj.weight", []int{3, 96}, make([]float32, 3*96))
	for name, c := range map[string]struct {
		ts   Tensors
		want []string
	}{
		"missing": {missing, []string{"model.safetensors", "model.layers.5.mamba.x_proj.0.weight"}},
		"shape":   {wrong, []string{"model.safetensors", "model.layers.2.mamba.in_proj.weight", "[3 96]"}},
	} {
		dir := writeDir(t, c.ts)
		_, ck, err := Load(dir, LoadOptions{})
		if err == nil {
			ck.Close()
			t.Fatalf("%s: loaded", name)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not name %q", name, err, w)
			}
		}
	}
	dir := writeDir(t, RandomTensors(cfg, 1, true))
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"hidden_size": "wide"}`), 0o644)
	if _, _, err := Load(dir, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "config.json") || !strings.Contains(err.Error(), "hidden_size") {
		t.Fatalf("malformed config: %v", err)
	}
}
