package shard

import (
	"fmt"
	"slices"

	"github.com/hymbaserve/hymbaserve/model"
)

// Candidate is one shape the planner weighed: Replicas copies of a Stages-deep pipeline, the
// most replicas of that depth that fit (or Options.Replicas when pinned).
type Candidate struct {
	Replicas int      `json:"replicas"`
	Stages   int      `json:"stages"`
	Estimate Estimate `json:"estimate"`
	// Reason says why no replica of this depth fits; empty when the candidate fits.
	Reason string `json:"reason,omitempty"`
	// Plan is the candidate's plan, nil when it does not fit.
	Plan *Plan `json:"plan,omitempty"`
}

// Fits reports whether the candidate is a plan the workers can hold.
func (c Candidate) Fits() bool { return c.Plan != nil }

// pool is the validated input: the workers that may take layers, in canonical order, and the
// IDs of the cordoned ones.
type pool struct {
	prof     *profile
	opt      Options
	free     []Worker
	cordoned []string
}

// Candidates evaluates every pipeline depth the options allow, shallowest first, for an
// operator's what-if view (`hymbactl plan`); NewPlan returns the best one that fits.
func Candidates(cfg *model.Config, workers []Worker, opt Options) ([]Candidate, error) {
	pl, err := newPool(cfg, workers, opt)
	if err != nil {
		return nil, err
	}
	var out []Candidate
	for _, s := range pl.depths() {
		out = append(out, pl.evaluate(s))
	}
	return out, nil
}

func newPool(cfg *model.Config, workers []Worker, opt Options) (*pool, error) {
	if cfg == nil {
		return nil, fmt.Errorf("shard: nil model config")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("shard: %w", err)
	}
	if err := opt.validate(cfg); err != nil {
		return nil, err
	}
	if err := validateWorkers(workers); err != nil {
		return nil, err
	}
	pl := &pool{prof: newProfile(cfg, opt), opt: opt}
	for _, w := range workers {
		if w.Cordoned {
			pl.cordoned = append(pl.cordoned, w.ID)
		} else {
			pl.free = append(pl.free, w)
		}
	}
	canonical(pl.free)
	if err := pl.checkPins(); err != nil {
		return nil, err
	}
	return pl, nil
}

// checkPins rejects pinned shapes that no amount of memory could satisfy.
func (pl *pool) checkPins() error {
	n, s, r, maxS := len(pl.free), pl.opt.Stages, pl.opt.Replicas, pl.prof.maxStages()
	switch {
	case n == 0:
		return fmt.Errorf("%w (%d listed)", ErrAllCordoned, len(pl.cordoned))
	case s > maxS:
		return fmt.Errorf("shard: Options.Stages = %d exceeds the %d stages the model allows: "+
			"its kv_reuse_group boundaries leave %d cut points in %d layers", s, maxS, maxS-1, pl.prof.layers)
	case s > n:
		return fmt.Errorf("shard: Options.Stages = %d needs %d uncordoned workers, have %d", s, s, n)
	case r > n:
		return fmt.Errorf("shard: Options.Replicas = %d needs at least %d uncordoned workers, have %d", r, r, n)
	case r > 0 && s > 0 && r*s > n:
		return fmt.Errorf("shard: Options.Replicas = %d × Options.Stages = %d needs %d uncordoned workers, have %d",
			r, s, r*s, n)
	}
	return nil
}

// depths lists the pipeline depths to weigh: the pinned one, or every depth the workers
// (and a pinned replica count) and the cut points allow.
func (pl *pool) depths() []int {
	if pl.opt.Stages > 0 {
		return []int{pl.opt.Stages}
	}
	hi := min(len(pl.free)/max(pl.opt.Replicas, 1), pl.prof.maxStages())
	var ds []int
	for s := 1; s <= hi; s++ {
		ds = append(ds, s)
	}
	return ds
}

// evaluate finds the most replicas of depth s that fit (or the pinned count).
func (pl *pool) evaluate(s int) Candidate {
	hi, lo := len(pl.free)/s, 1
	if pl.opt.Replicas > 0 {
		hi, lo = pl.opt.Replicas, pl.opt.Replicas
	}
	for r := hi; r >= lo; r-- {
		if p, ok := pl.build(r, s); ok {
			return Candidate{Replicas: r, Stages: s, Estimate: p.Estimate, Plan: p}
		}
	}
	reason := fmt.Sprintf("no %d-stage replica fits the workers' memory", s)
	if pl.opt.Replicas > 0 {
		reason = fmt.Sprintf("%d replicas of %d stages do not fit the workers' memory", lo, s)
	}
	return Candidate{Replicas: lo, Stages: s, Reason: reason}
}

// build places r replicas of s stages on the r·s largest workers, dealt out so that every
// replica gets a similar share of memory; it fails if any replica does not fit.
func (pl *pool) build(r, s int) (*Plan, bool) {
	groups := deal(pl.free[:r*s], r)
	p := &Plan{Layers: pl.prof.layers, Replicas: make([]Replica, r)}
	ests := make([]Estimate, r)
	for i, g := range groups {
		sp, ok := pl.prof.arrange(g)
		if !ok {
			return nil, false
		}
		p.Replicas[i] = Replica{Stages: sp.stages}
		ests[i] = replicaEstimate(sp.times, pl.opt.MaxSeqs, pl.opt.hopSeconds())
	}
	p.Estimate = combine(ests)
	p.Unused = slices.Clone(pl.cordoned)
	for _, w := range pl.free[r*s:] {
		p.Unused = append(p.Unused, w.ID)
	}
	slices.Sort(p.Unused)
	if p.Unused == nil {
		p.Unused = []string{}
	}
	return p, true
}

// deal splits ws (canonical order) into r groups in a snake order (0…r−1, r−1…0, …), so the
// largest workers spread over the replicas. Each group stays in canonical order.
func deal(ws []Worker, r int) [][]Worker {
	groups := make([][]Worker, r)
	for k, w := range ws {
		g := k % r
		if (k/r)%2 == 1 {
			g = r - 1 - g
		}
		groups[g] = append(groups[g], w)
	}
	return groups
}
