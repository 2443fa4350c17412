package coordinator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	pb "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
	"github.com/hymbaserve/hymbaserve/frontend"
	"github.com/hymbaserve/hymbaserve/pipeline"
	"github.com/hymbaserve/hymbaserve/registry"
	"github.com/hymbaserve/hymbaserve/shard"
)

var _ frontend.Operator = (*Coordinator)(nil)

// GetPlan implements frontend.Operator.
func (c *Coordinator) GetPlan(_ context.Context, r *pb.GetPlanRequest) (*pb.GetPlanResponse, error) {
	c.mu.Lock()
	doc, epoch := c.doc, c.epoch
	c.mu.Unlock()
	out := &pb.GetPlanResponse{}
	if doc != nil {
		out.Current = planProto(doc.Plan, uint64(epoch))
	}
	if r.GetPropose() {
		p, err := c.propose()
		if err != nil {
			return nil, err
		}
		out.Proposed = planProto(p, 0)
	}
	return out, nil
}

func (c *Coordinator) propose() (*shard.Plan, error) {
	p, err := c.newPlan(c.workers())
	if err != nil {
		return nil, frontend.Errorf(frontend.ErrUnavailable, "", "no plan fits the current workers: %v", err)
	}
	return p, nil
}

// Rebalance implements frontend.Operator: the planner's choice for the current members, the
// moves it takes, and (unless dry_run) its commit, whatever the hysteresis would say.
func (c *Coordinator) Rebalance(ctx context.Context, r *pb.RebalanceRequest) (*pb.RebalanceResponse, error) {
	if !c.Ready() {
		return nil, frontend.Errorf(frontend.ErrUnavailable, "", "this coordinator does not lead a serving cluster")
	}
	to, err := c.propose()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	from, epoch := c.doc.Plan, c.epoch
	c.mu.Unlock()
	out := &pb.RebalanceResponse{From: planProto(from, uint64(epoch)), To: planProto(to, 0)}
	costs := shard.LayerCosts(c.mcfg, c.planOptions())
	for _, m := range shard.Moves(from, to) {
		mv := moveProto(m, costs)
		out.Moves = append(out.Moves, mv)
		out.LoadBytes += mv.LoadBytes
	}
	out.SequencesToReplay = uint32(c.exec.SeqsOutside(pipeline.SameReplicas(from, to)))
	out.ExpectedPauseSeconds = float64(out.LoadBytes)/loadRate + replayGuessSeconds
	if r.GetDryRun() || len(out.Moves) == 0 {
		return out, nil
	}
	m, err := c.apply(ctx, to)
	if err != nil {
		return nil, err
	}
	out.Applied, out.BytesMoved = true, uint64(m.bytes)
	return out, nil
}

// loadRate is the weight-loading speed the pause estimate assumes (Object Store fetch measured
// at ~400 MB/s, local disk faster); replayGuessSeconds a flat allowance for replaying streams.
const (
	loadRate           = 400e6
	replayGuessSeconds = 1
)

// Cordon implements frontend.Operator.
func (c *Coordinator) Cordon(ctx context.Context, r *pb.CordonRequest) (*pb.CordonResponse, error) {
	if err := c.cfg.Registry.SetCordon(ctx, r.GetWorker(), r.GetCordon()); err != nil {
		if errors.Is(err, registry.ErrUnknownMember) || errors.Is(err, registry.ErrInvalid) {
			return nil, frontend.Errorf(frontend.ErrNotFound, "worker", "%v", err)
		}
		return nil, err
	}
	return &pb.CordonResponse{}, nil
}

// Drain implements frontend.Operator: it cordons the worker and applies a plan without it (by
// live migration when the cluster is healthy); with leave the worker then leaves.
func (c *Coordinator) Drain(ctx context.Context, r *pb.DrainRequest) (*pb.DrainResponse, error) {
	t0 := time.Now()
	id := r.GetWorker()
	if _, err := c.Cordon(ctx, &pb.CordonRequest{Worker: id, Cordon: true}); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if m, ok := c.members[id]; ok {
		m.Cordoned = true // the registry's event may come later; plan without it now
		c.members[id] = m
	}
	doc := c.doc
	c.mu.Unlock()
	replays := c.exec.Replays()
	out := &pb.DrainResponse{}
	if doc != nil && inPlan(doc.Plan, id) {
		to, err := c.propose()
		if err != nil {
			return nil, err
		}
		m, err := c.apply(ctx, to)
		if err != nil {
			return nil, fmt.Errorf("drain %s: %w", id, err)
		}
		out.SequencesMoved, out.BytesMoved = uint32(m.seqs), uint64(m.bytes)
	}
	c.mu.Lock()
	out.PlanEpoch = uint64(c.epoch)
	c.mu.Unlock()
	out.SequencesReplayed = uint32(c.exec.Replays() - replays)
	out.Seconds = time.Since(t0).Seconds()
	if r.GetLeave() {
		return out, c.tellLeave(ctx, id)
	}
	return out, nil
}

