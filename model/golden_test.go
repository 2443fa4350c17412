package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/hymbaserve/hymbaserve/checkpoint"
)

// goldenCase is one prompt of cases.json / cases_bf16.json (see testdata/golden/tiny-hymba/README.md).
type goldenCase struct {
	Name               string      `json:"name"`
	InputIDs           []int       `json:"input_ids"`
	PrefillLastLogits  []float32   `json:"prefill_last_logits"`
	PrefillArgmax      []int       `json:"prefill_argmax"`
	GreedyContinuation []int       `json:"greedy_continuation"`
	DecodeStepLogits   [][]float32 `json:"decode_step_logits"`
	DecodeStepArgmax   []int       `json:"decode_step_argmax"`
}

type goldenBatch struct {
	Name               string      `json:"name"`
	InputIDs           [][]int     `json:"input_ids"`
	PrefillLastLogits  [][]float32 `json:"prefill_last_logits"`
	GreedyContinuation [][]int     `json:"greedy_continuation"`
}

type goldenFile struct {
	Cases      []goldenCase  `json:"cases"`
	BatchCases []goldenBatch `json:"batch_cases"`
}

// goldenDirs returns the golden case sets: every subdirectory of $HYMBA_GOLDEN_DIR holding a
// config.json when it is set, else the copy in testdata.
func goldenDirs(t *testing.T) []string {
	root := os.Getenv("HYMBA_GOLDEN_DIR")
	if root == "" {
		return []string{filepath.Join("..", "testdata", "golden", "tiny-hymba")}
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatalf("HYMBA_GOLDEN_DIR: %v", err)
	}
	var dirs []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(root, e.Name(), "config.json")); e.IsDir() && err == nil {
			dirs = append(dirs, filepath.Join(root, e.Name()))
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("HYMBA_GOLDEN_DIR=%s holds no case set (a subdirectory with config.json)", root)
	}
	return dirs
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// TestGolden checks the forward pass against the official implementation's outputs, for fp32
// weights (cases.json) and bf16 weights widened to fp32 (cases_bf16.json): prefill logits and
// every decode step's logits within 1e-3, every argmax and greedy token exact, and per-layer
// hidden states (hidden.json) within 1e-4·max(1,|x|).
func TestGolden(t *testing.T) {
	for _, dir := range goldenDirs(t) {
		variants := []struct{ weights, cases string }{
			{"model.safetensors", "cases.json"},
			{"model.bf16.safetensors", "cases_bf16.json"},
		}
		for _, v := range variants {
			if _, err := os.Stat(filepath.Join(dir, v.weights)); err != nil {
				continue
			}
			t.Run(filepath.Base(dir)+"/"+v.cases, func(t *testing.T) {
				m := loadGolden(t, dir, v.weights)
				var gf goldenFile
				readJSON(t, filepath.Join(dir, v.cases), &gf)
				if len(gf.Cases) == 0 {
					t.Fatalf("%s has no cases", v.cases)
				}
				for _, c := range gf.Cases {
					t.Run(c.Name, func(t *testing.T) { checkCase(t, m, c) })
				}
				for _, b := range gf.BatchCases {
					t.Run(b.Name, func(t *testing.T) { checkBatch(t, m, b) })
				}
			})
		}
		if _, err := os.Stat(filepath.Join(dir, "hidden.json")); err == nil {
			t.Run(filepath.Base(dir)+"/hidden.json", func(t *testing.T) { checkHidden(t, dir) })
		}
	}
}

func loadGolden(t *testing.T, dir, weights string) *Model {
	t.Helper()
	cfg, err := LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := checkpoint.Open(filepath.Join(dir, weights))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ck.Close() })
	m, err := New(cfg, ck, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func checkCase(t *testing.T, m *Model, c goldenCase) {
	s := m.NewSeq(1)
	x, lay, err := m.Forward([]Segment{{Seq: s, Text: len(c.InputIDs), LastPrompt: true}}, [][]int{c.InputIDs}, nil)
	if err != nil {
		t.Fatal(err)
	}
	all, n := m.Logits(lay, x, true)
	V := m.dims.V
	last := all[(n-1)*V:]
	if d := maxAbsDiff(last, c.PrefillLastLogits); d > 1e-3 {
		t.Errorf("prefill_last_logits: max abs diff %g > 1e-3", d)
	}
	for p, want := range c.PrefillArgmax {
		if got := argmax(all[p*V : (p+1)*V]); got != want {
			t.Errorf("prefill_argmax[%d] = %d, want %d", p, got, want)
		}
	}
	logits := last
	for k, want := range c.GreedyContinuation {
		if k < len(c.DecodeStepLogits) {
			if d := maxAbsDiff(logits, c.DecodeStepLogits[k]); d > 1e-3 {
				t.Errorf("decode_step_logits[%d]: max abs diff %g > 1e-3", k, d)
			}
		}
		if got := argmax(logits); got != want {
			t.Fatalf("greedy_continuation[%d] = %d, want %d", k, got, want)
		}
		if k < len(c.DecodeStepArgmax) && argmax(logits) != c.DecodeStepArgmax[k] {
			t.Errorf("decode_step_argmax[%d] = %d, want %d", k, argmax(logits), c.DecodeStepArgmax[k])
		}
		x, lay, err := m.Forward([]Segment{{Seq: s, Text: 1}}, [][]int{{want}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		logits, _ = m.Logits(lay, x, false)
	}
}

// checkBatch prefills and decodes the batch's prompts together in one step each.
func checkBatch(t *testing.T, m *Model, b goldenBatch) {
	seqs := make([]*SeqState, len(b.InputIDs))
	segs := make([]Segment, len(b.InputIDs))
	for i, ids := range b.InputIDs {
		seqs[i] = m.NewSeq(uint64(i))
		segs[i] = Segment{Seq: seqs[i], Text: len(ids), LastPrompt: true}
	}
	x, lay, err := m.Forward(segs, b.InputIDs, nil)
	if err != nil {
		t.Fatal(err)
	}
	logits, _ := m.Logits(lay, x, false)
	V := m.dims.V
	for i := range seqs {
		if d := maxAbsDiff(logits[i*V:(i+1)*V], b.PrefillLastLogits[i]); d > 1e-3 {
			t.Errorf("batch %d prefill_last_logits: max abs diff %g", i, d)
		}
	}
	for k := range b.GreedyContinuation[0] {
		toks := make([][]int, len(seqs))
		for i := range seqs {
			want := b.GreedyContinuation[i][k]
			if got := argmax(logits[i*V : (i+1)*V]); got != want {
				t.Fatalf("batch %d greedy_continuation[%d] = %d, want %d", i, k, got, want)
			}
			toks[i] = []int{want}
			segs[i] = Segment{Seq: seqs[i], Text: 1}
		}
		if x, lay, err = m.Forward(segs, toks, nil); err != nil {
			t.Fatal(err)
		}
		logits, _ = m.Logits(lay, x, false)
	}
}
