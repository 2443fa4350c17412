package coordinator

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/hymbaserve/hymbaserve/pipeline"
	"github.com/hymbaserve/hymbaserve/shard"
)

// migrate moves the cluster from the plan in force to `to`, make-before-break:
//
//  1. every worker of `to` prepares its new layer range beside the stage it serves (loading
//     weights while it keeps serving);
//  2. the executor pauses at a step boundary (steps in flight finish);
//  3. every sequence gets its replica in `to` (the same one where the replica is unchanged),
//     and for each of its layers whose holder changes, the old holder exports the state
//     (KV rows, conv and SSM state) and the new holder imports it into its prepared stage;
//  4. the plan is committed by compare-and-swap, every worker switches to its prepared stage,
//     and the executor resumes on the new route with every sequence where it was moved.
//
// Streams see one pause; no token is lost, repeated or different. On any error the prepared
// stages are dropped and the caller falls back to a plain change (sequences replayed).
func (c *Coordinator) migrate(ctx context.Context, to *shard.Plan) (moved migration, err error) {
	c.mu.Lock()
	from := c.doc.Plan
	c.mu.Unlock()
	defer func() {
		if err != nil {
			c.ctlAll(context.WithoutCancel(ctx), to.Workers(), func(string) pipeline.CtlRequest { return pipeline.CtlRequest{Op: "abort"} })
		}
	}()
	where := map[string]shard.Stage{}
	for _, r := range to.Replicas {
		for _, st := range r.Stages {
			where[st.Worker] = st
		}
	}
	gen := rand.Uint64() // the imports of this migration, and no other's, go into its prepared stages
	if err := c.ctlAll(ctx, to.Workers(), func(id string) pipeline.CtlRequest {
		return pipeline.CtlRequest{Op: "prepare", First: where[id].First, Last: where[id].Last, Gen: gen}
	}); err != nil {
		return moved, fmt.Errorf("prepare: %w", err)
	}
	c.exec.Pause()
	defer c.exec.Resume()
	if err := c.exec.WaitIdle(ctx); err != nil {
		return moved, err
	}
	assign := assignReplicas(c.exec.Seqs(), from, to)
	touched := map[uint64]bool{}
	for _, t := range transfers(c.exec.Seqs(), assign, from, to) {
		n, err := c.transfer(ctx, t, gen)
		if err != nil {
			return moved, fmt.Errorf("moving layers [%d,%d) of %d sequences from %s to %s: %w", t.first, t.last, len(t.seqs), t.from, t.to, err)
		}
		moved.bytes += n
		for _, id := range t.seqs {
			touched[id] = true
		}
	}
	epoch, err := c.switchTo(ctx, to)
	if err != nil {
		return moved, err
	}
	c.exec.SetRouteMoved(pipeline.Route{Epoch: uint64(epoch), Plan: to}, assign)
	c.routeSet(to)
	moved.seqs = len(touched)
	return moved, nil
}

// migration is what a live migration moved.
type migration struct {
	seqs  int   // sequences whose state changed hands
	bytes int64 // state bytes moved between workers
}

// assignReplicas keeps each sequence on its replica where `to` has the same one, and spreads
// the others over the least loaded replicas of `to`.
func assignReplicas(seqs map[uint64][2]int, from, to *shard.Plan) map[uint64]int {
	same := pipeline.SameReplicas(from, to)
	load := make([]int, len(to.Replicas))
	assign := map[uint64]int{}
	var homeless []uint64
	for id, s := range seqs {
		if j, ok := same[s[0]]; ok {
			assign[id] = j
			load[j]++
		} else {
			homeless = append(homeless, id)
		}
	}
	slices.Sort(homeless)
	for _, id := range homeless {
		j := 0
		for r := range load {
			if load[r] < load[j] {
				j = r
			}
		}
		assign[id] = j
		load[j]++
	}
	return assign
}

// transfer is one batch of state to move: layers [first, last) of seqs, from one worker to
// another (or, when from == to, between the two stages of one worker).
type transfer struct {
	from, to    string
	first, last int
	seqs        []uint64
}

// transfers lists the state each moved sequence needs on its new replica's stages.
func transfers(seqs map[uint64][2]int, assign map[uint64]int, from, to *shard.Plan) []*transfer {
	same := pipeline.SameReplicas(from, to)
	type key struct {
		from, to    string
		first, last int
	}
	byKey := map[key]*transfer{}
	var out []*transfer
	ids := make([]uint64, 0, len(seqs))
	for id := range seqs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		old := seqs[id][0]
		if j, ok := same[old]; ok && j == assign[id] {
			continue // its stages did not change
		}
		for _, ns := range to.Replicas[assign[id]].Stages {
			for _, os := range from.Replicas[old].Stages {
				lo, hi := max(ns.First, os.First), min(ns.Last, os.Last)
				if lo >= hi {
					continue
				}
				k := key{from: os.Worker, to: ns.Worker, first: lo, last: hi}
				t, ok := byKey[k]
				if !ok {
					t = &transfer{from: k.from, to: k.to, first: lo, last: hi}
					byKey[k] = t
					out = append(out, t)
				}
				t.seqs = append(t.seqs, id)
			}
		}
	}
	return out
}

// transferTimeout bounds one transfer while the executor is paused: the sending worker's own
// bound on its send (2 minutes) and a margin.
const transferTimeout = 2*time.Minute + 10*time.Second

// transfer moves one batch: a graft within a worker, or the old holder sending the state
// straight to the new one (returning the bytes sent).
func (c *Coordinator) transfer(ctx context.Context, t *transfer, gen uint64) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, transferTimeout) // a dead sender never answers
	defer cancel()
	req := pipeline.CtlRequest{Seqs: t.seqs, First: t.first, Last: t.last}
	if t.from == t.to {
		req.Op = "graft"
		return 0, c.ctlOK(ctx, t.to, req)
	}
	req.Op, req.To, req.Gen = "send", t.to, gen
	r, err := c.ctl(ctx, t.from, req)
	if err != nil {
		return 0, err
	}
	var reply struct {
		Bytes int64  `json:"bytes"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(r, &reply); err != nil || reply.Error != "" {
		return 0, fmt.Errorf("send: %s", cmp.Or(reply.Error, "unreadable reply"))
	}
	return reply.Bytes, nil
}

// ctl sends a control request and returns the raw reply.
func (c *Coordinator) ctl(ctx context.Context, worker string, req pipeline.CtlRequest) ([]byte, error) {
	subject, err := c.subj.Control(worker)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(req)
	return c.cfg.Transport.Request(ctx, subject, b)
}

// ctlOK sends a control request that answers {"ok":true} or {"error":…}.
func (c *Coordinator) ctlOK(ctx context.Context, worker string, req pipeline.CtlRequest) error {
	r, err := c.ctl(ctx, worker, req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Op, worker, err)
	}
	if e := replyError(r); e != "" {
		return fmt.Errorf("%s %s: %s", req.Op, worker, e)
	}
	return nil
}

// ctlAll sends each worker its request, concurrently, and returns the first error.
func (c *Coordinator) ctlAll(ctx context.Context, workers []string, req func(string) pipeline.CtlRequest) error {
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.ctlOK(ctx, w, req(w))
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// replyError returns the error a JSON control reply carries, "" for none.
func replyError(b []byte) string {
	var r struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &r) != nil {
		return fmt.Sprintf("unreadable reply of %d bytes", len(b))
	}
	return r.Error
}
