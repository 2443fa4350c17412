package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenSets lists the golden case sets: subdirectories with a config.json under
// $HYMBA_GOLDEN_DIR, or under the project's copied testdata.
func goldenSets(t *testing.T) []string {
	t.Helper()
	root := os.Getenv("HYMBA_GOLDEN_DIR")
	if root == "" {
		root = filepath.Join("..", "testdata", "golden")
	}
	configs, err := filepath.Glob(filepath.Join(root, "*", "config.json"))
	if err != nil || len(configs) == 0 {
		t.Fatalf("no golden case set (dir with config.json) under %s: %v", root, err)
	}
	var sets []string
	for _, c := range configs {
		sets = append(sets, filepath.Dir(c))
	}
	return sets
}

// goldenConfig is the part of a Hymba config.json that fixes tensor shapes.
type goldenConfig struct {
	HiddenSize       int `json:"hidden_size"`
	VocabSize        int `json:"vocab_size"`
	NumMemoryTokens  int `json:"num_memory_tokens"`
	IntermediateSize int `json:"intermediate_size"`
	MambaExpand      int `json:"mamba_expand"`
	NumHiddenLayers  int `json:"num_hidden_layers"`
}

func readGoldenConfig(t *testing.T, dir string) goldenConfig {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c goldenConfig
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("%s/config.json: %v", dir, err)
	}
	return c
}

// rawFile assembles a safetensors file from a literal header (not padded) and data.
func rawFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// writeTemp writes b to name in a fresh temporary directory and returns the path.
func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantErr fails unless err is non-nil and its message contains every want.
func wantErr(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", wants)
	}
	t.Logf("error: %v", err)
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

// mustOpen opens a checkpoint and closes it when the test ends.
func mustOpen(t *testing.T, path string) *Checkpoint {
	t.Helper()
	c, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// mustTensor fetches a tensor or fails.
func mustTensor(t *testing.T, c *Checkpoint, name string) Tensor {
	t.Helper()
	x, err := c.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	return x
}
