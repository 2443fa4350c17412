package shard

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/hymbaserve/hymbaserve/model"
)

// checkPlan asserts what every plan NewPlan returns must satisfy: a valid structure, every worker
// placed once or listed unused (cordoned ones unused), stage costs that add up from LayerCosts,
// stages inside their worker's memory, one depth for all replicas, and the pins honoured.
func checkPlan(t *testing.T, cfg *model.Config, ws []Worker, opt Options, p *Plan) {
	t.Helper()
	if err := p.Validate(cfg); err != nil {
		t.Fatalf("invalid plan: %v", err)
	}
	byWorker := byID(ws)
	placed := append(p.Workers(), p.Unused...)
	slices.Sort(placed)
	var all []string
	for _, w := range ws {
		all = append(all, w.ID)
	}
	slices.Sort(all)
	if !slices.Equal(placed, all) {
		t.Fatalf("placed and unused workers %v, want each of %v once", placed, all)
	}
	checkGroupsWhole(t, cfg, p)
	costs := LayerCosts(cfg, opt)
	for r, rep := range p.Replicas {
		if len(rep.Stages) != p.Depth() {
			t.Errorf("replica %d has %d stages, replica 0 has %d", r, len(rep.Stages), p.Depth())
		}
		for s, st := range rep.Stages {
			w := byWorker[st.Worker]
			mem, flops := stageCost(cfg, opt, costs, st)
			switch {
			case w.Cordoned:
				t.Errorf("replica %d stage %d: cordoned worker %s holds layers", r, s, w.ID)
			case st.MemBytes != mem || st.CostFLOPs != flops:
				t.Errorf("replica %d stage %d: mem %d flops %v, LayerCosts add up to %d and %v",
					r, s, st.MemBytes, st.CostFLOPs, mem, flops)
			case st.MemBytes > w.MemBytes:
				t.Errorf("replica %d stage %d needs %d bytes, worker %s offers %d", r, s, st.MemBytes, w.ID, w.MemBytes)
			}
		}
	}
	if opt.Stages > 0 && p.Depth() != opt.Stages || opt.Replicas > 0 && len(p.Replicas) != opt.Replicas {
		t.Errorf("plan is %d×%d, pinned %d×%d", len(p.Replicas), p.Depth(), opt.Replicas, opt.Stages)
	}
	if !(p.Estimate.TokensPerSecond > 0 && p.Estimate.LatencySeconds > 0) {
		t.Errorf("estimate %+v", p.Estimate)
	}
}

// checkGroupsWhole asserts that every kv_reuse_group's layers run on one worker in every replica.
func checkGroupsWhole(t *testing.T, cfg *model.Config, p *Plan) {
	t.Helper()
	for r := range p.Replicas {
		for _, g := range cfg.KVReuseGroup {
			owner, err := p.WorkerOf(r, g[0])
			for _, l := range g[1:] {
				if w, err2 := p.WorkerOf(r, l); err != nil || err2 != nil || w != owner {
					t.Errorf("replica %d: group %v split: layer %d on %q, producer on %q", r, g, l, w, owner)
				}
			}
		}
	}
}

// stageCost adds up a stage's memory and FLOPs from LayerCosts, the tied matrix once when the
// stage holds both embedding and head.
func stageCost(cfg *model.Config, opt Options, costs []LayerCost, st Stage) (int64, float64) {
	L := cfg.NumHiddenLayers
	var mem int64
	var flops float64
	for _, c := range costs[st.First:st.Last] {
		mem += c.WeightBytes + int64(opt.MaxSeqs)*c.StateBytesPerSeq
		flops += c.FLOPsPerToken
	}
	if st.Embed {
		mem += costs[L].WeightBytes
	}
	if st.Head {
		mem += costs[L+1].WeightBytes
		flops += costs[L+1].FLOPsPerToken
	}
	if st.Embed && st.Head {
		mem -= int64(cfg.VocabSize * cfg.HiddenSize * opt.WeightBytes)
	}
	return mem, flops
}

// randomPool draws 1–9 workers with memory between 0.1 and 1.6 replicas' need, speeds over a 4×
// range, a few cordoned, and sometimes pinned options.
func randomPool(rng *rand.Rand, need int64, opt Options) ([]Worker, Options) {
	n := 1 + rng.IntN(9)
	ws := make([]Worker, n)
	for i := range ws {
		ws[i] = Worker{
			ID:       fmt.Sprintf("n%02d", i),
			MemBytes: int64((0.1 + 1.5*rng.Float64()) * float64(need)),
			Speed:    float64(1+rng.IntN(4)) * 1e10,
			Cordoned: rng.IntN(8) == 0,
		}
	}
	if rng.IntN(4) == 0 {
		opt.Stages = 1 + rng.IntN(3)
	}
	if rng.IntN(6) == 0 {
		opt.Replicas = 1 + rng.IntN(2)
	}
	return ws, opt
}

