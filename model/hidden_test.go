package model

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/hymbaserve/hymbaserve/kernels"
)

// hiddenCase is one case of hidden.json: rows are every position (meta first) when AllPositions,
// else only the last position.
type hiddenCase struct {
	Case         string                       `json:"case"`
	InputIDs     []int                        `json:"input_ids"`
	AllPositions bool                         `json:"all_positions"`
	Embedding    json.RawMessage              `json:"embedding_with_meta"`
	Layers       []map[string]json.RawMessage `json:"layers"`
	FinalNorm    json.RawMessage              `json:"final_norm"`
}

// rowsOf decodes a [rows][w] or [w] value into rows.
func rowsOf(t *testing.T, raw json.RawMessage) [][]float32 {
	var rows [][]float32
	if json.Unmarshal(raw, &rows) == nil {
		return rows
	}
	var row []float32
	if err := json.Unmarshal(raw, &row); err != nil {
		t.Fatal(err)
	}
	return [][]float32{row}
}

func checkHidden(t *testing.T, dir string) {
	var hf struct {
		InvFreq []float32    `json:"rope_inv_freq_float32"`
		Cases   []hiddenCase `json:"cases"`
	}
	readJSON(t, filepath.Join(dir, "hidden.json"), &hf)
	m := loadGolden(t, dir, "model.safetensors")
	for i, f := range hf.InvFreq {
		if math.Abs(float64(m.invFreq[i]-f)) > 1e-7*math.Abs(float64(f)) {
			t.Errorf("rope inv_freq[%d] = %g, want %g", i, m.invFreq[i], f)
		}
	}
	for _, hc := range hf.Cases {
		// A fresh model per case: its meta rows are computed (and traced) on its first sequence.
		t.Run(hc.Case, func(t *testing.T) { checkHiddenCase(t, loadGolden(t, dir, "model.safetensors"), hc) })
	}
}

func checkHiddenCase(t *testing.T, m *Model, hc hiddenCase) {
	got := map[string][]float32{} // "layer/what" → stacked rows
	m.Tracer = func(layer int, what string, x []float32, rows, width int) {
		k := fmt.Sprintf("%d/%s", layer, what) // meta rows come first (computed once), then text rows
		got[k] = append(got[k], x...)
	}
	defer func() { m.Tracer = nil }()
	s := m.NewSeq(1)
	x, _, err := m.Forward([]Segment{{Seq: s, Text: len(hc.InputIDs), LastPrompt: true}}, [][]int{hc.InputIDs}, nil)
	if err != nil {
		t.Fatal(err)
	}
	H := m.dims.H
	T := len(x) / H
	fin := make([]float32, len(x))
	kernels.RMSNorm(fin, x, m.FinalNorm, m.dims.eps)
	got["final_norm"] = fin
	compare := func(name string, raw json.RawMessage, have []float32) {
		want := rowsOf(t, raw)
		w := len(want[0])
		if len(have) != T*w {
			t.Fatalf("%s: traced %d values, want %d rows × %d", name, len(have), T, w)
		}
		first := 0
		if !hc.AllPositions {
			first = T - 1
		}
		for r, wr := range want {
			hr := have[(first+r)*w : (first+r+1)*w]
			for i := range wr {
				if math.Abs(float64(hr[i]-wr[i])) > 1e-4*max(1, math.Abs(float64(wr[i]))) {
					t.Fatalf("%s row %d [%d] = %g, want %g", name, first+r, i, hr[i], wr[i])
				}
			}
		}
	}
	for l, lv := range hc.Layers {
		for what, raw := range lv {
			key := fmt.Sprintf("%d/%s", l, what)
			if got[key] == nil {
				t.Fatalf("no trace for %s", key)
			}
			compare(key, raw, got[key])
		}
	}
	compare("embedding_with_meta", hc.Embedding, got["0/input"])
	compare("final_norm", hc.FinalNorm, got["final_norm"])
}
