package registry

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// RegState is the state of a Registration.
type RegState int

const (
	// RegActive: the member key is present under a live lease.
	RegActive RegState = iota + 1
	// RegLost: the lease was lost; the registration is re-registering
	// with backoff. The process keeps serving meanwhile.
	RegLost
	// RegClosed: Close was called, or the registry's client was closed;
	// the registration will not re-register.
	RegClosed
)

func (s RegState) String() string {
	switch s {
	case RegActive:
		return "active"
	case RegLost:
		return "lost"
	case RegClosed:
		return "closed"
	}
	return "unknown"
}

// RegChange reports one state change of a Registration.
type RegChange struct {
	State RegState
	Lease int64 // lease holding the member key; 0 unless RegActive
	Err   error // why the lease was lost or the registration closed
	At    time.Time
}

// changeBuffer is how many unread changes a Registration keeps; older ones
// are dropped first (State always tells the current one).
const changeBuffer = 16

// leaseHandle is one granted lease kept alive by a backend.
type leaseHandle struct {
	id   int64
	lost <-chan struct{} // closed when the lease is no longer kept alive
	stop func()          // stops keeping it alive, without revoking
}

// registrar is what a backend gives the shared registration loop.
type registrar interface {
	// acquire writes m under a new lease. The key may be overwritten when
	// absent or held by lease prev (this registration's previous lease);
	// otherwise it fails with ErrMemberExists.
	acquire(ctx context.Context, m Member, prev int64) (leaseHandle, error)
	// release stops h's keepalive and revokes it, deleting the key.
	release(ctx context.Context, h leaseHandle) error
}

// Registration keeps one member registered. It is created by
// Registry.Register and is safe for concurrent use.
type Registration struct {
	member  Member
	backend registrar
	opts    Options
	log     *slog.Logger
	onClose func()

	mu      sync.Mutex
	state   RegState
	lease   leaseHandle
	changes chan RegChange

	cancel    context.CancelFunc
	loopDone  chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// register performs the first registration (retrying until ctx is done) and
// starts the keeper loop under parent, the registry's lifetime.
func register(ctx, parent context.Context, b registrar, m Member, opts Options) (*Registration, error) {
	if m.StartedAt.IsZero() {
		m.StartedAt = time.Now().UTC()
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	r := &Registration{member: m, backend: b, opts: opts, log: opts.Logger.With("member", m.ID),
		changes: make(chan RegChange, changeBuffer), loopDone: make(chan struct{})}
	h, err := r.acquire(ctx, 0)
	if err != nil {
		return nil, err
	}
	r.lease = h
	r.setState(RegActive, h.id, nil)
	lctx, cancel := context.WithCancel(parent)
	r.cancel = cancel
	go r.run(lctx)
	return r, nil
}

func (r *Registration) acquire(ctx context.Context, prev int64) (leaseHandle, error) {
	var h leaseHandle
	err := retry(ctx, r.opts.Backoff, r.opts.RequestTimeout, r.log, "register "+r.member.ID,
		func(actx context.Context) error {
			var err error
			h, err = r.backend.acquire(actx, r.member, prev)
			return err
		})
	return h, err
}

// run re-registers after every lease loss until ctx ends or the backend is
// closed for good.
func (r *Registration) run(ctx context.Context) {
	defer close(r.loopDone)
	for {
		r.mu.Lock()
		h := r.lease
		r.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-h.lost:
		}
		h.stop()
		r.mu.Lock()
		r.lease = leaseHandle{}
		r.mu.Unlock()
		r.setState(RegLost, 0, ErrLeaseLost)
		r.log.Warn("registry: member lease lost; re-registering", "lease", h.id)
		nh, err := r.acquire(ctx, h.id)
		if err != nil {
			if ctx.Err() == nil {
				r.setState(RegClosed, 0, err)
				r.log.Error("registry: member cannot re-register", "err", err)
			}
			return
		}
		r.mu.Lock()
		r.lease = nh
		r.mu.Unlock()
		r.setState(RegActive, nh.id, nil)
		r.log.Info("registry: member re-registered", "lease", nh.id)
	}
}

// setState records and publishes a state change; when the buffer is full
// the oldest unread change is dropped.
func (r *Registration) setState(s RegState, lease int64, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == RegClosed {
		return
	}
	r.state = s
	c := RegChange{State: s, Lease: lease, Err: err, At: time.Now()}
	for {
		select {
		case r.changes <- c:
			if s == RegClosed {
				close(r.changes)
			}
			return
		default:
			select {
			case <-r.changes:
			default:
			}
		}
	}
}

// ID returns the registered member's ID.
func (r *Registration) ID() string { return r.member.ID }

// Member returns the member record as registered.
func (r *Registration) Member() Member { return cloneMember(r.member) }

// State returns the current state.
func (r *Registration) State() RegState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// Lease returns the lease now holding the member key, or 0 when none does.
func (r *Registration) Lease() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lease.id
}

// Changes returns state changes, starting with RegActive from the first
// registration. It is closed after the RegClosed change.
func (r *Registration) Changes() <-chan RegChange { return r.changes }

// Close stops re-registering and revokes the lease, which deletes the
// member key at once. If the store is unreachable the key expires after
// its TTL instead and the error says so. Close is idempotent.
func (r *Registration) Close() error {
	r.closeOnce.Do(func() {
		if r.cancel != nil {
			r.cancel()
			<-r.loopDone
		}
		r.mu.Lock()
		h := r.lease
		r.lease = leaseHandle{}
		r.mu.Unlock()
		if h.id != 0 {
			ctx, cancel := context.WithTimeout(context.Background(), r.opts.RequestTimeout)
			r.closeErr = r.backend.release(ctx, h)
			cancel()
			if errors.Is(r.closeErr, ErrClosed) {
				r.closeErr = nil // nothing left to revoke through
			}
		}
		r.setState(RegClosed, 0, nil)
		if r.onClose != nil {
			r.onClose()
		}
	})
	return r.closeErr
}
