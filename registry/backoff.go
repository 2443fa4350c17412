package registry

import (
	"fmt"
	"math"
	"time"
)

// Backoff is a capped exponential backoff with jitter. Attempt n (from 0)
// waits Initial*Multiplier^n, capped at Max, then shortened by a random
// fraction of up to Jitter, so that members that lost etcd together do not
// retry in step.
type Backoff struct {
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
	Jitter     float64 // 0..1
}

// DefaultBackoff returns 100 ms doubling up to 5 s with 50% jitter.
func DefaultBackoff() Backoff {
	return Backoff{Initial: 100 * time.Millisecond, Max: 5 * time.Second, Multiplier: 2, Jitter: 0.5}
}

// Validate names the first field out of range.
func (b Backoff) Validate() error {
	switch {
	case b.Initial <= 0:
		return fmt.Errorf("%w: Backoff.Initial %v must be positive", ErrInvalid, b.Initial)
	case b.Max < b.Initial:
		return fmt.Errorf("%w: Backoff.Max %v is below Initial %v", ErrInvalid, b.Max, b.Initial)
	case b.Multiplier < 1 || math.IsNaN(b.Multiplier) || math.IsInf(b.Multiplier, 0):
		return fmt.Errorf("%w: Backoff.Multiplier %v must be finite and at least 1", ErrInvalid, b.Multiplier)
	case b.Jitter < 0 || b.Jitter > 1 || math.IsNaN(b.Jitter):
		return fmt.Errorf("%w: Backoff.Jitter %v must be in [0, 1]", ErrInvalid, b.Jitter)
	}
	return nil
}

// Delay returns the wait before retry attempt n (n >= 0) given u, a uniform
// random number in [0, 1).
func (b Backoff) Delay(n int, u float64) time.Duration {
	d := float64(b.Initial) * math.Pow(b.Multiplier, float64(n))
	if d > float64(b.Max) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(b.Max)
	}
	return time.Duration(d * (1 - b.Jitter*u))
}
