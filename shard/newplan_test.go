package shard

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// TestNewPlanErrors checks that every unusable input is refused with a message naming the field,
// worker or shortfall at fault.
func TestNewPlanErrors(t *testing.T) {
	cfg := loadConfig(t, "1.5b")
	opt := DefaultOptions()
	need := replicaNeed(cfg, opt)
	full := makeWorkers(need, repeat(1.1, 3), []float64{2e10})
	with := func(f func(*Options)) Options { o := opt; f(&o); return o }
	cases := []struct {
		name    string
		workers []Worker
		opt     Options
		want    string
	}{
		{"no workers", nil, opt, "shard: no workers"},
		{"all cordoned", []Worker{{ID: "a", MemBytes: need, Speed: 1, Cordoned: true}}, opt, "every worker is cordoned (1 listed)"},
		{"empty id", []Worker{{MemBytes: need, Speed: 1}}, opt, "workers[0] has an empty ID"},
		{"duplicate id", []Worker{{ID: "a", MemBytes: need, Speed: 1}, {ID: "a", MemBytes: need, Speed: 1}}, opt, `worker "a" is listed twice`},
		{"negative memory", []Worker{{ID: "a", MemBytes: -1, Speed: 1}}, opt, `worker "a": MemBytes must not be negative`},
		{"nan speed", []Worker{{ID: "a", MemBytes: need, Speed: math.NaN()}}, opt, `worker "a": Speed must be a finite number`},
		{"zero speed", []Worker{{ID: "a", MemBytes: need}}, opt, `worker "a": Speed is 0`},
		{"weight bytes", full, with(func(o *Options) { o.WeightBytes = 3 }), "Options.WeightBytes must be 2 (bf16) or 4 (fp32), got 3"},
		{"state bytes", full, with(func(o *Options) { o.StateBytes = 1 }), "Options.StateBytes must be 0"},
		{"max seqs", full, with(func(o *Options) { o.MaxSeqs = 0 }), "Options.MaxSeqs must be in [1, 1048576], got 0"},
		{"huge max seqs", full, with(func(o *Options) { o.MaxSeqs = 1 << 40 }), "Options.MaxSeqs must be in [1, 1048576]"},
		{"huge context", full, with(func(o *Options) { o.ContextLen = 1 << 40 }), "Options.ContextLen 1099511627776 is beyond"},
		{"context", full, with(func(o *Options) { o.ContextLen = 128 }), "Options.ContextLen 128 must exceed the 128 meta rows"},
		{"negative stages", full, with(func(o *Options) { o.Stages = -1 }), "Options.Stages must not be negative"},
		{"negative replicas", full, with(func(o *Options) { o.Replicas = -2 }), "Options.Replicas must not be negative"},
		{"negative hop", full, with(func(o *Options) { o.HopLatency = -time.Second }), "Options.HopLatency must not be negative"},
		{"stages beyond cut points", makeWorkers(need, repeat(1, 20), []float64{1}), with(func(o *Options) { o.Stages = 18 }),
			"Options.Stages = 18 exceeds the 17 stages the model allows: its kv_reuse_group boundaries leave 16 cut points in 32 layers"},
		{"stages beyond workers", full, with(func(o *Options) { o.Stages = 4 }), "Options.Stages = 4 needs 4 uncordoned workers, have 3"},
		{"replicas beyond workers", full, with(func(o *Options) { o.Replicas = 4 }), "Options.Replicas = 4 needs at least 4 uncordoned workers, have 3"},
		{"replicas × stages", full, with(func(o *Options) { o.Replicas, o.Stages = 2, 2 }),
			"Options.Replicas = 2 × Options.Stages = 2 needs 4 uncordoned workers, have 3"},
		{"short of memory", makeWorkers(need, []float64{0.5, 0.25}, []float64{1}), opt,
			"one replica needs 8.31 GB (3.05 GB weights + 5.26 GB state for 64 sequences of 8192 rows); " +
				"the 2 uncordoned workers offer 6.23 GB in total, 2.08 GB short of 1 replica(s)"},
		{"pinned replicas short of memory", makeWorkers(need, []float64{1.1, 0.6}, []float64{1}), with(func(o *Options) { o.Replicas = 2 }),
			"no plan fits in memory with Options.Replicas = 2: one replica needs 8.31 GB" +
				" (3.05 GB weights + 5.26 GB state for 64 sequences of 8192 rows); " +
				"the 2 uncordoned workers offer 14.13 GB in total, 2.49 GB short of 2 replica(s)"},
		{"no split fits", makeWorkers(need, repeat(0.049, 21), []float64{1}), opt,
			"offer 8.55 GB in total, but no split at kv_reuse_group boundaries (at most 17 stages) gives every worker a stage it can hold"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan(cfg, tc.workers, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got plan %v, error %v; want an error containing %q", p, err, tc.want)
			}
		})
	}
}

