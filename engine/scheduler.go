package engine

import (
	"context"
	"errors"
	"fmt"
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
	// MicroBatches splits each step into this many micro-batches run at once; 0 means the
	// executor's pipeline depth (Pipelined), 1 one batch per step.
	MicroBatches int
	// Prefix, when set, reuses the state of prompt prefixes; PageTokens is its granularity
	// (default 16).
	Prefix     PrefixCache
	PageTokens int
	// Budget, when set, admits a sequence only while there is memory for its whole length
	// (prompt + max_tokens); others wait in arrival order.
	Budget Budget
}

// PrefixCache lets sequences start from the state of an earlier prompt's prefix. The scheduler
// cuts prompts into chunks that end on PageTokens boundaries, reports each boundary reached, and
// asks, before a sequence's first step, how much of its prompt its state already holds.
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

	failures int // consecutive failed steps, for back-off
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
	return &Scheduler{ex: ex, tok: tok, opt: opt, submit: make(chan *job), closed: make(chan struct{})}
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

// Run schedules steps until ctx ends; then pending requests fail with ErrClosed.
func (s *Scheduler) Run(ctx context.Context) error {
	defer s.once.Do(func() { close(s.closed) })
	var active, waiting []*job
	for {
		if len(active) == 0 && len(waiting) == 0 {
			select {
			case j := <-s.submit:
				waiting = append(waiting, j)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		waiting = s.receive(waiting)
		active, waiting = s.admit(active, s.dropCancelled(waiting))
		if ctx.Err() != nil {
			s.fail(append(active, waiting...), ErrClosed)
			return ctx.Err()
		}
		if len(active) == 0 {
			if len(waiting) > 0 { // nothing runs, yet the head does not fit: the budget is wrong
				s.fail(waiting[:1], fmt.Errorf("%w: no memory for the request with nothing else running", ErrUnavailable))
				waiting = waiting[1:]
			}
			continue
		}
		active = s.step(ctx, active)
	}
}

// receive takes newly submitted jobs without blocking.
func (s *Scheduler) receive(waiting []*job) []*job {
	for {
		select {
		case j := <-s.submit:
			waiting = append(waiting, j)
		default:
			return waiting
		}
	}
}

// admit moves waiting jobs, in order, to the active set while there is room: MaxBatch
// sequences, and memory for each one's whole length when a Budget is set.
func (s *Scheduler) admit(active, waiting []*job) ([]*job, []*job) {
	for len(waiting) > 0 && len(active) < s.opt.MaxBatch {
		j := waiting[0]
		if s.opt.Budget != nil && !s.opt.Budget.Reserve(j.id, len(j.req.Prompt)+j.req.MaxTokens) {
			break
		}
		j.reserved = s.opt.Budget != nil
		if s.opt.Prefix != nil {
			j.pos = s.opt.Prefix.Attach(j.id, j.req.Prompt)
		}
		active, waiting = append(active, j), waiting[1:]
	}
	return active, waiting
}

// step runs one step over the active jobs and returns those still running.
func (s *Scheduler) step(ctx context.Context, active []*job) []*job {
	active = s.dropCancelled(active)
	var segs []Seg
	var in []*job
	budget := s.opt.ChunkTokens
	page := 0
	if s.opt.Prefix != nil {
		page = s.opt.PageTokens
	}
	for _, j := range active {
		g, ok := j.nextSeg(&budget, page)
		if ok {
			segs = append(segs, g)
			in = append(in, j)
		}
	}
	if len(segs) == 0 {
		return active
	}
	results := s.run(ctx, segs)
	failed := false
	for _, r := range results {
		if r.err != nil {
			active, failed = s.recover(active, in[r.lo:r.hi], r.err), true
		}
	}
	if !failed {
		s.failures = 0
	}
	var done []*job
	for _, r := range results {
		if r.err != nil {
			continue
		}
		for i := r.lo; i < r.hi; i++ {
			j := in[i]
			j.replayFrom = time.Time{}
			j.pos += len(segs[i].Tokens)
			if s.opt.Prefix != nil && j.pos < len(j.req.Prompt) && j.pos%s.opt.PageTokens == 0 && j.replays == 0 {
				s.opt.Prefix.Boundary(j.id, j.req.Prompt, j.pos)
			}
			if j.pos < len(j.ctx) {
				continue // prompt not complete yet
			}
			k := i - r.lo
			finished, err := j.advance(r.logits[k*s.opt.Vocab : (k+1)*s.opt.Vocab])
			if finished {
				s.ex.Release(j.id)
				s.finish(j, err)
				done = append(done, j)
			}
		}
	}
	return without(active, done)
}

// Pipelined is implemented by executors whose steps pass through several stages: the
// scheduler then splits a step into that many micro-batches in flight at once, so that every
// stage works while the others do.
type Pipelined interface {
	Depth() int
}

// group is one micro-batch of a step: segments [lo, hi) and its outcome.
type group struct {
	lo, hi int
	logits []float32
	err    error
}

// run executes segs as one step, or as concurrent micro-batches on a pipelined executor.
func (s *Scheduler) run(ctx context.Context, segs []Seg) []group {
	n := s.opt.MicroBatches
	if p, ok := s.ex.(Pipelined); ok && n == 0 {
		n = p.Depth()
	}
	n = max(1, min(n, len(segs)))
	gs := make([]group, n)
	var wg sync.WaitGroup
	for i := range gs {
		gs[i].lo, gs[i].hi = len(segs)*i/n, len(segs)*(i+1)/n
		wg.Add(1)
		go func() {
			defer wg.Done()
			gs[i].logits, gs[i].err = s.ex.Step(ctx, segs[gs[i].lo:gs[i].hi])
		}()
	}
	wg.Wait()
	return gs
}

// recover handles a failed step: lost or replayable sequences start over (their requests go on
// with the same tokens), other errors fail the step's requests. Consecutive failures back off.
func (s *Scheduler) recover(active, in []*job, err error) []*job {
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
		return without(active, in)
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
		s.ex.Release(j.id)
		j.pos = 0
		j.replays++
	}
	s.fail(gone, fmt.Errorf("%w: still failing after %v: %v", ErrUnavailable, s.opt.RetryFor, err))
	s.failures++
	time.Sleep(min(time.Second, time.Duration(1<<min(s.failures, 10))*time.Millisecond))
	return without(active, gone)
}

func (s *Scheduler) dropCancelled(active []*job) []*job {
	var gone []*job
	for _, j := range active {
		if j.cancel.Load() {
			gone = append(gone, j)
		}
	}
	s.fail(gone, context.Canceled)
	return without(active, gone)
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
