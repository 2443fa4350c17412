package engine

import (
	"context"
	"slices"
	"sort"
)

// reservation is the text tokens a sequence reserves room for: its whole length, or with
// ReserveAhead its context so far plus ReserveAhead (at most the whole length).
func (s *Scheduler) reservation(j *job) int {
	full := len(j.req.Prompt) + j.req.MaxTokens
	if s.opt.ReserveAhead <= 0 {
		return full
	}
	return min(full, len(j.ctx)+s.opt.ReserveAhead)
}

// grow makes room for every job of lane l to take its next step, which leaves its state
// holding up to its whole context, and returns the jobs that must sit this step out. First
// the lane preempts its jobs that other lanes flagged. Then a job whose context outgrew its
// reservation reserves ReserveAhead tokens more; while the budget has no room, the newest
// running job is preempted — the lane's own (possibly the growing job itself) at once, another
// lane's by flagging it for that lane to preempt at its next step boundary, while the growing
// job waits. since counts the signals before the first attempt: a held job waits for a later
// one.
func (s *Scheduler) grow(l *lane) (held []*job, since uint64) {
	if s.opt.Budget == nil || s.opt.ReserveAhead <= 0 {
		return nil, 0
	}
	s.mu.Lock()
	since = s.changes
	s.mu.Unlock()
	for _, j := range slices.Clone(l.active) {
		if j.evict.Load() {
			s.preempt(l, j)
		}
	}
	for _, j := range slices.Clone(l.active) {
		for slices.Contains(l.active, j) && len(j.ctx) > j.limit {
			if want := s.reservation(j); s.opt.Budget.Grow(j.id, want) {
				j.limit = want
				break
			}
			v := s.newest()
			if slices.Contains(l.active, v) {
				s.preempt(l, v)
				continue
			}
			s.flag(v)
			held = append(held, j)
			break
		}
	}
	return held, since
}

// newest is the running job that arrived last: preempting it loses the least work in
// arrival order.
func (s *Scheduler) newest() *job {
	s.mu.Lock()
	defer s.mu.Unlock()
	var v *job
	for j := range s.admitted {
		if v == nil || j.id > v.id {
			v = j
		}
	}
	return v
}

// flag asks job j's lane to preempt it at its next step boundary, and wakes that lane if it
// waits (once: flagging a flagged job changes nothing).
func (s *Scheduler) flag(j *job) {
	if !j.evict.Swap(true) {
		s.broadcast()
	}
}

// waitChange blocks until a signal after the one counted since (a job ended or was
// preempted, a flag was set) or ctx ends.
func (s *Scheduler) waitChange(ctx context.Context, since uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.changes == since && ctx.Err() == nil {
		s.wake.Wait()
	}
}

// preempt makes room by sending job j back to the queue (requeue).
func (s *Scheduler) preempt(l *lane, j *job) {
	s.preempted.Add(1)
	s.requeue(l, j)
}

// requeue drops job j's state and reservation and puts it back among the waiting jobs, in
// arrival order: once admitted again — reserved and placed anew, so that the budget and the
// executor agree on where it runs — it is recomputed exactly (its prompt, then its tokens as
// decode steps) and goes on where it was. Preemption and replays after a lost state both
// take this path.
func (s *Scheduler) requeue(l *lane, j *job) {
	s.ex.Release(j.id)
	if j.reserved {
		s.opt.Budget.Free(j.id)
		j.reserved = false
	}
	j.pos = 0
	j.replays++
	j.evict.Store(false)
	l.active = without(l.active, []*job{j})
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.admitted, j)
	i := sort.Search(len(s.waiting), func(i int) bool { return s.waiting[i].id > j.id })
	s.waiting = slices.Insert(s.waiting, i, j)
	s.changed()
}

// Preemptions is the number of times a sequence was preempted for memory (ReserveAhead).
func (s *Scheduler) Preemptions() int64 { return s.preempted.Load() }
