package registry

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2, Jitter: 0.5}
	for _, tc := range []struct {
		n    int
		u    float64
		want time.Duration
	}{
		{0, 0, 100 * time.Millisecond},
		{1, 0, 200 * time.Millisecond},
		{3, 0, 800 * time.Millisecond},
		{4, 0, time.Second},              // capped
		{1000, 0, time.Second},           // no overflow
		{1, 0.5, 150 * time.Millisecond}, // jitter takes up to half off
		{4, 0.5, 750 * time.Millisecond},
	} {
		if got := b.Delay(tc.n, tc.u); got != tc.want {
			t.Errorf("Delay(%d, %v) = %v; want %v", tc.n, tc.u, got, tc.want)
		}
	}
}

func TestBackoffValidate(t *testing.T) {
	if err := DefaultBackoff().Validate(); err != nil {
		t.Fatalf("default backoff: %v", err)
	}
	good := DefaultBackoff()
	for name, mutate := range map[string]func(*Backoff){
		"Initial":    func(b *Backoff) { b.Initial = 0 },
		"Max":        func(b *Backoff) { b.Max = b.Initial / 2 },
		"Multiplier": func(b *Backoff) { b.Multiplier = 0.5 },
		"Jitter":     func(b *Backoff) { b.Jitter = math.NaN() },
	} {
		b := good
		mutate(&b)
		err := b.Validate()
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "Backoff."+name) {
			t.Errorf("bad %s: err = %v; want ErrInvalid naming Backoff.%s", name, err, name)
		}
	}
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want int64
	}{{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1500 * time.Millisecond, 2}, {10 * time.Second, 10}} {
		if got := ttlSeconds(tc.in); got != tc.want {
			t.Errorf("ttlSeconds(%v) = %d; want %d", tc.in, got, tc.want)
		}
	}
	o := Options{}.withDefaults()
	if o.TTL != 10*time.Second || o.Logger == nil || o.Backoff != DefaultBackoff() {
		t.Fatalf("defaults not applied: %+v", o)
	}
	if err := (Options{ElectionTTL: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "Options.ElectionTTL") {
		t.Fatalf("negative ElectionTTL: err = %v; want one naming Options.ElectionTTL", err)
	}
	if err := LocalTestOptions().Validate(); err != nil {
		t.Fatalf("LocalTestOptions: %v", err)
	}
}
