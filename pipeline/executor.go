package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hymbaserve/hymbaserve/engine"
	"github.com/hymbaserve/hymbaserve/transport"
	"github.com/hymbaserve/hymbaserve/wire"
)

// ErrNoRoute means no plan is in force yet: the cluster cannot serve.
var ErrNoRoute = errors.New("pipeline: no plan in force")

// ErrStopped means this executor's route was taken over (another coordinator leads): its
// requests cannot go on here and should be retried against the leader.
var ErrStopped = errors.New("pipeline: route taken over")

// Executor is the coordinator's engine.Executor: it sends each step through the stages of the
// replica holding its sequences and waits for the logits. A sequence stays on the replica its
// first step went to; new sequences go to the replica with the fewest.
type Executor struct {
	tr          transport.Transport
	subj        transport.Subjects
	log         *slog.Logger
	StepTimeout time.Duration // a step without an answer by then fails, replayably (default 2 minutes)

	mu      sync.Mutex
	route   *Route
	seqs    map[uint64]*seqInfo
	lost    map[uint64]bool // sequences whose state a plan change dropped
	replays int             // sequences ever dropped by plan changes
	paused  bool            // new steps wait until Resume
	stopped string          // why steps fail with ErrStopped ("" while serving)
	resumed *sync.Cond      // on mu
	perRep  []int           // sequences per replica
	pending map[uint64]chan reply
	nextID  uint64
	subs    []transport.Subscription
}

type seqInfo struct{ replica, pos int }

type reply struct {
	step *wire.Step
	err  error
}

// NewExecutor subscribes to coordinator id's subject, where last stages send logits and every
// stage its error frames (the plan names the coordinator).
func NewExecutor(tr transport.Transport, subj transport.Subjects, id string, log *slog.Logger) (*Executor, error) {
	e := &Executor{tr: tr, subj: subj, log: log, StepTimeout: 2 * time.Minute,
		seqs: map[uint64]*seqInfo{}, lost: map[uint64]bool{}, pending: map[uint64]chan reply{}, nextID: uint64(time.Now().UnixNano())}
	e.resumed = sync.NewCond(&e.mu)
	subject, err := subj.Coord(id)
	if err != nil {
		return nil, err
	}
	s, err := tr.Subscribe(subject, e.onFrame)
	if err != nil {
		return nil, err
	}
	e.subs = append(e.subs, s)
	return e, nil
}

// Close stops receiving; pending steps fail.
func (e *Executor) Close() {
	for _, s := range e.subs {
		s.Unsubscribe()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, ch := range e.pending {
		ch <- reply{err: transport.ErrClosed}
		delete(e.pending, id)
	}
}

// Step implements engine.Executor.
func (e *Executor) Step(ctx context.Context, segs []engine.Seg) ([]float32, error) {
	calls, err := e.send(ctx, segs)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.StepTimeout)
	defer cancel()
	var logits []float32
	var width int
	out := map[int][]float32{} // segment index → logits row
	for _, c := range calls {
		r, err := e.wait(ctx, c.id, c.ch)
		if err != nil {
			return nil, err
		}
		if r.Rows != len(c.idx) {
			return nil, fmt.Errorf("pipeline: step %d returned %d logits rows for %d sequences", c.id, r.Rows, len(c.idx))
		}
		width = r.Width
		for i, si := range c.idx {
			out[si] = r.F32[i*width : (i+1)*width]
		}
	}
	for i, g := range segs {
		logits = append(logits, out[i]...)
		e.advance(g)
	}
	return logits, nil
}

// call is one replica's part of a step in flight.
type call struct {
	id      uint64
	ch      chan reply
	idx     []int // indexes into the step's segments
	replica int
	frame   []byte
}

