package registry

import "context"

// WatchMembers implements Registry.
func (m *Mem) WatchMembers(ctx context.Context, fromRev int64) <-chan MembersEvent {
	out := make(chan MembersEvent)
	wctx, done, ok := m.life.watch(ctx)
	if !ok {
		close(out)
		return out
	}
	go func() {
		defer done()
		defer close(out)
		m.watchMembers(wctx, fromRev, out)
	}()
	return out
}

func (m *Mem) watchMembers(ctx context.Context, next int64, out chan<- MembersEvent) {
	s := m.store
	resync := next <= 0
	for {
		s.mu.Lock()
		var batch []MembersEvent
		if resync || next < s.compacted {
			batch = []MembersEvent{{Kind: MembersSync, Members: s.set.list(), Revision: s.rev}}
			next, resync = s.rev, false
		} else {
			for _, e := range s.entriesAfterLocked(next) {
				if e.member != nil {
					ev := *e.member
					ev.Member = cloneMember(ev.Member)
					batch = append(batch, ev)
				}
				next = e.rev
			}
		}
		wake := s.changed
		s.mu.Unlock()
		for _, ev := range batch {
			if !send(ctx, out, ev) {
				return
			}
		}
		if len(batch) == 0 && !wait(ctx, wake) {
			return
		}
	}
}

// WatchPlan implements Registry.
func (m *Mem) WatchPlan(ctx context.Context) <-chan PlanRecord {
	out := make(chan PlanRecord)
	wctx, done, ok := m.life.watch(ctx)
	if !ok {
		close(out)
		return out
	}
	go func() {
		defer done()
		defer close(out)
		m.watchPlan(wctx, out)
	}()
	return out
}

func (m *Mem) watchPlan(ctx context.Context, out chan<- PlanRecord) {
	s := m.store
	var last, next int64
	resync := true
	for {
		s.mu.Lock()
		var batch []PlanRecord
		if resync || next < s.compacted {
			if s.plan.Epoch > last {
				batch = append(batch, clonePlan(s.plan))
			}
			next, resync = s.rev, false
		} else {
			for _, e := range s.entriesAfterLocked(next) {
				if e.plan != nil && e.plan.Epoch > last {
					batch = append(batch, clonePlan(*e.plan))
				}
				next = e.rev
			}
		}
		wake := s.changed
		s.mu.Unlock()
		for _, p := range batch {
			if !send(ctx, out, p) {
				return
			}
			last = p.Epoch
		}
		if len(batch) == 0 && !wait(ctx, wake) {
			return
		}
	}
}

// wait blocks until ch is closed or ctx ends; it reports false on ctx.
func wait(ctx context.Context, ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-ctx.Done():
		return false
	}
}
