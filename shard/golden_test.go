package shard

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden plans under testdata/")

// goldenCase is a pool described relative to the model: memory as fractions of one single-stage
// replica's need, speeds in FLOP/s (2e10 is about a 2-core CPU worker).
type goldenCase struct {
	name    string
	mem     []float64
	speed   []float64
	cordon  []int
	stages  int
	replica int
}

var goldenCases = []goldenCase{
	{name: "1w-homog", mem: []float64{1.1}, speed: []float64{2e10}},
	{name: "2w-homog-full", mem: repeat(1.1, 2), speed: []float64{2e10}},
	{name: "2w-homog-half", mem: repeat(0.6, 2), speed: []float64{2e10}},
	{name: "2w-hetero-speed", mem: repeat(0.8, 2), speed: []float64{2e10, 6e10}, stages: 2},
	{name: "2w-hetero-mem", mem: []float64{0.8, 0.35}, speed: []float64{2e10}},
	{name: "3w-homog-half", mem: repeat(0.6, 3), speed: []float64{2e10}},
	{name: "3w-pinned-3", mem: repeat(1.1, 3), speed: []float64{2e10}, stages: 3},
	{name: "3w-hetero", mem: []float64{1.5, 0.45, 0.6}, speed: []float64{8e10, 2e10, 2e10}},
	{name: "4w-homog-half", mem: repeat(0.6, 4), speed: []float64{2e10}},
	{name: "4w-pinned-2", mem: repeat(1.1, 4), speed: []float64{2e10}, stages: 2},
	{name: "4w-pinned-1-replica", mem: repeat(1.1, 4), speed: []float64{2e10}, replica: 1},
	{name: "4w-cordoned", mem: repeat(0.6, 4), speed: []float64{2e10}, cordon: []int{1}},
	{name: "4w-hetero", mem: []float64{2.5, 1.0, 0.5, 0.5}, speed: []float64{1e11, 3e10, 2e10, 2e10}},
	{name: "7w-homog-full", mem: repeat(1.1, 7), speed: []float64{2e10}},
	{name: "7w-homog-40pct", mem: repeat(0.4, 7), speed: []float64{2e10}},
	{name: "7w-hetero", mem: []float64{1.2, 0.3, 0.7, 0.3, 0.9, 0.5, 0.3}, speed: []float64{4e10, 1e10, 3e10, 1e10, 2e10, 2e10, 1e10}},
	{name: "7w-cordoned-pinned-3", mem: repeat(0.5, 7), speed: []float64{2e10}, cordon: []int{0, 4}, stages: 3},
	{name: "2w-too-small", mem: repeat(0.3, 2), speed: []float64{2e10}},
}

// goldenFile is one golden plan: the resolved input and the plan (or error) NewPlan returns.
type goldenFile struct {
	Config  string   `json:"config"`
	Options Options  `json:"options"`
	Workers []Worker `json:"workers"`
	Plan    *Plan    `json:"plan,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// TestGoldenPlans plans every case for both configs and compares with testdata/TestGoldenPlans;
// `go test ./shard -update` rewrites the files.
func TestGoldenPlans(t *testing.T) {
	for _, cfgName := range []string{"1.5b", "tiny"} {
		cfg := loadConfig(t, cfgName)
		for _, gc := range goldenCases {
			t.Run(cfgName+"/"+gc.name, func(t *testing.T) {
				opt := testOptions(cfgName)
				opt.Stages, opt.Replicas = gc.stages, gc.replica
				ws := makeWorkers(replicaNeed(cfg, opt), gc.mem, gc.speed)
				for _, i := range gc.cordon {
					ws[i].Cordoned = true
				}
				g := goldenFile{Config: configPaths[cfgName], Options: opt, Workers: ws}
				p, err := NewPlan(cfg, ws, opt)
				if err != nil {
					g.Error = err.Error()
				} else {
					g.Plan = p
					checkPlan(t, cfg, ws, opt, p)
				}
				compareGolden(t, filepath.Join("testdata", "TestGoldenPlans", cfgName+"-"+gc.name+".json"), g)
			})
		}
	}
}

func compareGolden(t *testing.T, path string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./shard -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the plan computed now:\n%s\n(run go test ./shard -update if the change is intended)",
			path, got)
	}
}
