package registry

import (
	"context"
	"errors"
	"sync"
	"time"
)

// lifecycle tracks what a Registry must tear down on Close: registrations,
// leaderships and watch goroutines.
type lifecycle struct {
	ctx    context.Context // cancelled by Close (and by Mem.Crash)
	cancel context.CancelFunc

	mu       sync.Mutex
	closed   bool
	regs     map[*Registration]struct{}
	leads    map[*Leadership]struct{}
	watchers sync.WaitGroup
}

func newLifecycle() *lifecycle {
	ctx, cancel := context.WithCancel(context.Background())
	return &lifecycle{ctx: ctx, cancel: cancel,
		regs: map[*Registration]struct{}{}, leads: map[*Leadership]struct{}{}}
}

func (l *lifecycle) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

func (l *lifecycle) addReg(r *Registration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.regs[r] = struct{}{}
	return true
}

func (l *lifecycle) dropReg(r *Registration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.regs, r)
}

func (l *lifecycle) addLead(ld *Leadership) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.leads[ld] = struct{}{}
	return true
}

func (l *lifecycle) dropLead(ld *Leadership) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.leads, ld)
}

// watch returns a context that ends with ctx or with the registry, and
// registers a watch goroutine; call the returned func when it exits. ok is
// false when the registry is closed.
func (l *lifecycle) watch(ctx context.Context) (wctx context.Context, done func(), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, nil, false
	}
	l.watchers.Add(1)
	wctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(l.ctx, cancel)
	return wctx, func() { stop(); cancel(); l.watchers.Done() }, true
}

// closeAll closes registrations, resigns leaderships, ends watches. Only
// the first call does the work; later calls return nil.
func (l *lifecycle) closeAll(timeout time.Duration) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	regs, leads := l.regs, l.leads
	l.regs, l.leads = nil, nil
	l.mu.Unlock()

	var errs []error
	for r := range regs {
		errs = append(errs, r.Close())
	}
	for ld := range leads {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		errs = append(errs, ld.Resign(ctx))
		cancel()
	}
	l.cancel()
	l.watchers.Wait()
	return errors.Join(errs...)
}
