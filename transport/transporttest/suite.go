package transporttest

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hymbaserve/hymbaserve/transport"
)

// Pair is two Transports on one network, built by a Setup for one test.
type Pair struct {
	A, B transport.Transport
	// Raw publishes one network message as is, bypassing the chunk envelope, the way a
	// foreign or broken publisher would. It must share A's connection, so that its messages
	// and A's reach a subscriber in the order they were sent.
	Raw func(subject string, data []byte) error
}

// Setup builds a Pair whose Transports both use opts (add only what the network needs). The
// network must carry messages of at least opts.MaxPayload bytes. The Setup registers the
// cleanup of what it starts; the suite closes A and B itself.
type Setup func(t *testing.T, opts transport.Options) Pair

// MiB is the network message size the suite asks for: the NATS default max_payload.
const MiB = 1 << 20

// hangTimeout turns a lost message into a test failure instead of a hang.
const hangTimeout = 20 * time.Second

// Run runs the conformance suite against the Transports setup builds.
func Run(t *testing.T, setup Setup) {
	tests := []struct {
		name string
		fn   func(t *testing.T, setup Setup)
	}{
		{"PublishSubscribe", testPublishSubscribe},
		{"OrderPerPublisher", testOrder},
		{"LargeFrames", testLargeFrames},
		{"ConcurrentPublishers", testConcurrentPublishers},
		{"Wildcards", testWildcards},
		{"TooLarge", testTooLarge},
		{"BadSubjects", testBadSubjects},
		{"GarbledChunks", testGarbledChunks},
		{"StaleIncompleteFrame", testStaleIncompleteFrame},
		{"SlowConsumer", testSlowConsumer},
		{"RequestReply", testRequestReply},
		{"RequestConcurrent", testRequestConcurrent},
		{"NoResponders", testNoResponders},
		{"RequestCancelled", testRequestCancelled},
		{"Unsubscribe", testUnsubscribe},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, setup) })
	}
}

// env is one test's pair plus what the suite observes of it.
type env struct {
	Pair
	clock  *fakeClock
	errs   chan reported
	maxPay int
}

type reported struct {
	subject string
	err     error
}

// newEnv builds a pair with a fake clock and an error recorder; edit adjusts the options.
func newEnv(t *testing.T, setup Setup, edit func(*transport.Options)) *env {
	t.Helper()
	e := &env{clock: newFakeClock(), errs: make(chan reported, 1024)}
	opts := transport.Options{
		MaxPayload: MiB,
		Now:        e.clock.now,
		OnError: func(subject string, err error) {
			select {
			case e.errs <- reported{subject, err}:
			default:
				t.Errorf("more than %d errors reported; latest on %s: %v", cap(e.errs), subject, err)
			}
		},
	}
	if edit != nil {
		edit(&opts)
	}
	e.Pair = setup(t, opts)
	e.maxPay = opts.MaxPayload
	t.Cleanup(func() {
		if err := e.A.Close(); err != nil {
			t.Errorf("closing A: %v", err)
		}
		if err := e.B.Close(); err != nil {
			t.Errorf("closing B: %v", err)
		}
	})
	return e
}

// nextError waits for the next reported error.
func (e *env) nextError(t *testing.T) reported {
	t.Helper()
	return recv(t, e.errs, "error report")
}

// noErrors fails if an error has been reported.
func (e *env) noErrors(t *testing.T) {
	t.Helper()
	select {
	case r := <-e.errs:
		t.Fatalf("unexpected error on %s: %v", r.subject, r.err)
	default:
	}
}

// inbox collects a subscription's messages.
type inbox struct{ ch chan transport.Msg }

func newInbox() *inbox { return &inbox{ch: make(chan transport.Msg, 4096)} }

func (in *inbox) handle(m transport.Msg) { in.ch <- m }

func (in *inbox) next(t *testing.T) transport.Msg {
	t.Helper()
	return recv(t, in.ch, "message")
}

// recv waits for the next value on ch.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangTimeout):
		t.Fatalf("no %s within %v", what, hangTimeout)
		var zero T
		return zero
	}
}

func (in *inbox) empty(t *testing.T) {
	t.Helper()
	select {
	case m := <-in.ch:
		t.Fatalf("unexpected message on %s (%d bytes)", m.Subject, len(m.Data))
	default:
	}
}

func mustSubscribe(t *testing.T, tr transport.Transport, subject string, h transport.Handler) transport.Subscription {
	t.Helper()
	s, err := tr.Subscribe(subject, h)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", subject, err)
	}
	return s
}

// payload is n deterministic bytes that differ with tag.
func payload(tag, n int) []byte {
	b := make([]byte, n)
	x := uint32(tag)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func sameBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: got %d bytes, want %d (equal: false)", what, len(got), len(want))
	}
}

// fakeClock is the injected clock that ages incomplete frames; safe for concurrent use.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Unix(1_700_000_000, 0).UnixNano())
	return c
}

func (c *fakeClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// gate blocks handlers until opened.
type gate struct {
	once sync.Once
	ch   chan struct{}
}

func newGate() *gate  { return &gate{ch: make(chan struct{})} }
func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }
func (g *gate) wait() { <-g.ch }
