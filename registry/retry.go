package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
)

// permanent reports errors that retrying cannot fix.
func permanent(err error) bool {
	return errors.Is(err, ErrClosed) || errors.Is(err, ErrInvalid)
}

// retry calls f with a per-attempt timeout until it succeeds, fails
// permanently, or ctx is done. The returned error wraps ctx's error and the
// last error that was not caused by ctx ending.
func retry(ctx context.Context, b Backoff, timeout time.Duration, log *slog.Logger, what string, f func(context.Context) error) error {
	var last error
	for n := 0; ; n++ {
		actx, cancel := context.WithTimeout(ctx, timeout)
		err := f(actx)
		cancel()
		if err == nil || permanent(err) {
			return err
		}
		if ctx.Err() == nil || last == nil {
			last = err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("registry: %s: %w (last attempt: %w)", what, ctx.Err(), last)
		}
		d := b.Delay(n, rand.Float64())
		log.Debug("registry retry", "op", what, "attempt", n+1, "wait", d, "err", err)
		if !sleep(ctx, d) {
			return fmt.Errorf("registry: %s: %w (last attempt: %w)", what, ctx.Err(), last)
		}
	}
}

// sleep waits d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// send delivers v on out unless ctx ends first.
func send[T any](ctx context.Context, out chan<- T, v T) bool {
	select {
	case out <- v:
		return true
	case <-ctx.Done():
		return false
	}
}
