package shard

import (
	"encoding/json"
	"strings"
	"testing"
)

// twoStage is a valid plan for the real config: replica 0 on a and b, replica 1 on c alone.
func twoStage() *Plan {
	return &Plan{Layers: 32, Unused: []string{"z"}, Replicas: []Replica{
		{Stages: []Stage{
			{Worker: "a", First: 0, Last: 16, Embed: true},
			{Worker: "b", First: 16, Last: 32, Head: true},
		}},
		{Stages: []Stage{{Worker: "c", First: 0, Last: 32, Embed: true, Head: true}}},
	}}
}

func TestValidate(t *testing.T) {
	cfg := loadConfig(t, "1.5b")
	if err := twoStage().Validate(cfg); err != nil {
		t.Fatalf("valid plan rejected: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(p *Plan)
		want   string
	}{
		{"layer count", func(p *Plan) { p.Layers = 8 }, "plan is for 8 layers, the model has 32"},
		{"no replicas", func(p *Plan) { p.Replicas = nil }, "plan has no replicas"},
		{"empty replica", func(p *Plan) { p.Replicas[1].Stages = nil }, "replica 1 has no stages"},
		{"no worker", func(p *Plan) { p.Replicas[0].Stages[1].Worker = "" }, "replica 0 stage 1 has no worker"},
		{"gap", func(p *Plan) { p.Replicas[0].Stages[1].First = 19 }, `replica 0 stage 1 (worker "b") starts at layer 19, want 16`},
		{"overlap", func(p *Plan) { p.Replicas[0].Stages[0].Last = 19 }, `replica 0 stage 1 (worker "b") starts at layer 16, want 19`},
		{"not from zero", func(p *Plan) { p.Replicas[1].Stages[0].First = 1 }, "replica 1 stage 0 (worker \"c\") starts at layer 1, want 0"},
		{"empty range", func(p *Plan) { p.Replicas[0].Stages[0].Last = 0; p.Replicas[0].Stages[1].First = 0 },
			"replica 0 stage 0 (worker \"a\") has an empty layer range [0,0)"},
		{"short", func(p *Plan) { p.Replicas[1].Stages[0].Last = 31 }, "replica 1 ends at layer 31, not 32"},
		{"too long", func(p *Plan) { p.Replicas[1].Stages[0].Last = 40 }, "ends at layer 40 beyond the model's 32"},
		{"group split", func(p *Plan) { p.Replicas[0].Stages[0].Last = 17; p.Replicas[0].Stages[1].First = 17 },
			"replica 0 stage 1 (worker \"b\") starts at layer 17 inside kv_reuse_group[7] [16 17 18]"},
		{"embed missing", func(p *Plan) { p.Replicas[0].Stages[0].Embed = false }, "embed = false, want it on the first stage only"},
		{"embed late", func(p *Plan) { p.Replicas[0].Stages[1].Embed = true }, "replica 0 stage 1 (worker \"b\"): embed = true"},
		{"head missing", func(p *Plan) { p.Replicas[1].Stages[0].Head = false }, "replica 1 stage 0 (worker \"c\"): head = false"},
		{"head early", func(p *Plan) { p.Replicas[0].Stages[0].Head = true }, "replica 0 stage 0 (worker \"a\"): head = true"},
		{"worker twice", func(p *Plan) { p.Replicas[1].Stages[0].Worker = "a" }, `replica 1 stage 0: worker "a" already holds replica 0 stage 0`},
		{"unused also placed", func(p *Plan) { p.Unused = []string{"b"} }, `unused worker "b" also holds replica 0 stage 1`},
		{"unused twice", func(p *Plan) { p.Unused = []string{"z", "z"} }, `unused worker "z" also holds the unused list`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := twoStage()
			tc.mutate(p)
			err := p.Validate(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestValidateCutPoints accepts a cut at every boundary and rejects one at every other layer.
func TestValidateCutPoints(t *testing.T) {
	cfg := loadConfig(t, "1.5b")
	ok := map[int]bool{}
	for _, c := range Boundaries(cfg) {
		ok[c] = true
	}
	for c := 1; c < 32; c++ {
		p := &Plan{Layers: 32, Replicas: []Replica{{Stages: []Stage{
			{Worker: "a", First: 0, Last: c, Embed: true},
			{Worker: "b", First: c, Last: 32, Head: true},
		}}}}
		if err := p.Validate(cfg); (err == nil) != ok[c] {
			t.Errorf("cut at %d: error %v, boundary %v", c, err, ok[c])
		}
	}
}

func TestPlanLookups(t *testing.T) {
	p := twoStage()
	for _, tc := range []struct {
		rep, layer, stage int
		worker            string
	}{{0, 0, 0, "a"}, {0, 15, 0, "a"}, {0, 16, 1, "b"}, {0, 31, 1, "b"}, {1, 31, 0, "c"}} {
		s, err := p.StageOf(tc.rep, tc.layer)
		w, err2 := p.WorkerOf(tc.rep, tc.layer)
		if err != nil || err2 != nil || s != tc.stage || w != tc.worker {
			t.Errorf("replica %d layer %d: stage %d worker %q (%v, %v), want %d %q",
				tc.rep, tc.layer, s, w, err, err2, tc.stage, tc.worker)
		}
	}
	for _, bad := range [][2]int{{-1, 0}, {2, 0}, {0, -1}, {0, 32}} {
		if _, err := p.WorkerOf(bad[0], bad[1]); err == nil {
			t.Errorf("replica %d layer %d accepted", bad[0], bad[1])
		}
	}
	if n, ok := p.Next(0, 0); !ok || n.Worker != "b" {
		t.Errorf("next after a: %+v %v", n, ok)
	}
	for _, bad := range [][2]int{{0, 1}, {1, 0}, {2, 0}, {0, -1}} {
		if n, ok := p.Next(bad[0], bad[1]); ok {
			t.Errorf("next of replica %d stage %d = %+v, want none", bad[0], bad[1], n)
		}
	}
	if r, s, ok := p.Locate("b"); !ok || r != 0 || s != 1 {
		t.Errorf("locate b: %d %d %v", r, s, ok)
	}
	if _, _, ok := p.Locate("z"); ok {
		t.Error("unused worker located")
	}
	if got := strings.Join(p.Workers(), ","); got != "a,b,c" || p.Depth() != 2 {
		t.Errorf("workers %s depth %d", got, p.Depth())
	}
}

// TestPlanJSON round-trips a plan, the form the coordinator stores in etcd.
func TestPlanJSON(t *testing.T) {
	cfg := loadConfig(t, "1.5b")
	ws := makeWorkers(replicaNeed(cfg, DefaultOptions()), repeat(0.6, 4), []float64{2e10})
	p, err := NewPlan(cfg, ws, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(&back)
	if string(b) != string(b2) || back.Validate(cfg) != nil {
		t.Errorf("round trip changed the plan:\n%s\n%s", b, b2)
	}
}
