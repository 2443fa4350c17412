package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hymbaserve/hymbaserve/tokenizer"
)

// Options configure a Scheduler.
type Options struct {
	Vocab       int   // logits per row
	MaxContext  int   // text tokens (prompt + generated) a sequence may reach
	MaxBatch    int   // sequences per step (default 32)
	ChunkTokens int   // prompt tokens fed per step over all prefilling sequences (default 256)
	EOS         []int // end-of-sequence ids
	// RetryFor bounds how long a request keeps being replayed after failed steps before it
	// fails with ErrUnavailable (default 2 minutes).
	RetryFor time.Duration
	// MicroBatches is the number of lanes: independent batches of sequences whose steps are
	// in flight at once, each lane issuing its next step as soon as its last one returns.
	// 0 means the executor's pipeline depth (Pipelined), 1 one batch of every sequence.
	MicroBatches int
	// Prefix, when set, reuses the state of prompt prefixes; PageTokens is its granularity
	// (default 16).
	Prefix     PrefixCache
	PageTokens int
	// Budget, when set, admits a sequence only while there is memory for its whole length
	// (prompt + max_tokens); others wait in arrival order.
	Budget Budget
	// ReserveAhead, when positive, makes a sequence reserve memory for its context so far plus
	// ReserveAhead tokens (at most its whole length), and reserve more as it grows: memory
	// goes to the sequences that use it, not to max_tokens they may never reach. When a
	// sequence cannot grow, the newest running sequence is preempted: its state is dropped, it
	// waits again in arrival order and, once admitted, is recomputed exactly (its prompt, then
	// its tokens as decode steps) and goes on. 0 reserves the whole length at admission, so
	// nothing is ever preempted.
	ReserveAhead int
}

// PrefixCache lets sequences start from the state of an earlier prompt's prefix. The scheduler
// cuts prompts into chunks that end on PageTokens boundaries, reports each boundary reached, and
// asks, before a sequence's first step, how much of its prompt its state already holds. Lanes
// call it concurrently, each for its own sequences.
type PrefixCache interface {
	// Attach returns how many leading prompt tokens seq's state already holds (a multiple of
	// the page size, less than len(prompt); 0 for none).
	Attach(seq uint64, prompt []int) int
	// Boundary reports that seq has been fed prompt[:pos], pos a multiple of the page size.
	Boundary(seq uint64, prompt []int, pos int)
}

// Budget is the memory the sequences' state may use, reserved at admission for a sequence's
// whole length, so that a running sequence never runs out of room.
type Budget interface {
	// Fits returns nil, or why a sequence of tokens text tokens can never be held.
	Fits(tokens int) error
	// Reserve claims room for sequence seq of up to tokens text tokens; false means not now.
	Reserve(seq uint64, tokens int) bool
	// Grow extends seq's room to tokens text tokens (more than it holds); false means not now.
	Grow(seq uint64, tokens int) bool
	// Free returns seq's room.
	Free(seq uint64)
}

// Scheduler batches the sequences of concurrent requests into steps on an Executor. Every step
// carries one token for each decoding sequence and prompt chunks of new ones, so long prompts
// never stall running streams for more than one chunk.
type Scheduler struct {
	ex     Executor
	tok    *tokenizer.Tokenizer // nil: ids only, no text
	opt    Options
	submit chan *job
	nextID atomic.Uint64
	closed chan struct{}
	once   sync.Once

	mu       sync.Mutex // guards the fields below
	wake     *sync.Cond // signalled (changed) when a lane may have work: a job, room, a flag, the end
	changes  uint64     // counts the signals, so that a lane never misses one it waits for
	waiting  []*job     // submitted, not admitted, in arrival order
	admitted map[*job]bool
	lanes    int // lane goroutines started

	preempted atomic.Int64 // sequences preempted for memory so far
}

// NewScheduler returns a scheduler; call Run to start it.
func NewScheduler(ex Executor, tok *tokenizer.Tokenizer, opt Options) *Scheduler {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 32
	}
	if opt.ChunkTokens <= 0 {
		opt.ChunkTokens = 256
	}
	if opt.RetryFor <= 0 {
		opt.RetryFor = 2 * time.Minute
	}
	if opt.PageTokens <= 0 {
		opt.PageTokens = 16
	}
	s := &Scheduler{ex: ex, tok: tok, opt: opt, submit: make(chan *job), closed: make(chan struct{}), admitted: map[*job]bool{}}
	s.wake = sync.NewCond(&s.mu)
	return s
}

// Generate runs req to completion, streaming tokens through req.Emit.
func (s *Scheduler) Generate(ctx context.Context, req *Request) (Result, error) {
	if err := s.validate(req); err != nil {
		return Result{}, err
	}
	j := s.newJob(req)
	select {
	case s.submit <- j:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case <-s.closed:
		return Result{}, ErrClosed
	}
	for {
		select {
		case t, ok := <-j.out:
			if !ok {
				return j.res, j.err
			}
			if req.Emit != nil {
				if err := req.Emit(t); err != nil {
					j.cancel.Store(true)
					return Result{}, err
				}
			}
		case <-ctx.Done():
			j.cancel.Store(true)
			return Result{}, ctx.Err()
		}
	}
}

