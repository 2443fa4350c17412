package pipeline

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hymbaserve/hymbaserve/engine"
	"github.com/hymbaserve/hymbaserve/shard"
)

// Route is the plan the executor sends steps along.
type Route struct {
	Epoch uint64
	Plan  *shard.Plan
}

// SetRoute switches to a new plan. A sequence whose replica is unchanged in the new plan (the
// same workers with the same layers, in order) keeps its state and goes on; the others lost it
// (workers drop state when their replica changes) and their next step reports a LostError, so
// the scheduler replays them. A sequence placed but not yet started holds no state: it moves to
// the least loaded replica of the new plan. Steps in flight fail as replayable: their frames
// carry the old epoch, which the stages now refuse.
func (e *Executor) SetRoute(r Route) {
	e.mu.Lock()
	defer e.mu.Unlock()
	remap := map[int]int{}
	if e.route != nil {
		remap = SameReplicas(e.route.Plan, r.Plan)
	}
	e.route = &r
	e.stopped = ""
	e.perRep = make([]int, len(r.Plan.Replicas))
	var unstarted []*seqInfo
	for id, s := range e.seqs {
		switch j, ok := remap[s.replica]; {
		case ok:
			s.replica = j
			e.perRep[j]++
		case s.pos == 0:
			unstarted = append(unstarted, s)
		default:
			delete(e.seqs, id)
			e.lost[id] = true
			e.replays++
		}
	}
	for _, s := range unstarted {
		s.replica = slices.Index(e.perRep, slices.Min(e.perRep))
		e.perRep[s.replica]++
	}
	e.failPending(fmt.Errorf("%w: the plan changed to epoch %d", engine.ErrRetry, r.Epoch))
}

// failPending fails the steps in flight with err. e.mu is held.
func (e *Executor) failPending(err error) {
	for id, ch := range e.pending {
		ch <- reply{err: err}
		delete(e.pending, id)
	}
}

// Interrupt fails the steps in flight as replayable (their frames may be lost: NATS reconnected,
// the plan was replaced) so that their requests replay instead of waiting for a timeout.
func (e *Executor) Interrupt(reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failPending(fmt.Errorf("%w: %s", engine.ErrRetry, reason))
}

// Stop fails the steps in flight and every later one with ErrStopped until the next SetRoute.
func (e *Executor) Stop(reason string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopped = reason
	e.failPending(fmt.Errorf("%w: %s", ErrStopped, reason))
}

// Pause holds new steps back until Resume (at a step boundary: steps already sent finish).
func (e *Executor) Pause() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.paused = true
}

// Resume ends a Pause.
func (e *Executor) Resume() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.paused = false
	e.resumed.Broadcast()
}

// WaitIdle waits until no step is in flight.
func (e *Executor) WaitIdle(ctx context.Context) error {
	for {
		e.mu.Lock()
		n := len(e.pending)
		e.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// Pin places a new sequence (before its first step) on replica r.
func (e *Executor) Pin(seq uint64, r int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.seqs[seq]; ok || e.route == nil || r >= len(e.route.Plan.Replicas) {
		return
	}
	e.seqs[seq] = &seqInfo{replica: r}
	e.perRep[r]++
}

// Seqs returns each sequence's replica and position.
func (e *Executor) Seqs() map[uint64][2]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[uint64][2]int{}
	for id, s := range e.seqs {
		out[id] = [2]int{s.replica, s.pos}
	}
	return out
}

// SetRouteMoved switches to a new plan whose stages received the state of the sequences in
// moved (sequence → new replica): they go on there; the others follow SetRoute's rule.
func (e *Executor) SetRouteMoved(r Route, moved map[uint64]int) {
	e.mu.Lock()
	saved := map[uint64]*seqInfo{}
	for id, rep := range moved {
		if s, ok := e.seqs[id]; ok {
			saved[id] = &seqInfo{replica: rep, pos: s.pos}
		}
	}
	e.mu.Unlock()
	e.SetRoute(r)
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, s := range saved {
		if old, ok := e.seqs[id]; ok {
			e.perRep[old.replica]--
		} else {
			delete(e.lost, id)
			e.replays--
		}
		e.seqs[id] = s
		e.perRep[s.replica]++
	}
}

// Replays counts the sequences plan changes have dropped so far (each replayed since).
func (e *Executor) Replays() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.replays
}

// SeqsOutside counts the sequences on replicas that keep is missing (see SameReplicas): those a
// change of plan would drop.
func (e *Executor) SeqsOutside(keep map[int]int) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, s := range e.seqs {
		if _, ok := keep[s.replica]; !ok {
			n++
		}
	}
	return n
}

// SameReplicas maps each replica of old to the replica of new with exactly the same stages
// (workers and layer ranges, in order); replicas without such a twin are absent.
func SameReplicas(old, new *shard.Plan) map[int]int {
	m := map[int]int{}
	used := map[int]bool{}
	for i, a := range old.Replicas {
		for j, b := range new.Replicas {
			if !used[j] && sameStages(a.Stages, b.Stages) {
				m[i], used[j] = j, true
				break
			}
		}
	}
	return m
}

func sameStages(a, b []shard.Stage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Worker != b[i].Worker || a[i].First != b[i].First || a[i].Last != b[i].Last {
			return false
		}
	}
	return true
}

// Route returns the route in force, if any.
func (e *Executor) Route() (Route, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.route == nil {
		return Route{}, false
	}
	return *e.route, true
}

// Depth is the deepest replica's number of stages: the micro-batches the scheduler keeps in
// flight so that every stage works (engine.Pipelined).
func (e *Executor) Depth() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.route == nil {
		return 1
	}
	return max(1, e.route.Plan.Depth())
}

// ReplicaOf returns the replica a sequence is on (pinned or running).
func (e *Executor) ReplicaOf(seq uint64) (int, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.seqs[seq]
	if !ok {
		return 0, false
	}
	return s.replica, true
}

// SetPos records that a pinned sequence's state already holds pos tokens (a prefix forked on
// its stages), so that its first step starts there.
func (e *Executor) SetPos(seq uint64, pos int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.seqs[seq]; ok {
		s.pos = pos
	}
}
