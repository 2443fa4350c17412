package coordinator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/hymbaserve/hymbaserve/engine"
	"github.com/hymbaserve/hymbaserve/gossip"
	"github.com/hymbaserve/hymbaserve/pipeline"
	"github.com/hymbaserve/hymbaserve/registry"
	"github.com/hymbaserve/hymbaserve/shard"
	"github.com/hymbaserve/hymbaserve/transport"
)

// planLoop follows membership and re-plans after each change has settled.
func (c *Coordinator) planLoop(ctx context.Context) error {
	events := c.cfg.Registry.WatchMembers(ctx, 0)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return ctx.Err()
			}
			c.applyMembers(ev)
			timer.Reset(c.cfg.Settle)
		case <-c.wake:
			timer.Reset(c.cfg.Settle)
		case <-timer.C:
			if err := c.replan(ctx); err != nil {
				c.log.Error("planning failed; retrying", "err", err)
				timer.Reset(time.Second)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (c *Coordinator) applyMembers(ev registry.MembersEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev.Kind {
	case registry.MembersSync:
		c.members = map[string]registry.Member{}
		for _, m := range ev.Members {
			c.members[m.ID] = m
		}
	case registry.MemberPut:
		c.members[ev.Member.ID] = ev.Member
	case registry.MemberDelete:
		delete(c.members, ev.Member.ID)
		delete(c.suspects, ev.Member.ID) // etcd confirms: gone
	}
}

// watchGossip turns memberlist's view into fast failure handling: a worker that leaves the ring
// (dead, partitioned or shutting down) and then fails a direct probe on its control subject is
// left out of the next plan at once, without waiting for its etcd lease to expire (the lease's
// expiry, when it comes, removes the member for good); one that rejoins is planned again.
func (c *Coordinator) watchGossip(ctx context.Context, g *gossip.Gossip) {
	for {
		select {
		case ev, ok := <-g.Events():
			if !ok {
				return
			}
			switch ev.Kind {
			case gossip.EventLeave:
				go c.confirmLeave(ctx, ev.Name)
			case gossip.EventJoin:
				c.setSuspect(ev.Name, false)
			}
		case <-ctx.Done():
			return
		}
	}
}

// confirmLeave probes a worker gossip reports gone; if it does not answer, it is suspect. A dead
// worker's control subject has no subscriber, which NATS reports at once; a live worker that is
// only slow (a loaded machine) gets a few seconds to answer.
func (c *Coordinator) confirmLeave(ctx context.Context, id string) {
	for range 3 {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := c.workerStatus(pctx, id)
		cancel()
		if err == nil {
			c.log.Info("gossip lost a worker that still answers: keeping it", "worker", id)
			return
		}
		if errors.Is(err, transport.ErrNoResponders) {
			break
		}
	}
	c.setSuspect(id, true)
}

func (c *Coordinator) setSuspect(id string, suspect bool) {
	c.mu.Lock()
	changed := c.suspects[id] != suspect
	if suspect {
		c.suspects[id] = true
	} else {
		delete(c.suspects, id)
	}
	c.mu.Unlock()
	if changed {
		c.log.Info("membership", "worker", id, "suspect", suspect)
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// workers lists the registered workers as the planner sees them, sorted by id.
func (c *Coordinator) workers() []shard.Worker {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ws []shard.Worker
	for _, m := range c.members {
		if m.Labels["role"] != "worker" || c.suspects[m.ID] {
			continue
		}
		ws = append(ws, shard.Worker{ID: m.ID, MemBytes: m.Capacity.MemBytes, Speed: m.Capacity.Speed, Cordoned: m.Cordoned})
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].ID < ws[j].ID })
	return ws
}

// replan decides whether the plan must change after a membership change, and applies it:
//
//   - at once when the plan in force is missing or no longer servable (a worker of it is gone,
//     suspected or cordoned): a dead worker's requests wait for this;
//   - for new capacity only when the planner's estimate improves by RebalanceGain and the last
//     change is RebalanceInterval old (hysteresis: no oscillation, no churn on every join);
//     otherwise `hymbactl rebalance` applies it.
func (c *Coordinator) replan(ctx context.Context) error {
	ws := c.workers()
	if len(ws) == 0 {
		c.log.Warn("no workers registered: not serving")
		return nil
	}
	plan, err := c.newPlan(ws)
	if err != nil {
		return err
	}
	c.mu.Lock()
	cur, since := c.doc, time.Since(c.changed)
	c.mu.Unlock()
	switch {
	case cur == nil || !servable(cur.Plan, ws):
	case cur.Coordinator != c.cfg.ID:
		plan = cur.Plan // adopt the previous leader's plan: the workers keep their layers
	case reflect.DeepEqual(cur.Plan.Replicas, plan.Replicas):
		return nil
	case plan.Estimate.TokensPerSecond < cur.Plan.Estimate.TokensPerSecond*(1+c.cfg.RebalanceGain):
		c.log.Info("a different plan is possible but not better enough; hymbactl rebalance applies it")
		return nil
	case c.cfg.RebalanceInterval < 0:
		c.log.Info("a better plan is possible; hymbactl rebalance applies it")
		return nil
	case since < c.cfg.RebalanceInterval:
		c.wakeAfter(c.cfg.RebalanceInterval - since)
		return nil
	}
	_, err = c.apply(ctx, plan)
	return err
}

// servable reports whether every worker of plan is still a plannable member.
func servable(plan *shard.Plan, ws []shard.Worker) bool {
	ok := map[string]bool{}
	for _, w := range ws {
		ok[w.ID] = !w.Cordoned
	}
	for _, id := range plan.Workers() {
		if !ok[id] {
			return false
		}
	}
	return true
}

// apply makes plan the plan in force: by live migration when every worker of the plan in force
// is alive (their sequences' state moves, nothing is recomputed), else — or when migration
// fails — by a plain switch after which the sequences whose stages changed are replayed. It
// reports what the migration moved.
func (c *Coordinator) apply(ctx context.Context, plan *shard.Plan) (migration, error) {
	c.planMu.Lock()
	defer c.planMu.Unlock()
	c.mu.Lock()
	cur := c.doc
	c.mu.Unlock()
	if cur != nil && reflect.DeepEqual(cur.Plan.Replicas, plan.Replicas) && cur.Coordinator == c.cfg.ID {
		return migration{}, nil // applied meanwhile
	}
	if cur != nil && c.alive(cur.Plan) {
		m, err := c.migrate(ctx, plan)
		if err == nil {
			c.warmUp(ctx, plan)
			c.log.Info("plan changed by live migration", "sequences", m.seqs, "bytes", m.bytes)
			c.stats.migratedSeqs.Add(int64(m.seqs))
			c.stats.migratedBytes.Add(m.bytes)
			return m, nil
		}
		c.log.Warn("live migration failed; the affected sequences will be replayed", "err", err)
	}
	epoch, err := c.switchTo(ctx, plan)
	if err != nil {
		return migration{}, err
	}
	c.exec.SetRoute(pipeline.Route{Epoch: uint64(epoch), Plan: plan})
	c.routeSet(plan)
	c.warmUp(ctx, plan)
	return migration{}, nil
}

// warmUp runs a one-token sequence through every replica of the route in force, so that every
// stage computes its meta-token state (K/V pages, conv and SSM state) once, right after loading,
// and no request's prefill pays for it.
func (c *Coordinator) warmUp(ctx context.Context, plan *shard.Plan) {
	for r := range plan.Replicas {
		id := warmUpSeq + c.warmUps.Add(1)
		c.exec.Pin(id, r)
		if _, err := c.exec.Step(ctx, []engine.Seg{{Seq: id, Tokens: []int{c.mcfg.BosTokenID}, LastPrompt: true}}); err != nil {
			c.log.Warn("warm-up step failed; the first request computes the meta tokens instead", "replica", r, "err", err)
		}
		c.exec.Release(id)
	}
}

// warmUpSeq starts the sequence ids of warm-up steps, far from the scheduler's.
const warmUpSeq = 1 << 62

// routeSet gives the ledger the new plan's memory: each worker's capacity less its weights and
// the meta pages its layers share.
func (c *Coordinator) routeSet(plan *shard.Plan) {
	c.mu.Lock()
	budget := map[string]int64{}
	for _, r := range plan.Replicas {
		for _, st := range r.Stages {
			budget[st.Worker] = c.members[st.Worker].Capacity.MemBytes - c.weights[st.Worker] - MetaBytes(c.mcfg, c.cfg.KVDType, st.First, st.Last)
		}
	}
	c.mu.Unlock()
	c.ledger.setRoute(plan, budget)
	c.prefix.reset()
}

// alive reports whether every worker of plan is registered and not suspected.
func (c *Coordinator) alive(plan *shard.Plan) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range plan.Workers() {
		if _, ok := c.members[id]; !ok || c.suspects[id] {
			return false
		}
	}
	return true
}

