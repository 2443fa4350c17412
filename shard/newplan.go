package shard

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/hymbaserve/hymbaserve/model"
)

// Errors NewPlan returns for an unusable pool; they wrap into messages with counts.
var (
	ErrNoWorkers   = errors.New("shard: no workers")
	ErrAllCordoned = errors.New("shard: every worker is cordoned")
)

// NewPlan places cfg's layers on workers. It is a pure function: the same config, the same set
// of workers (in any order) and the same options give the same plan.
//
// It weighs every pipeline depth s the options allow, each with the most replicas r of that depth
// that fit in memory, and returns the candidate with the highest estimated throughput, then the
// lowest latency, then the fewest stages (see docs/planner.md). Options.Stages and
// Options.Replicas pin s and r. Workers not placed are listed in Plan.Unused with the cordoned ones.
// When nothing fits, the error is a *FitError stating the shortfall.
func NewPlan(cfg *model.Config, workers []Worker, opt Options) (*Plan, error) {
	pl, err := newPool(cfg, workers, opt)
	if err != nil {
		return nil, err
	}
	var best *Candidate
	for _, s := range pl.depths() {
		c := pl.evaluate(s)
		if c.Fits() && (best == nil || c.Estimate.betterThan(best.Estimate)) {
			best = &c
		}
	}
	if best == nil {
		return nil, pl.fitError()
	}
	return best.Plan, nil
}

// FitError says that no plan fits the workers' memory, and by how much.
type FitError struct {
	WeightBytes int64 // one copy of the weights
	StateBytes  int64 // state for MaxSeqs sequences of ContextLen rows, all layers
	MaxSeqs     int
	ContextLen  int
	OfferBytes  int64 // MemBytes of all uncordoned workers together
	Workers     int   // uncordoned workers
	Stages      int   // pinned depth, 0 if the planner chose
	Replicas    int   // pinned replica count, 0 if the planner chose
	MaxStages   int   // the deepest pipeline the kv_reuse_group boundaries allow
}

func (pl *pool) fitError() *FitError {
	e := &FitError{
		WeightBytes: pl.prof.weightBytes(), StateBytes: pl.prof.seqs * pl.prof.statePerSeq(),
		MaxSeqs: pl.opt.MaxSeqs, ContextLen: pl.opt.ContextLen, Workers: len(pl.free),
		Stages: pl.opt.Stages, Replicas: pl.opt.Replicas, MaxStages: pl.prof.maxStages(),
	}
	for _, w := range pl.free {
		if e.OfferBytes > math.MaxInt64-w.MemBytes {
			e.OfferBytes = math.MaxInt64 // saturate: MemBytes are not negative
			break
		}
		e.OfferBytes += w.MemBytes
	}
	return e
}

// NeedBytes is what one replica needs at the least: one copy of the weights plus the state.
func (e *FitError) NeedBytes() int64 { return e.WeightBytes + e.StateBytes }

func (e *FitError) Error() string {
	var b strings.Builder
	b.WriteString("shard: no plan fits in memory")
	var pins []string
	if e.Stages > 0 {
		pins = append(pins, fmt.Sprintf("Options.Stages = %d", e.Stages))
	}
	if e.Replicas > 0 {
		pins = append(pins, fmt.Sprintf("Options.Replicas = %d", e.Replicas))
	}
	if len(pins) > 0 {
		fmt.Fprintf(&b, " with %s", strings.Join(pins, ", "))
	}
	fmt.Fprintf(&b, ": one replica needs %s (%s weights + %s state for %d sequences of %d rows)",
		fmtBytes(e.NeedBytes()), fmtBytes(e.WeightBytes), fmtBytes(e.StateBytes), e.MaxSeqs, e.ContextLen)
	replicas := int64(max(e.Replicas, 1))
	if need := e.NeedBytes() * replicas; e.OfferBytes < need {
		fmt.Fprintf(&b, "; the %d uncordoned workers offer %s in total, %s short of %d replica(s)", e.Workers,
			fmtBytes(e.OfferBytes), fmtBytes(need-e.OfferBytes), replicas)
	} else {
		fmt.Fprintf(&b, "; the %d uncordoned workers offer %s in total, but no split at kv_reuse_group boundaries "+
			"(at most %d stages) gives every worker a stage it can hold", e.Workers, fmtBytes(e.OfferBytes), e.MaxStages)
	}
	b.WriteString("; add workers or memory, or lower Options.MaxSeqs or Options.ContextLen")
	return b.String()
}

// fmtBytes prints a byte count in decimal units, as the design documents quote them.
func fmtBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
