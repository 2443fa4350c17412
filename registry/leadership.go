package registry

import (
	"context"
	"sync"
)

// Leadership is held by the winner of Campaign until it resigns or its
// lease is lost. A coordinator must stop acting as leader as soon as Done
// is closed, and may campaign again.
type Leadership struct {
	id      string
	lease   int64
	done    chan struct{}
	endOnce sync.Once

	resign     func(context.Context) error
	resignOnce sync.Once
	resignErr  error
	onEnd      func()
}

func newLeadership(id string, lease int64, resign func(context.Context) error) *Leadership {
	return &Leadership{id: id, lease: lease, done: make(chan struct{}), resign: resign}
}

// ID returns the candidate id that won.
func (l *Leadership) ID() string { return l.id }

// Lease returns the lease backing the leadership.
func (l *Leadership) Lease() int64 { return l.lease }

// Done is closed when leadership ends: Resign, lease loss, or Close of the
// registry.
func (l *Leadership) Done() <-chan struct{} { return l.done }

// Resign gives leadership up so that the next candidate wins at once. It is
// idempotent; after a lease loss it only reports what revoking returned.
func (l *Leadership) Resign(ctx context.Context) error {
	l.resignOnce.Do(func() {
		l.resignErr = l.resign(ctx)
		l.end()
	})
	return l.resignErr
}

func (l *Leadership) end() {
	l.endOnce.Do(func() {
		close(l.done)
		if l.onEnd != nil {
			l.onEnd()
		}
	})
}