// step runs one step over the lane's jobs but held ones and keeps those still running. When
// every job is held, it waits instead for a change after since (a job elsewhere ends or is
// preempted).
func (s *Scheduler) step(ctx context.Context, l *lane, held []*job, since uint64) {
	var segs []Seg
	var in []*job
	budget := s.opt.ChunkTokens
	page := 0
	if s.opt.Prefix != nil {
		page = s.opt.PageTokens
	}
	for _, j := range l.active {
		if slices.Contains(held, j) {
			continue
		}
		g, ok := j.nextSeg(&budget, page)
		if ok {
			segs = append(segs, g)
			in = append(in, j)
		}
	}
	if len(segs) == 0 {
		if len(held) > 0 {
			s.waitChange(ctx, since)
		}
		return
	}
	logits, err := s.ex.Step(ctx, segs)
	if err != nil {
		if ctx.Err() == nil { // else the lane ends and fails its requests with ErrClosed
			s.recover(ctx, l, in, err)
		}
		return
	}
	l.failures = 0
	var done []*job
	for i, j := range in {
		j.replayFrom = time.Time{}
		j.pos += len(segs[i].Tokens)
		if s.opt.Prefix != nil && j.pos < len(j.req.Prompt) && j.pos%s.opt.PageTokens == 0 && j.replays == 0 {
			s.opt.Prefix.Boundary(j.id, j.req.Prompt, j.pos)
		}
		if j.pos < len(j.ctx) {
			continue // prompt not complete yet
		}
		finished, err := j.advance(logits[i*s.opt.Vocab : (i+1)*s.opt.Vocab])
		if finished {
			s.ex.Release(j.id)
			s.finish(j, err)
			done = append(done, j)
		}
	}
	s.retire(l, done)
}

// Pipelined is implemented by executors whose steps pass through several stages: the
// scheduler then runs that many lanes, so that every stage works while the others do.
type Pipelined interface {
	Depth() int
}

// recover handles a lane's failed step: lost or replayable sequences start over (their requests
// go on with the same tokens), other errors fail the step's requests. Consecutive failures back
// off.
func (s *Scheduler) recover(ctx context.Context, l *lane, in []*job, err error) {
	var lost *LostError
	var replay []*job
	switch {
	case errors.As(err, &lost):
		ids := map[uint64]bool{}
		for _, id := range lost.Seqs {
			ids[id] = true
		}
		for _, j := range in {
			if ids[j.id] {
				replay = append(replay, j)
			}
		}
	case errors.Is(err, ErrRetry):
		replay = in
	default:
		s.fail(in, fmt.Errorf("step: %w", err))
		s.retire(l, in)
		return
	}
	var gone []*job
	for _, j := range replay {
		if j.replayFrom.IsZero() {
			j.replayFrom = time.Now()
		}
		if time.Since(j.replayFrom) > s.opt.RetryFor {
			gone = append(gone, j)
			continue
		}
		s.requeue(l, j)
	}
	s.fail(gone, fmt.Errorf("%w: still failing after %v: %v", ErrUnavailable, s.opt.RetryFor, err))
	s.retire(l, gone)
	l.failures++
	select {
	case <-ctx.Done():
	case <-time.After(min(time.Second, time.Duration(1<<min(l.failures, 10))*time.Millisecond)):
	}
}

// dropCancelled fails the cancelled jobs of js and returns the others; release says whether
// they may hold state (waiting jobs do not).
func (s *Scheduler) dropCancelled(js []*job, release bool) (keep, gone []*job) {
	for _, j := range js {
		if j.cancel.Load() {
			gone = append(gone, j)
		} else {
			keep = append(keep, j)
		}
	}
	if release {
		s.fail(gone, context.Canceled)
	} else {
		for _, j := range gone {
			s.finish(j, context.Canceled)
		}
	}
	return keep, gone
}

func (s *Scheduler) fail(js []*job, err error) {
	for _, j := range js {
		s.ex.Release(j.id)
		s.finish(j, err)
	}
}

// finish ends a job and frees its memory reservation.
func (s *Scheduler) finish(j *job, err error) {
	if j.reserved {
		s.opt.Budget.Free(j.id)
		j.reserved = false
	}
	j.finish(err)
}

func without(all, drop []*job) []*job {
	if len(drop) == 0 {
		return all
	}
	gone := map[*job]bool{}
	for _, j := range drop {
		gone[j] = true
	}
	var keep []*job
	for _, j := range all {
		if !gone[j] {
			keep = append(keep, j)
		}
	}
	return keep
}