func TestFitErrorFields(t *testing.T) {
	cfg := loadConfig(t, "1.5b")
	opt := DefaultOptions()
	need := replicaNeed(cfg, opt)
	_, err := NewPlan(cfg, makeWorkers(need, []float64{0.5, 0.25}, []float64{1}), opt)
	var fe *FitError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *FitError", err)
	}
	if fe.NeedBytes() != need || fe.WeightBytes != 3_045_595_648 || fe.StateBytes != 64*82_247_680 ||
		fe.OfferBytes != int64(0.5*float64(need))+int64(0.25*float64(need)) || fe.Workers != 2 || fe.MaxStages != 17 {
		t.Errorf("FitError %+v, need %d", fe, need)
	}
	if _, err := NewPlan(cfg, nil, opt); !errors.Is(err, ErrNoWorkers) {
		t.Errorf("no workers: %v, want ErrNoWorkers", err)
	}
	if _, err := NewPlan(cfg, []Worker{{ID: "a", Cordoned: true}}, opt); !errors.Is(err, ErrAllCordoned) {
		t.Errorf("all cordoned: %v, want ErrAllCordoned", err)
	}
	if _, err := NewPlan(nil, []Worker{{ID: "a", Speed: 1}}, opt); err == nil {
		t.Error("nil config accepted")
	}
	bad := *cfg
	bad.SlidingWindow = 0
	if _, err := NewPlan(&bad, []Worker{{ID: "a", Speed: 1}}, opt); err == nil ||
		!strings.Contains(err.Error(), `shard: config: key "sliding_window" must be positive`) {
		t.Errorf("invalid config: %v", err)
	}
	huge := []Worker{{ID: "a", MemBytes: math.MaxInt64, Speed: 1}, {ID: "b", MemBytes: 1, Speed: 1}}
	_, err = NewPlan(cfg, huge, Options{WeightBytes: 2, MaxSeqs: 1, ContextLen: 4096, Replicas: 2})
	if !errors.As(err, &fe) || fe.OfferBytes != math.MaxInt64 {
		t.Errorf("offer of %+v: error %v, want a FitError with a saturated offer", huge, err)
	}
}

// TestReplicasPreferred: workers that each hold the whole model serve it as replicas, the
// cost model's answer for a small model; pinning the depth still gives a pipeline.
func TestReplicasPreferred(t *testing.T) {
	for _, name := range []string{"1.5b", "tiny"} {
		cfg := loadConfig(t, name)
		opt := testOptions(name)
		ws := makeWorkers(replicaNeed(cfg, opt), repeat(2.5, 4), []float64{1})
		for _, hop := range []time.Duration{0, time.Nanosecond, time.Second} {
			opt.HopLatency = hop
			p, err := NewPlan(cfg, ws, opt)
			if err != nil || len(p.Replicas) != 4 || p.Depth() != 1 {
				t.Fatalf("%s hop %v: plan %+v, err %v; want 4 single-stage replicas", name, hop, p, err)
			}
		}
		opt.Stages = 2
		p, err := NewPlan(cfg, ws, opt)
		if err != nil || len(p.Replicas) != 2 || p.Depth() != 2 {
			t.Fatalf("%s pinned 2 stages: plan %+v, err %v; want 2 replicas of 2 stages", name, p, err)
		}
	}
}