// tellLeave asks a worker to deregister and stop.
func (c *Coordinator) tellLeave(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return c.ctlOK(ctx, id, pipeline.CtlRequest{Op: "leave"})
}

func planProto(p *shard.Plan, epoch uint64) *pb.Plan {
	out := &pb.Plan{Epoch: epoch, Unused: p.Unused, EstimatedTokensPerSecond: p.Estimate.TokensPerSecond}
	for _, r := range p.Replicas {
		pr := &pb.PlanReplica{}
		for _, s := range r.Stages {
			pr.Stages = append(pr.Stages, &pb.PlanStage{Worker: s.Worker, LayerBegin: uint32(s.First),
				LayerEnd: uint32(s.Last), Embed: s.Embed, Head: s.Head})
		}
		out.Replicas = append(out.Replicas, pr)
	}
	return out
}

func moveProto(m shard.Move, costs []shard.LayerCost) *pb.Move {
	out := &pb.Move{Worker: m.Worker}
	L := len(costs) - 2
	for _, g := range m.Gain {
		out.Gain = append(out.Gain, &pb.LayerRange{Begin: uint32(g.First), End: uint32(g.Last)})
		for l := g.First; l < g.Last; l++ {
			out.LoadBytes += uint64(costs[l].WeightBytes)
		}
	}
	for _, g := range m.Lose {
		out.Lose = append(out.Lose, &pb.LayerRange{Begin: uint32(g.First), End: uint32(g.Last)})
	}
	if m.GainEmbed {
		out.LoadBytes += uint64(costs[L].WeightBytes)
	}
	if m.GainHead && !m.GainEmbed {
		out.LoadBytes += uint64(costs[L+1].WeightBytes)
	}
	return out
}

func inPlan(p *shard.Plan, id string) bool {
	_, _, ok := p.Locate(id)
	return ok
}

// Move implements frontend.Operator: the stage holding exactly the given layers goes to another
// worker, one the plan leaves unused, by live migration.
func (c *Coordinator) Move(ctx context.Context, r *pb.MoveRequest) (*pb.MoveResponse, error) {
	t0 := time.Now()
	c.mu.Lock()
	doc := c.doc
	c.mu.Unlock()
	if doc == nil || !c.Ready() {
		return nil, frontend.Errorf(frontend.ErrUnavailable, "", "this coordinator does not lead a serving cluster")
	}
	to, err := movedPlan(doc.Plan, int(r.GetLayerBegin()), int(r.GetLayerEnd()), r.GetTo(), c.workers())
	if err != nil {
		return nil, err
	}
	m, err := c.apply(ctx, to)
	if err != nil {
		return nil, err
	}
	return &pb.MoveResponse{Plan: planProto(to, uint64(c.epoch)), Seconds: time.Since(t0).Seconds(),
		SequencesMoved: uint32(m.seqs), BytesMoved: uint64(m.bytes)}, nil
}

// movedPlan is p with the one stage holding exactly [first, last) given to worker `to`.
func movedPlan(p *shard.Plan, first, last int, to string, ws []shard.Worker) (*shard.Plan, error) {
	if inPlan(p, to) {
		return nil, frontend.Errorf(frontend.ErrInvalidRequest, "to", "worker %s already serves a stage; move to an unused worker", to)
	}
	known := false
	for _, w := range ws {
		known = known || (w.ID == to && !w.Cordoned)
	}
	if !known {
		return nil, frontend.Errorf(frontend.ErrNotFound, "to", "worker %s is not a registered, uncordoned worker", to)
	}
	out := *p
	out.Replicas = nil
	found := 0
	unused := slices.DeleteFunc(slices.Clone(p.Unused), func(id string) bool { return id == to })
	for _, rep := range p.Replicas {
		stages := append([]shard.Stage(nil), rep.Stages...)
		for i := range stages {
			if stages[i].First == first && stages[i].Last == last {
				unused = append(unused, stages[i].Worker)
				stages[i].Worker = to
				found++
			}
		}
		out.Replicas = append(out.Replicas, shard.Replica{Stages: stages})
	}
	if found != 1 {
		return nil, frontend.Errorf(frontend.ErrInvalidRequest, "layers", "%d stages hold exactly layers [%d,%d); name the range of exactly one stage", found, first, last)
	}
	slices.Sort(unused)
	out.Unused = unused
	return &out, nil
}
