package transporttest

import (
	"context"
	"errors"
	"testing"

	"github.com/hymbaserve/hymbaserve/transport"
)

func testUnsubscribe(t *testing.T, setup Setup) {
	e := newEnv(t, setup, nil)
	ctx := context.Background()
	const subj = "hymba.test.unsub"
	gone, kept := newInbox(), newInbox()
	s := mustSubscribe(t, e.B, subj, gone.handle)
	mustSubscribe(t, e.B, subj, kept.handle)
	if s.Subject() != subj {
		t.Fatalf("Subject() = %q", s.Subject())
	}
	if err := e.A.Publish(ctx, subj, []byte("both")); err != nil {
		t.Fatal(err)
	}
	gone.next(t)
	kept.next(t)
	if err := s.Unsubscribe(); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	if err := s.Unsubscribe(); err != nil {
		t.Fatalf("second Unsubscribe: %v", err)
	}
	for i := range 20 {
		if err := e.A.Publish(ctx, subj, payload(i, 3000)); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		kept.next(t)
	}
	gone.empty(t)

	// A handler may end its own subscription.
	self := make(chan transport.Subscription, 1)
	done := make(chan error, 1)
	sub := mustSubscribe(t, e.B, subj+".self", func(transport.Msg) { done <- (<-self).Unsubscribe() })
	self <- sub
	if err := e.A.Publish(ctx, subj+".self", nil); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, done, "self-unsubscribe"); err != nil {
		t.Fatalf("Unsubscribe from the handler: %v", err)
	}
}

func testClose(t *testing.T, setup Setup) {
	e := newEnv(t, setup, nil)
	ctx := context.Background()
	seen := make(chan struct{}, 1)
	mustSubscribe(t, e.B, "hymba.test.close.svc", func(transport.Msg) { seen <- struct{}{} }) // never answers
	errc := make(chan error, 1)
	go func() {
		_, err := e.A.Request(ctx, "hymba.test.close.svc", nil)
		errc <- err
	}()
	recv(t, seen, "request")
	if err := e.A.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := recv(t, errc, "request result"); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("Request pending at Close: %v, want ErrClosed", err)
	}
	if err := e.A.Publish(ctx, "hymba.test.close", nil); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("Publish after Close: %v", err)
	}
	if _, err := e.A.Subscribe("hymba.test.close", func(transport.Msg) {}); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
	if _, err := e.A.Request(ctx, "hymba.test.close.svc", nil); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("Request after Close: %v", err)
	}
	if err := e.A.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := e.B.Close(); err != nil {
		t.Errorf("closing B: %v", err)
	}
	if err := e.B.Publish(ctx, "hymba.test.close", nil); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("B.Publish after Close: %v", err)
	}
}
