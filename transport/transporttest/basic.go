package transporttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/hymbaserve/hymbaserve/transport"
)

func testPublishSubscribe(t *testing.T, setup Setup) {
	e := newEnv(t, setup, nil)
	in := newInbox()
	mustSubscribe(t, e.B, "hymba.test.basic", in.handle)
	for i, n := range []int{0, 1, 6400} {
		want := payload(i, n)
		if err := e.A.Publish(context.Background(), "hymba.test.basic", want); err != nil {
			t.Fatalf("Publish %d bytes: %v", n, err)
		}
		m := in.next(t)
		if m.Subject != "hymba.test.basic" || m.Reply != "" {
			t.Fatalf("message subject %q reply %q", m.Subject, m.Reply)
		}
		sameBytes(t, fmt.Sprintf("%d-byte message", n), m.Data, want)
	}
	if got := e.A.MaxPayload(); got != e.maxPay {
		t.Errorf("MaxPayload = %d, want %d", got, e.maxPay)
	}
	e.noErrors(t)
}

// testOrder publishes a mix of one-chunk and many-chunk messages from one Transport; they
// must arrive in publish order, each whole.
func testOrder(t *testing.T, setup Setup) {
	e := newEnv(t, setup, func(o *transport.Options) { o.MaxPayload = 4096 })
	in := newInbox()
	mustSubscribe(t, e.B, "hymba.test.order", in.handle)
	const n = 300
	for i := range n {
		if err := e.A.Publish(context.Background(), "hymba.test.order", payload(i, orderSize(i))); err != nil {
			t.Fatalf("Publish %d: %v", i, err)
		}
	}
	for i := range n {
		sameBytes(t, fmt.Sprintf("message %d", i), in.next(t).Data, payload(i, orderSize(i)))
	}
	e.noErrors(t)
}

func orderSize(i int) int { return []int{10, 4000, 9000, 100, 20000}[i%5] }

func testLargeFrames(t *testing.T, setup Setup) {
	e := newEnv(t, setup, nil)
	in := newInbox()
	mustSubscribe(t, e.B, "hymba.test.large", in.handle)
	sizes := []int{MiB - 44, MiB - 43, MiB, 5 * MiB, 5*MiB + 12345}
	for i, n := range sizes {
		if err := e.A.Publish(context.Background(), "hymba.test.large", payload(i, n)); err != nil {
			t.Fatalf("Publish %d bytes with a %d-byte max payload: %v", n, e.maxPay, err)
		}
	}
	for i, n := range sizes {
		sameBytes(t, fmt.Sprintf("%d-byte frame", n), in.next(t).Data, payload(i, n))
	}
	e.noErrors(t)
}

// testConcurrentPublishers interleaves the chunks of many frames on one subject.
func testConcurrentPublishers(t *testing.T, setup Setup) {
	e := newEnv(t, setup, func(o *transport.Options) { o.MaxPayload = 1024 })
	got := make(chan []byte, 64)
	mustSubscribe(t, e.B, "hymba.test.conc", func(m transport.Msg) { got <- m.Data })
	const writers, each, size = 4, 8, 10000
	var wg sync.WaitGroup
	for w := range writers {
		pub := e.A
		if w%2 == 1 {
			pub = e.B
		}
		wg.Go(func() {
			for i := range each {
				if err := pub.Publish(context.Background(), "hymba.test.conc", payload(w*100+i, size)); err != nil {
					t.Errorf("writer %d: %v", w, err)
				}
			}
		})
	}
	wg.Wait()
	want := map[string]bool{}
	for w := range writers {
		for i := range each {
			want[string(payload(w*100+i, size))] = true
		}
	}
	for range writers * each {
		m := recv(t, got, "message")
		if !want[string(m)] {
			t.Fatal("a message arrived damaged or twice")
		}
		delete(want, string(m))
	}
	e.noErrors(t)
}

func testWildcards(t *testing.T, setup Setup) {
	e := newEnv(t, setup, nil)
	star, tail := newInbox(), newInbox()
	mustSubscribe(t, e.B, "hymba.test.wild.*", star.handle)
	mustSubscribe(t, e.B, "hymba.test.wild.>", tail.handle)
	for _, s := range []string{"hymba.test.wild.a", "hymba.test.wild.a.b", "hymba.test.other"} {
		if err := e.A.Publish(context.Background(), s, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if m := star.next(t); m.Subject != "hymba.test.wild.a" {
		t.Fatalf("* got %q", m.Subject)
	}
	if m := tail.next(t); m.Subject != "hymba.test.wild.a" {
		t.Fatalf("> got %q first", m.Subject)
	}
	if m := tail.next(t); m.Subject != "hymba.test.wild.a.b" || string(m.Data) != m.Subject {
		t.Fatalf("> got %q second", m.Subject)
	}
	star.empty(t)
	e.noErrors(t)
}

func testTooLarge(t *testing.T, setup Setup) {
	e := newEnv(t, setup, func(o *transport.Options) { o.MaxFrameBytes = 3 * MiB })
	if got := e.A.MaxFrameBytes(); got != 3*MiB {
		t.Fatalf("MaxFrameBytes = %d", got)
	}
	err := e.A.Publish(context.Background(), "hymba.test.big", make([]byte, 3*MiB+1))
	if !errors.Is(err, transport.ErrTooLarge) {
		t.Fatalf("Publish over MaxFrameBytes: %v, want ErrTooLarge", err)
	}
}

func testBadSubjects(t *testing.T, setup Setup) {
	e := newEnv(t, setup, nil)
	ctx := context.Background()
	for _, s := range []string{"", "a..b", ".a", "a.", "a b", "a.*", "a.>", "a.b*"} {
		if err := e.A.Publish(ctx, s, nil); !errors.Is(err, transport.ErrBadSubject) {
			t.Errorf("Publish(%q): %v, want ErrBadSubject", s, err)
		}
		if _, err := e.A.Request(ctx, s, nil); !errors.Is(err, transport.ErrBadSubject) {
			t.Errorf("Request(%q): %v, want ErrBadSubject", s, err)
		}
	}
	for _, s := range []string{"", "a.>.b", "a.b*", "a..b", "a\tb"} {
		if _, err := e.A.Subscribe(s, func(transport.Msg) {}); !errors.Is(err, transport.ErrBadSubject) {
			t.Errorf("Subscribe(%q): %v, want ErrBadSubject", s, err)
		}
	}
	if _, err := e.A.Subscribe("a.b", nil); err == nil {
		t.Error("Subscribe with a nil handler succeeded")
	}
}
