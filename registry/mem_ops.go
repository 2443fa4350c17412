package registry

import (
	"context"
	"fmt"
)

// Register implements Registry.
func (m *Mem) Register(ctx context.Context, mb Member) (*Registration, error) {
	r, err := register(ctx, m.life.ctx, m, mb, m.opts)
	if err != nil {
		return nil, err
	}
	r.onClose = func() { m.life.dropReg(r) }
	if !m.life.addReg(r) {
		r.Close()
		return nil, ErrClosed
	}
	return r, nil
}

// acquire implements registrar.
func (m *Mem) acquire(ctx context.Context, mb Member, prev int64) (leaseHandle, error) {
	if _, err := encodeMember(mb); err != nil {
		return leaseHandle{}, err
	}
	s := m.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := m.usableLocked(ctx); err != nil {
		return leaseHandle{}, err
	}
	if held, ok := s.owner[mb.ID]; ok && held != prev {
		return leaseHandle{}, fmt.Errorf("%w: member %s is held by lease %x", ErrMemberExists, mb.ID, held)
	}
	l := s.grantLocked(m, m.opts.TTL)
	s.owner[mb.ID] = l.id
	merged := s.set.put(mb)
	rev := s.bumpLocked()
	s.appendLocked(memEntry{rev: rev, member: &MembersEvent{Kind: MemberPut, Member: merged, Revision: rev}})
	id := l.id
	return leaseHandle{id: id, lost: l.lost, stop: func() { s.stopKeepAlive(id) }}, nil
}

// release implements registrar.
func (m *Mem) release(ctx context.Context, h leaseHandle) error {
	return m.revoke(ctx, h.id)
}

// revoke ends a lease now; a crashed handle cannot revoke anything.
func (m *Mem) revoke(ctx context.Context, id int64) error {
	s := m.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.crashed {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("registry: revoke lease %x: %w", id, err)
	}
	s.expireLocked(id)
	return nil
}

// Members implements Registry.
func (m *Mem) Members(ctx context.Context) ([]Member, int64, error) {
	s := m.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := m.usableLocked(ctx); err != nil {
		return nil, 0, err
	}
	return s.set.list(), s.rev, nil
}

// SetCordon implements Registry.
func (m *Mem) SetCordon(ctx context.Context, id string, cordoned bool) error {
	if err := ValidateID("member id", id); err != nil {
		return err
	}
	s := m.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := m.usableLocked(ctx); err != nil {
		return err
	}
	if _, ok := s.set.members[id]; cordoned && !ok {
		return fmt.Errorf("%w: cordon %s: not registered", ErrUnknownMember, id)
	}
	if s.set.cordoned[id] == cordoned {
		return nil
	}
	merged, changed := s.set.cordon(id, cordoned)
	rev := s.bumpLocked()
	if changed {
		s.appendLocked(memEntry{rev: rev, member: &MembersEvent{Kind: MemberPut, Member: merged, Revision: rev}})
	}
	return nil
}

// Plan implements Registry.
func (m *Mem) Plan(ctx context.Context) (PlanRecord, error) {
	s := m.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := m.usableLocked(ctx); err != nil {
		return PlanRecord{}, err
	}
	if s.plan.Epoch == 0 {
		return PlanRecord{}, ErrNoPlan
	}
	return clonePlan(s.plan), nil
}

// CASPlan implements Registry.
func (m *Mem) CASPlan(ctx context.Context, expectEpoch int64, data []byte) (PlanRecord, error) {
	if err := validatePlan(expectEpoch, data); err != nil {
		return PlanRecord{}, err
	}
	s := m.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := m.usableLocked(ctx); err != nil {
		return PlanRecord{}, err
	}
	if s.plan.Epoch != expectEpoch {
		return clonePlan(s.plan), fmt.Errorf("%w: expected epoch %d, current %d", ErrEpochConflict, expectEpoch, s.plan.Epoch)
	}
	rev := s.bumpLocked()
	s.plan = PlanRecord{Epoch: rev, Data: append([]byte(nil), data...)}
	rec := clonePlan(s.plan)
	s.appendLocked(memEntry{rev: rev, plan: &rec})
	return clonePlan(s.plan), nil
}

func clonePlan(p PlanRecord) PlanRecord {
	if p.Data != nil {
		p.Data = append([]byte(nil), p.Data...)
	}
	return p
}