// TestPipelineWhenMemoryForces: more sequences make the state outgrow one worker, and the planner
// moves from replicas to a pipeline.
func TestPipelineWhenMemoryForces(t *testing.T) {
	cfg := loadConfig(t, "1.5b")
	opt := DefaultOptions()
	ws := makeWorkers(replicaNeed(cfg, opt), repeat(1.05, 2), []float64{2e10})
	p, err := NewPlan(cfg, ws, opt)
	if err != nil || len(p.Replicas) != 2 {
		t.Fatalf("64 sequences: %+v, %v; want 2 replicas", p, err)
	}
	opt.MaxSeqs = 80
	p, err = NewPlan(cfg, ws, opt)
	if err != nil || len(p.Replicas) != 1 || p.Depth() != 2 {
		t.Fatalf("80 sequences: %+v, %v; want one 2-stage pipeline", p, err)
	}
}

// TestHeterogeneousShares: with memory to spare a faster worker gets more work; with compute
// equal, a worker with more memory gets more layers when memory binds.
func TestHeterogeneousShares(t *testing.T) {
	cfg := loadConfig(t, "1.5b")
	opt := DefaultOptions()
	opt.Stages = 2
	need := replicaNeed(cfg, opt)
	for _, speeds := range [][]float64{{1e10, 3e10}, {3e10, 1e10}, {2e10, 2.5e10}} {
		ws := makeWorkers(need, repeat(2, 2), speeds)
		p, err := NewPlan(cfg, ws, opt)
		if err != nil {
			t.Fatal(err)
		}
		fast, slow := work(p, "w1"), work(p, "w0")
		if speeds[0] > speeds[1] {
			fast, slow = slow, fast
		}
		if fast.CostFLOPs <= slow.CostFLOPs || fast.Last-fast.First <= slow.Last-slow.First {
			t.Errorf("speeds %v: faster worker got %+v, slower %+v", speeds, fast, slow)
		}
	}
	ws := makeWorkers(need, []float64{0.3, 0.85}, []float64{2e10})
	p, err := NewPlan(cfg, ws, opt)
	if err != nil {
		t.Fatal(err)
	}
	if small, big := work(p, "w0"), work(p, "w1"); big.Last-big.First <= small.Last-small.First {
		t.Errorf("bigger worker got %+v, smaller %+v", big, small)
	}
}

func work(p *Plan, id string) Stage {
	r, s, _ := p.Locate(id)
	return p.Replicas[r].Stages[s]
}

// TestCandidates lists every depth with its best replica count and marks what does not fit.
func TestCandidates(t *testing.T) {
	cfg := loadConfig(t, "1.5b")
	opt := DefaultOptions()
	ws := makeWorkers(replicaNeed(cfg, opt), repeat(0.6, 5), []float64{2e10})
	cs, err := Candidates(cfg, ws, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 5 {
		t.Fatalf("%d candidates, want depths 1…5", len(cs))
	}
	if cs[0].Fits() || !strings.Contains(cs[0].Reason, "no 1-stage replica fits") {
		t.Errorf("depth 1: %+v, want a reason it does not fit", cs[0])
	}
	if !cs[1].Fits() || cs[1].Replicas != 2 || cs[1].Stages != 2 || cs[4].Replicas != 1 {
		t.Errorf("depths 2 and 5: %+v, %+v", cs[1], cs[4])
	}
	p, err := NewPlan(cfg, ws, opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Fits() && c.Estimate.betterThan(p.Estimate) {
			t.Errorf("candidate %+v beats the chosen plan %+v", c, p.Estimate)
		}
	}
}
