package shard

import (
	"fmt"
	"testing"

	"github.com/hymbaserve/hymbaserve/model"
)

// configPaths are the two model configs the tests plan for: the real Hymba-1.5B config.json
// (hymba-architecture.md §1) and the tiny golden model's.
var configPaths = map[string]string{
	"1.5b": "testdata/hymba-1.5b-config.json",
	"tiny": "../testdata/golden/tiny-hymba/config.json",
}

func loadConfig(t testing.TB, name string) *model.Config {
	t.Helper()
	cfg, err := model.LoadConfig(configPaths[name])
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// testOptions budgets the real model as the design brief does (bf16, 64 sequences of 8K rows) and
// the tiny fp32 model for 4 sequences of 64 rows (window 16 + 8 meta rows bound its rings).
func testOptions(name string) Options {
	if name == "tiny" {
		return Options{WeightBytes: 4, MaxSeqs: 4, ContextLen: 64}
	}
	return DefaultOptions()
}

// replicaNeed is the memory of one single-stage replica: one copy of the weights plus the state.
func replicaNeed(cfg *model.Config, opt Options) int64 {
	costs := LayerCosts(cfg, opt)
	var need int64
	for _, c := range costs {
		need += c.WeightBytes + int64(opt.MaxSeqs)*c.StateBytesPerSeq
	}
	return need - int64(cfg.VocabSize*cfg.HiddenSize*opt.WeightBytes)
}

// makeWorkers builds workers w0, w1, … with memory fracs[i]·need and speed speeds[i] (the last speed
// repeats when speeds is shorter).
func makeWorkers(need int64, fracs []float64, speeds []float64) []Worker {
	ws := make([]Worker, len(fracs))
	for i, f := range fracs {
		sp := speeds[min(i, len(speeds)-1)]
		ws[i] = Worker{ID: fmt.Sprintf("w%d", i), MemBytes: int64(f * float64(need)), Speed: sp}
	}
	return ws
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// byID indexes workers by ID.
func byID(ws []Worker) map[string]Worker {
	m := make(map[string]Worker, len(ws))
	for _, w := range ws {
		m[w.ID] = w
	}
	return m
}
