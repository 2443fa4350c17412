package registry

import (
	"fmt"
	"log/slog"
	"time"
)

// Options tune a Registry. Zero fields take the DefaultOptions values.
type Options struct {
	// TTL is the member lease TTL: how long a member's key outlives its
	// process. etcd rounds it up to whole seconds (and raises it to the
	// server's minimum, about 1.5 election timeouts). Default 10 s.
	TTL time.Duration
	// ElectionTTL is the coordinator leadership lease TTL. Default 10 s.
	ElectionTTL time.Duration
	// RequestTimeout bounds each request that background loops and
	// Close make on their own. Default 5 s.
	RequestTimeout time.Duration
	// Backoff paces re-registration and watch restarts.
	Backoff Backoff
	// Logger receives state changes; default slog.Default().
	Logger *slog.Logger
}

// DefaultOptions returns production defaults.
func DefaultOptions() Options {
	return Options{
		TTL:            10 * time.Second,
		ElectionTTL:    10 * time.Second,
		RequestTimeout: 5 * time.Second,
		Backoff:        DefaultBackoff(),
	}
}

// LocalTestOptions returns short TTLs and backoffs for tests on loopback.
func LocalTestOptions() Options {
	return Options{
		TTL:            time.Second,
		ElectionTTL:    time.Second,
		RequestTimeout: 2 * time.Second,
		Backoff:        Backoff{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond, Multiplier: 2, Jitter: 0.5},
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.TTL == 0 {
		o.TTL = d.TTL
	}
	if o.ElectionTTL == 0 {
		o.ElectionTTL = d.ElectionTTL
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = d.RequestTimeout
	}
	if o.Backoff == (Backoff{}) {
		o.Backoff = d.Backoff
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Validate checks o after defaults are applied and names the field at fault.
func (o Options) Validate() error {
	o = o.withDefaults()
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"TTL", o.TTL}, {"ElectionTTL", o.ElectionTTL}, {"RequestTimeout", o.RequestTimeout}} {
		if f.v < 0 {
			return fmt.Errorf("%w: Options.%s %v is negative", ErrInvalid, f.name, f.v)
		}
	}
	return o.Backoff.Validate()
}

// ttlSeconds converts a TTL to etcd's whole seconds, rounding up.
func ttlSeconds(d time.Duration) int64 {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}
