package checkpoint

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// splitGolden writes the golden F32 checkpoint as two shards plus an index into a temporary
// directory and returns the directory, the original checkpoint and the index's weight_map.
func splitGolden(t *testing.T) (string, *Checkpoint, map[string]string) {
	t.Helper()
	orig := mustOpen(t, filepath.Join(goldenSets(t)[0], "model.safetensors"))
	names := orig.Names()
	dir := t.TempDir()
	weightMap := map[string]string{}
	for i, part := range [][]string{names[:len(names)/2], names[len(names)/2:]} {
		shard := []string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}[i]
		var ts []Tensor
		for _, n := range part {
			ts = append(ts, mustTensor(t, orig, n))
			weightMap[n] = shard
		}
		if err := Write(filepath.Join(dir, shard), ts, orig.Metadata()); err != nil {
			t.Fatal(err)
		}
	}
	writeIndex(t, dir, map[string]any{"metadata": map[string]any{"total_size": 1}, "weight_map": weightMap})
	return dir, orig, weightMap
}

func writeIndex(t *testing.T, dir string, index any) {
	t.Helper()
	raw, err := json.Marshal(index)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, IndexFileName), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestShardedRoundTrip(t *testing.T) {
	dir, orig, _ := splitGolden(t)
	for _, path := range []string{dir, filepath.Join(dir, IndexFileName)} {
		c := mustOpen(t, path)
		if !slices.Equal(c.Names(), orig.Names()) {
			t.Fatalf("Open(%s): %d names, want %d", path, len(c.Names()), len(orig.Names()))
		}
		if c.Metadata()["format"] != "pt" {
			t.Errorf("Open(%s): metadata %v lacks format=pt", path, c.Metadata())
		}
		for _, name := range orig.Names() {
			got, want := mustTensor(t, c, name), mustTensor(t, orig, name)
			if !bytes.Equal(got.Data, want.Data) || !slices.Equal(got.Shape, want.Shape) || got.DType != want.DType {
				t.Fatalf("%s differs after sharding", name)
			}
		}
		_, err := c.Tensor("lm_head.weight")
		wantErr(t, err, IndexFileName, `"lm_head.weight"`, "model-00001-of-00002.safetensors")
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%v does not wrap ErrNotFound", err)
		}
	}
}

// TestShardedBadIndex breaks the index of a valid sharded checkpoint in one way per case.
func TestShardedBadIndex(t *testing.T) {
	const shard1 = "model-00001-of-00002.safetensors"
	cases := []struct {
		name  string
		edit  func(wm map[string]string) any // returns the index to write
		wants []string
	}{
		{"missing shard", func(wm map[string]string) any {
			wm["model.memory_tokens"] = "model-00009-of-00009.safetensors"
			return map[string]any{"weight_map": wm}
		}, []string{IndexFileName, "model-00009-of-00009.safetensors", "model.memory_tokens"}},
		{"dot-dot path", func(wm map[string]string) any {
			wm["model.memory_tokens"] = "../" + shard1
			return map[string]any{"weight_map": wm}
		}, []string{IndexFileName, `tensor "model.memory_tokens"`, "../" + shard1, "escapes"}},
		{"absolute path", func(wm map[string]string) any {
			wm["model.memory_tokens"] = "/etc/passwd"
			return map[string]any{"weight_map": wm}
		}, []string{IndexFileName, `tensor "model.memory_tokens"`, "/etc/passwd"}},
		{"tensor absent from shard", func(wm map[string]string) any {
			wm["model.extra.weight"] = shard1
			return map[string]any{"weight_map": wm}
		}, []string{shard1, `tensor "model.extra.weight"`, IndexFileName}},
		{"no weight_map", func(map[string]string) any { return map[string]any{"metadata": map[string]any{}} },
			[]string{IndexFileName, "header", "no weight_map"}},
		{"empty weight_map", func(map[string]string) any { return map[string]any{"weight_map": map[string]string{}} },
			[]string{IndexFileName, "header", "empty"}},
		{"value not a string", func(map[string]string) any {
			return map[string]any{"weight_map": map[string]any{"model.memory_tokens": 3}}
		}, []string{IndexFileName, `tensor "model.memory_tokens"`}},
		{"not JSON", func(map[string]string) any { return json.RawMessage(`{"weight_map": {`) }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, _, wm := splitGolden(t)
			idx := tc.edit(wm)
			if raw, ok := idx.(json.RawMessage); ok {
				if err := os.WriteFile(filepath.Join(dir, IndexFileName), raw, 0o644); err != nil {
					t.Fatal(err)
				}
				tc.wants = []string{IndexFileName, "header", "invalid index JSON"}
			} else {
				writeIndex(t, dir, idx)
			}
			c, err := Open(dir)
			if err == nil {
				c.Close()
			}
			wantErr(t, err, tc.wants...)
		})
	}
}

// TestShardedDuplicateName lists one tensor twice in the weight_map.
func TestShardedDuplicateName(t *testing.T) {
	dir, _, _ := splitGolden(t)
	raw := `{"weight_map": {"model.memory_tokens": "a.safetensors", "model.memory_tokens": "b.safetensors"}}`
	if err := os.WriteFile(filepath.Join(dir, IndexFileName), []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	wantErr(t, err, IndexFileName, `tensor "model.memory_tokens"`, "twice")
}
