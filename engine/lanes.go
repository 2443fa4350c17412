package engine

import (
	"context"
	"fmt"
	"sync"
)

// maxLanes bounds the lanes one scheduler runs, whatever the pipeline depth.
const maxLanes = 16

// A lane is a batch of sequences whose steps run one after another: the lane issues its next
// step as soon as its last one returns. A scheduler runs one lane per pipeline stage, so that
// while one lane's step is on the last stage, another's is on the one before: every stage
// works, and no lane waits for another's step to come back. A sequence stays in the lane that
// admitted it, so its own steps never overlap.
type lane struct {
	id       int
	active   []*job
	failures int // consecutive failed steps, for back-off
}

// Run schedules steps until ctx ends; then pending requests fail with ErrClosed.
func (s *Scheduler) Run(ctx context.Context) error {
	defer s.once.Do(func() { close(s.closed) })
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, s.broadcast)
	defer stop()
	for {
		select {
		case j := <-s.submit:
			s.mu.Lock()
			s.waiting = append(s.waiting, j)
			for ; s.lanes < s.wantLanes(); s.lanes++ {
				wg.Add(1)
				go func(l *lane) {
					defer wg.Done()
					s.runLane(ctx, l)
				}(&lane{id: s.lanes})
			}
			s.changed()
			s.mu.Unlock()
		case <-ctx.Done():
			s.broadcast()
			wg.Wait()
			s.mu.Lock()
			waiting := s.waiting
			s.waiting = nil
			s.mu.Unlock()
			s.fail(waiting, ErrClosed)
			return ctx.Err()
		}
	}
}

// wantLanes is the number of lanes that keeps every pipeline stage busy: Options.MicroBatches,
// else the executor's depth, at most MaxBatch (each lane holds a sequence or more) and
// maxLanes.
func (s *Scheduler) wantLanes() int {
	n := s.opt.MicroBatches
	if p, ok := s.ex.(Pipelined); ok && n == 0 {
		n = p.Depth()
	}
	return max(1, min(n, s.opt.MaxBatch, maxLanes))
}

func (s *Scheduler) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed()
}

// changed wakes the lanes waiting for a change. s.mu is held.
func (s *Scheduler) changed() {
	s.changes++
	s.wake.Broadcast()
}

// runLane steps lane l until ctx ends, then fails the lane's requests with ErrClosed.
func (s *Scheduler) runLane(ctx context.Context, l *lane) {
	for s.fill(ctx, l) {
		held, since := s.grow(l)
		s.step(ctx, l, held, since)
	}
	s.fail(l.active, ErrClosed)
	s.retire(l, l.active)
}

// fill drops the lane's cancelled jobs and admits waiting ones, blocking until the lane has a
// job; false means ctx ended.
func (s *Scheduler) fill(ctx context.Context, l *lane) bool {
	var gone []*job
	l.active, gone = s.dropCancelled(l.active, true)
	s.retire(l, gone)
	s.mu.Lock()
	for ctx.Err() == nil {
		s.waiting, _ = s.dropCancelled(s.waiting, false)
		fresh := s.admit(l)
		if len(l.active) > 0 {
			s.mu.Unlock()
			s.attach(fresh)
			return true
		}
		s.wake.Wait()
	}
	s.mu.Unlock()
	return false
}

// admit moves waiting jobs, in order, into lane l while there is room, and returns them: the
// lane's share of the admitted and waiting jobs (so that lanes stay even), MaxBatch jobs over
// all lanes, and memory for each one's whole length when a Budget is set. A lane beyond the
// wanted number (the pipeline got shorter) only finishes its jobs. s.mu is held.
func (s *Scheduler) admit(l *lane) []*job {
	n := s.wantLanes()
	if l.id >= n {
		return nil
	}
	running := len(s.admitted)
	share := min((s.opt.MaxBatch+n-1)/n, (running+len(s.waiting)+n-1)/n)
	var fresh []*job
	for len(s.waiting) > 0 && len(l.active) < share && len(s.admitted) < s.opt.MaxBatch {
		j := s.waiting[0]
		j.limit = s.reservation(j)
		if s.opt.Budget != nil && !s.opt.Budget.Reserve(j.id, j.limit) {
			if len(s.admitted) > 0 {
				break // room comes back when a running sequence ends
			}
			// Nothing runs, yet the head does not fit: the budget is wrong.
			s.waiting = s.waiting[1:]
			s.finish(j, fmt.Errorf("%w: no memory for the request with nothing else running", ErrUnavailable))
			continue
		}
		j.reserved = s.opt.Budget != nil
		s.waiting = s.waiting[1:]
		l.active = append(l.active, j)
		fresh = append(fresh, j)
		s.admitted[j] = true
	}
	return fresh
}

// attach starts newly admitted jobs from the longest cached prefix of their prompts.
func (s *Scheduler) attach(fresh []*job) {
	if s.opt.Prefix == nil {
		return
	}
	for _, j := range fresh {
		j.pos = s.opt.Prefix.Attach(j.id, j.req.Prompt)
	}
}

// retire removes ended jobs from lane l and the running count, and wakes the lanes: their
// room may let waiting jobs in.
func (s *Scheduler) retire(l *lane, ended []*job) {
	if len(ended) == 0 {
		return
	}
	l.active = without(l.active, ended)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range ended {
		delete(s.admitted, j)
	}
	s.changed()
}