// TestPropertyRandomPools plans random pools for both configs and checks every plan's invariants,
// that errors are the documented ones, and that the plan does not depend on input order or naming.
func TestPropertyRandomPools(t *testing.T) {
	for _, name := range []string{"1.5b", "tiny"} {
		cfg := loadConfig(t, name)
		need := replicaNeed(cfg, testOptions(name))
		rng := rand.New(rand.NewPCG(1, uint64(len(name))))
		fits := 0
		for i := range 150 {
			ws, opt := randomPool(rng, need, testOptions(name))
			p, err := NewPlan(cfg, ws, opt)
			if err != nil {
				checkPlanError(t, ws, opt, err)
				continue
			}
			fits++
			t.Run(fmt.Sprintf("%s/%d", name, i), func(t *testing.T) {
				checkPlan(t, cfg, ws, opt, p)
				checkRelabelled(t, cfg, ws, opt, p, rng)
			})
		}
		if fits < 75 {
			t.Errorf("%s: only %d of 150 random pools got a plan; the generator no longer exercises the planner", name, fits)
		}
	}
}

// checkPlanError accepts only the errors a random pool may legitimately cause.
func checkPlanError(t *testing.T, ws []Worker, opt Options, err error) {
	t.Helper()
	var fe *FitError
	free := 0
	for _, w := range ws {
		if !w.Cordoned {
			free++
		}
	}
	switch {
	case errors.As(err, &fe):
	case errors.Is(err, ErrAllCordoned) && free == 0:
	case max(opt.Stages, 1)*max(opt.Replicas, 1) > free:
	default:
		t.Errorf("pool %+v, options %+v: unexpected error %v", ws, opt, err)
	}
}

// checkRelabelled shuffles the workers and renames them, plans again, and compares both plans with
// every worker replaced by its capacity: equal-capacity workers are interchangeable, nothing else.
func checkRelabelled(t *testing.T, cfg *model.Config, ws []Worker, opt Options, p *Plan, rng *rand.Rand) {
	t.Helper()
	shuffled := slices.Clone(ws)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	same, err := NewPlan(cfg, shuffled, opt)
	if err != nil || !reflect.DeepEqual(same, p) {
		t.Fatalf("shuffled input gave a different plan (err %v)", err)
	}
	names := rng.Perm(len(ws))
	for i := range shuffled {
		shuffled[i].ID = fmt.Sprintf("r%02d", names[i])
	}
	renamed, err := NewPlan(cfg, shuffled, opt)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := anonymous(p, byID(ws)), anonymous(renamed, byID(shuffled)); !reflect.DeepEqual(a, b) {
		t.Errorf("renamed workers gave a different plan:\n%+v\n%+v", a, b)
	}
}

// anonymous replaces every worker ID in a plan by the worker's capacity.
func anonymous(p *Plan, ws map[string]Worker) *Plan {
	sig := func(id string) string {
		w := ws[id]
		return fmt.Sprintf("%d/%g/%v", w.MemBytes, w.Speed, w.Cordoned)
	}
	out := &Plan{Layers: p.Layers, Estimate: p.Estimate}
	for _, rep := range p.Replicas {
		st := slices.Clone(rep.Stages)
		for i := range st {
			st[i].Worker = sig(st[i].Worker)
		}
		out.Replicas = append(out.Replicas, Replica{Stages: st})
	}
	for _, id := range p.Unused {
		out.Unused = append(out.Unused, sig(id))
	}
	sort.Strings(out.Unused)
	return out
}

// TestPartitionOptimal compares the dynamic program with an exhaustive search over every set of
// cut points on the tiny config, for random 1–4-worker pipelines: the bottleneck time must be the
// smallest any memory-feasible split reaches, and the split must exist exactly when one fits.
func TestPartitionOptimal(t *testing.T) {
	cfg := loadConfig(t, "tiny")
	opt := testOptions("tiny")
	prof := newProfile(cfg, opt)
	need := replicaNeed(cfg, opt)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 300 {
		ws := make([]Worker, 1+rng.IntN(4))
		for j := range ws {
			ws[j] = Worker{ID: fmt.Sprint(j), MemBytes: int64((0.15 + rng.Float64()) * float64(need)),
				Speed: float64(1 + rng.IntN(5))}
		}
		sp, ok := prof.partition(ws)
		best, found := bruteForce(prof, ws)
		if ok != found || ok && sp.max != best {
			t.Fatalf("case %d %+v: dynamic program (%v, %v), exhaustive (%v, %v)", i, ws, ok, sp.max, found, best)
		}
	}
}

// bruteForce tries every choice of len(ws)−1 interior boundaries.
func bruteForce(p *profile, ws []Worker) (float64, bool) {
	inner := p.pts[1 : len(p.pts)-1]
	best, found := 0.0, false
	for mask := 0; mask < 1<<len(inner); mask++ {
		cuts := []int{0}
		for i, c := range inner {
			if mask&(1<<i) != 0 {
				cuts = append(cuts, c)
			}
		}
		if len(cuts) != len(ws) {
			continue
		}
		cuts = append(cuts, p.layers)
		worst, fits := 0.0, true
		for j, w := range ws {
			first, last := j == 0, j == len(ws)-1
			if p.stageMem(cuts[j], cuts[j+1], first, last) > w.MemBytes {
				fits = false
				break
			}
			worst = max(worst, p.stageFLOPs(cuts[j], cuts[j+1], first, last)/w.Speed)
		}
		if fits && (!found || worst < best) {
			best, found = worst, true
		}
	}
	return best, found
}
