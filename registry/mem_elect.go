package registry

import (
	"context"
	"errors"
	"fmt"
)

// Campaign implements Registry: candidates queue in arrival order and the
// oldest live one leads, as with etcd's election recipe.
func (m *Mem) Campaign(ctx context.Context, id string) (*Leadership, error) {
	if err := ValidateID("candidate id", id); err != nil {
		return nil, err
	}
	s := m.store
	s.mu.Lock()
	if err := m.usableLocked(ctx); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	l := s.grantLocked(m, m.opts.ElectionTTL)
	s.cands = append(s.cands, memCand{id: id, lease: l.id})
	s.bumpLocked()
	s.mu.Unlock()

	if err := m.awaitLead(ctx, l); err != nil {
		return nil, fmt.Errorf("registry: campaign %s: %w", id, err)
	}
	ld := newLeadership(id, l.id, func(ctx context.Context) error {
		if err := m.revoke(ctx, l.id); !errors.Is(err, ErrClosed) {
			return err
		}
		return nil // a crashed handle's lease runs out on its own
	})
	ld.onEnd = func() { m.life.dropLead(ld) }
	if !m.life.addLead(ld) {
		_ = m.revoke(context.Background(), l.id)
		return nil, ErrClosed
	}
	go func() {
		select {
		case <-l.lost:
			ld.end()
		case <-ld.done:
		}
	}()
	return ld, nil
}

// awaitLead waits until lease l's candidacy is first in the queue.
func (m *Mem) awaitLead(ctx context.Context, l *memLease) error {
	s := m.store
	for {
		s.mu.Lock()
		_, alive := s.leases[l.id]
		first := alive && s.cands[0].lease == l.id
		wake := s.changed
		s.mu.Unlock()
		if !alive {
			return ErrLeaseLost
		}
		if first {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			_ = m.revoke(context.Background(), l.id)
			return ctx.Err()
		case <-m.life.ctx.Done():
			return ErrClosed
		}
	}
}

// Leader implements Registry.
func (m *Mem) Leader(ctx context.Context) (string, error) {
	s := m.store
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := m.usableLocked(ctx); err != nil {
		return "", err
	}
	if len(s.cands) == 0 {
		return "", ErrNoLeader
	}
	return s.cands[0].id, nil
}