// switchTo commits plan and waits until every stage serves it; the caller switches the route.
func (c *Coordinator) switchTo(ctx context.Context, plan *shard.Plan) (int64, error) {
	c.mu.Lock()
	epoch := c.epoch
	c.mu.Unlock()
	doc := &pipeline.PlanDoc{Model: c.name, Coordinator: c.cfg.ID, Bucket: c.bucket, KVDType: c.cfg.KVDType.String(), Plan: plan}
	epoch, err := c.commit(ctx, epoch, doc)
	if err != nil {
		return 0, err
	}
	c.log.Info("plan committed", "epoch", epoch, "replicas", len(plan.Replicas), "stages", plan.Depth())
	if err := c.waitReady(ctx, uint64(epoch), plan); err != nil {
		return 0, err
	}
	c.mu.Lock()
	c.doc, c.epoch, c.ready, c.changed = doc, epoch, true, time.Now()
	c.mu.Unlock()
	c.log.Info("serving", "epoch", epoch)
	return epoch, nil
}

func (c *Coordinator) wakeAfter(d time.Duration) {
	time.AfterFunc(d, func() {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	})
}

// newPlan plans ws with planOptions. When the operator left the budget point's sequence count
// to the default and the workers cannot hold that many sequences of the full context, it plans
// for fewer (halving down to 1) rather than not at all: admission is exact either way, so a
// smaller budget only means fewer sequences at once.
func (c *Coordinator) newPlan(ws []shard.Worker) (*shard.Plan, error) {
	o := c.planOptions()
	budget := o.MaxSeqs
	for {
		p, err := shard.NewPlan(c.mcfg, ws, o)
		var fit *shard.FitError
		if err == nil || !errors.As(err, &fit) || c.cfg.Plan.MaxSeqs > 0 || o.MaxSeqs == 1 {
			if err == nil && o.MaxSeqs < budget {
				c.log.Warn("the workers cannot hold the default budget of sequences: planned for fewer",
					"max_seqs", o.MaxSeqs, "context_len", o.ContextLen)
			}
			return p, err
		}
		o.MaxSeqs /= 2
	}
}