// send groups segs by replica and publishes one tokens frame per replica.
func (e *Executor) send(ctx context.Context, segs []engine.Seg) ([]call, error) {
	calls, route, err := e.prepare(ctx, segs)
	if err != nil {
		return nil, err
	}
	for _, c := range calls {
		first := route.Plan.Replicas[c.replica].Stages[0].Worker
		if err := e.publish(ctx, first, c.frame); err != nil {
			e.forget(calls...)
			return nil, fmt.Errorf("%w: pipeline: send to %s: %w", engine.ErrRetry, first, err)
		}
	}
	return calls, nil
}

// prepare assigns replicas, encodes the frames and registers the pending replies. While the
// executor is paused it waits.
func (e *Executor) prepare(ctx context.Context, segs []engine.Seg) ([]call, Route, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for e.paused {
		if err := ctx.Err(); err != nil {
			return nil, Route{}, err
		}
		e.resumed.Wait()
	}
	if e.stopped != "" {
		return nil, Route{}, fmt.Errorf("%w: %s", ErrStopped, e.stopped)
	}
	if e.route == nil {
		return nil, Route{}, fmt.Errorf("%w: %w", engine.ErrRetry, ErrNoRoute)
	}

	if lost := e.lostOf(segs); lost != nil {
		return nil, Route{}, lost
	}
	byRep := map[int]int{} // replica → index in calls
	var calls []call
	for i, g := range segs {
		r, err := e.replicaOf(g)
		if err != nil {
			return nil, Route{}, err
		}
		k, ok := byRep[r]
		if !ok {
			k, byRep[r] = len(calls), len(calls)
			calls = append(calls, call{replica: r})
		}
		calls[k].idx = append(calls[k].idx, i)
	}
	for k := range calls {
		c := &calls[k]
		e.nextID++
		b, err := wire.AppendStep(nil, tokensFrame(e.route.Epoch, e.nextID, uint32(c.replica), segs, c.idx))
		if err != nil {
			return nil, Route{}, fmt.Errorf("pipeline: %w", err)
		}
		c.id, c.ch, c.frame = e.nextID, make(chan reply, 1), b
	}
	for _, c := range calls {
		e.pending[c.id] = c.ch
	}
	return calls, *e.route, nil
}

// lostOf reports the step's sequences whose state is gone; a sequence starting over (position
// 0) is no longer lost. e.mu is held.
func (e *Executor) lostOf(segs []engine.Seg) *engine.LostError {
	var lost []uint64
	for _, g := range segs {
		switch {
		case g.Pos == 0:
			delete(e.lost, g.Seq)
		case e.lost[g.Seq]:
			lost = append(lost, g.Seq)
		}
	}
	if lost == nil {
		return nil
	}
	return &engine.LostError{Seqs: lost}
}

// replicaOf returns (assigning for a new sequence) the replica of g's sequence. e.mu is held.
func (e *Executor) replicaOf(g engine.Seg) (int, error) {
	if s, ok := e.seqs[g.Seq]; ok {
		if s.pos != g.Pos {
			return 0, fmt.Errorf("pipeline: sequence %d is at %d, step says %d", g.Seq, s.pos, g.Pos)
		}
		return s.replica, nil
	}
	if g.Pos != 0 {
		return 0, &engine.LostError{Seqs: []uint64{g.Seq}}
	}
	best := 0
	for r, n := range e.perRep {
		if n < e.perRep[best] {
			best = r
		}
	}
	e.seqs[g.Seq] = &seqInfo{replica: best}
	e.perRep[best]++
	return best, nil
}

func tokensFrame(epoch, id uint64, replica uint32, segs []engine.Seg, idx []int) *wire.Step {
	st := &wire.Step{Kind: wire.KindTokens, Epoch: epoch, StepID: id, Replica: replica, DType: wire.I32, Width: 1}
	for _, i := range idx {
		g := segs[i]
		ws := wire.Segment{Seq: g.Seq, Start: uint32(g.Pos), Rows: uint32(len(g.Tokens))}
		if g.Pos == 0 {
			ws.Flags |= wire.SegFirst
		}
		if g.LastPrompt {
			ws.Flags |= wire.SegPromptEnd
		}
		st.Segments = append(st.Segments, ws)
		for _, t := range g.Tokens {
			st.I32 = append(st.I32, int32(t))
		}
	}
	st.Rows = len(st.I32)
	return st
}

