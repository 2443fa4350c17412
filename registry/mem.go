package registry

import (
	"context"
	"fmt"
	"log/slog"
)

// Mem is the in-memory Registry twin for unit tests. Handles made with
// Peer share one in-memory cluster, the way separate processes share an
// etcd cluster; each handle has its own leases, so Crash and ExpireLeases
// on one handle act like the death or the lease loss of one process.
//
// Leases behave like etcd's: a live handle keeps its leases alive, a
// crashed handle's leases expire after their TTL, and expiry deletes the
// member records and election candidacies they hold.
type Mem struct {
	store   *memStore
	opts    Options
	log     *slog.Logger
	life    *lifecycle
	crashed bool // guarded by store.mu
}

var _ Registry = (*Mem)(nil)

// NewMem returns a handle on a new in-memory cluster with
// LocalTestOptions (1 s TTLs, short backoff).
func NewMem() *Mem {
	m, err := NewMemWith(LocalTestOptions())
	if err != nil {
		panic(err) // LocalTestOptions are valid
	}
	return m
}

// NewMemWith is NewMem with explicit options.
func NewMemWith(opts Options) (*Mem, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	return &Mem{store: newMemStore(), opts: opts, log: opts.Logger.With("registry", "mem"), life: newLifecycle()}, nil
}

// Peer returns another handle on the same in-memory cluster, as a second
// process would see it.
func (m *Mem) Peer() *Mem {
	return &Mem{store: m.store, opts: m.opts, log: m.log, life: newLifecycle()}
}

// Crash simulates the death of this handle's process: its loops and
// watches stop, nothing is revoked, and its leases expire after their TTL.
// Later calls on the handle fail with ErrClosed; Close is still allowed.
func (m *Mem) Crash() {
	s := m.store
	s.mu.Lock()
	m.crashed = true
	for _, id := range s.ownedLocked(m) {
		s.stopKeepAliveLocked(id)
	}
	s.mu.Unlock()
	m.life.cancel()
}

// ExpireLeases makes every lease this handle holds expire now, as when
// the store lost them during an outage. Registrations re-register;
// leaderships end.
func (m *Mem) ExpireLeases() {
	s := m.store
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.ownedLocked(m) {
		s.expireLocked(id)
	}
}

// Compact drops the change history up to the current revision, so that
// watches from older revisions must re-list (etcd's compaction).
func (m *Mem) Compact() {
	s := m.store
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compacted = s.rev
	s.log = nil
}

// Close implements Registry.
func (m *Mem) Close() error { return m.life.closeAll(m.opts.RequestTimeout) }

// usableLocked returns ErrClosed for a closed or crashed handle.
func (m *Mem) usableLocked(ctx context.Context) error {
	if m.crashed || m.life.isClosed() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return nil
}
