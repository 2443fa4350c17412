package engine

import (
	"cmp"
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
// holding up to its whole context: a job whose context outgrew its reservation reserves
// ReserveAhead tokens more; while the budget has no room, the lane preempts its newest job
// (possibly the growing one itself).
func (s *Scheduler) grow(l *lane) {
	if s.opt.Budget == nil || s.opt.ReserveAhead <= 0 {
		return
	}
	for _, j := range slices.Clone(l.active) {
		for slices.Contains(l.active, j) && len(j.ctx) > j.limit {
			if want := s.reservation(j); s.opt.Budget.Grow(j.id, want) {
				j.limit = want
				break
			}
			s.preempt(l, newest(l.active))
		}
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
	l.active = without(l.active, []*job{j})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running--
	i := sort.Search(len(s.waiting), func(i int) bool { return s.waiting[i].id > j.id })
	s.waiting = slices.Insert(s.waiting, i, j)
	s.wake.Broadcast()
}

// newest is the job that arrived last: preempting it loses the least work in arrival order.
func newest(js []*job) *job {
	return slices.MaxFunc(js, func(a, b *job) int { return cmp.Compare(a.id, b.id) })
}

// Preemptions is the number of times a sequence was preempted for memory (ReserveAhead).
func (s *Scheduler) Preemptions() int64 { return s.preempted.Load() }