func (c *Coordinator) planOptions() shard.Options {
	o := shard.DefaultOptions()
	if c.mcfg.TorchDtype == "float32" || c.mcfg.TorchDtype == "float16" {
		o.WeightBytes = 4 // workers hold bf16 matrices as bf16 and widen the others to float32
	}
	o.StateBytes, o.KVBytes = 4, c.cfg.KVDType.Size() // conv and SSM state are float32
	p := c.cfg.Plan
	if p.Stages > 0 {
		o.Stages = p.Stages
	}
	if p.Replicas > 0 {
		o.Replicas = p.Replicas
	}
	if p.MaxSeqs > 0 {
		o.MaxSeqs = p.MaxSeqs
	}
	if p.ContextLen > 0 {
		o.ContextLen = p.ContextLen
	}
	return o
}

// commit writes doc by compare-and-swap on the epoch this coordinator knows; a conflict (another
// leader wrote since) is resolved by writing over the current record, since this coordinator now
// leads.
func (c *Coordinator) commit(ctx context.Context, epoch int64, doc *pipeline.PlanDoc) (int64, error) {
	data, err := json.Marshal(doc)
	if err != nil {
		return 0, err
	}
	for range 3 {
		rec, err := c.cfg.Registry.CASPlan(ctx, epoch, data)
		if err == nil {
			return rec.Epoch, nil
		}
		if !errors.Is(err, registry.ErrEpochConflict) {
			return 0, err
		}
		epoch = rec.Epoch
	}
	return 0, fmt.Errorf("plan: compare-and-swap kept conflicting")
}

// waitReady polls every worker of plan until it reports serving epoch.
func (c *Coordinator) waitReady(ctx context.Context, epoch uint64, plan *shard.Plan) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	for _, id := range plan.Workers() {
		for {
			st, err := c.workerStatus(ctx, id)
			if err == nil && st.Epoch == epoch && st.Loaded {
				c.mu.Lock()
				c.weights[id] = st.WeightBytes
				c.mu.Unlock()
				break
			}
			if err == nil && st.Epoch == epoch && st.LoadError != "" {
				return fmt.Errorf("worker %s cannot load its layers: %s", id, st.LoadError)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for worker %s to serve epoch %d: %w", id, epoch, ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

// workerStatus asks a worker for its status over the control subject.
func (c *Coordinator) workerStatus(ctx context.Context, id string) (pipeline.WorkerStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	b, err := c.ctl(ctx, id, pipeline.CtlRequest{Op: "status"})
	if err != nil {
		return pipeline.WorkerStatus{}, err
	}
	if e := replyError(b); e != "" {
		return pipeline.WorkerStatus{}, fmt.Errorf("worker %s status: %s", id, e)
	}
	var st pipeline.WorkerStatus
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("worker %s status: %w", id, err)
	}
	return st, nil
}