func (e *Executor) wait(ctx context.Context, id uint64, ch chan reply) (*wire.Step, error) {
	select {
	case r := <-ch:
		return r.step, r.err
	case <-ctx.Done():
		e.forget(call{id: id})
		return nil, fmt.Errorf("%w: pipeline: step %d: %w", engine.ErrRetry, id, ctx.Err())
	}
}

func (e *Executor) forget(calls ...call) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range calls {
		delete(e.pending, c.id)
	}
}

func (e *Executor) advance(g engine.Seg) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.seqs[g.Seq]; ok {
		s.pos += len(g.Tokens)
	}
}

// Release implements engine.Executor: the sequences' state is dropped on every stage of their
// replica by a frame that carries only release segments.
func (e *Executor) Release(ids ...uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	byRep := map[int][]wire.Segment{}
	for _, id := range ids {
		s, ok := e.seqs[id]
		if !ok {
			continue
		}
		delete(e.seqs, id)
		if s.replica < len(e.perRep) {
			e.perRep[s.replica]--
		}
		if s.pos > 0 {
			byRep[s.replica] = append(byRep[s.replica], wire.Segment{Seq: id, Start: uint32(s.pos), Flags: wire.SegRelease})
		}
	}
	if e.route == nil {
		return
	}
	for r, segs := range byRep {
		if r >= len(e.route.Plan.Replicas) {
			continue
		}
		e.nextID++
		st := &wire.Step{Kind: wire.KindTokens, Epoch: e.route.Epoch, StepID: e.nextID, Replica: uint32(r), Segments: segs, DType: wire.I32, Width: 1}
		b, err := wire.AppendStep(nil, st)
		if err == nil {
			err = e.publish(context.Background(), e.route.Plan.Replicas[r].Stages[0].Worker, b)
		}
		if err != nil {
			e.log.Warn("release not sent", "replica", r, "err", err)
		}
	}
}

func (e *Executor) deliver(id uint64, r reply) {
	e.mu.Lock()
	ch, ok := e.pending[id]
	delete(e.pending, id)
	e.mu.Unlock()
	if ok {
		ch <- r
	}
}

// publish sends a frame to a worker's stage subject.
func (e *Executor) publish(ctx context.Context, worker string, frame []byte) error {
	subject, err := e.subj.Stage(worker)
	if err != nil {
		return err
	}
	return e.tr.Publish(ctx, subject, frame)
}

// onFrame takes logits and error frames from the stages.
func (e *Executor) onFrame(m transport.Msg) {
	if k, err := wire.FrameKind(m.Data); err == nil && k == wire.KindError {
		e.onError(m)
		return
	}
	e.onResult(m)
}

func (e *Executor) onResult(m transport.Msg) {
	st, err := wire.DecodeStep(m.Data)
	if err != nil {
		e.log.Warn("malformed result frame dropped", "err", err)
		return
	}
	if st.Kind != wire.KindLogits {
		e.log.Warn("result frame of the wrong kind dropped", "kind", st.Kind, "step", st.StepID)
		return
	}
	e.deliver(st.StepID, reply{step: st})
}

func (e *Executor) onError(m transport.Msg) {
	ef, err := wire.DecodeError(m.Data)
	if err != nil {
		e.log.Warn("malformed error frame dropped", "err", err)
		return
	}
	e.log.Warn("stage refused a step", "step", ef.StepID, "worker", ef.Worker, "code", ef.Code, "msg", ef.Message)
	var stepErr error = ef
	if ef.Code.Retryable() || ef.Code == wire.CodeUnknownSequence {
		stepErr = fmt.Errorf("%w: %w", engine.ErrRetry, ef)
	}
	e.deliver(ef.StepID, reply{err: stepErr})
}
