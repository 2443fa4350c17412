package transporttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/hymbaserve/hymbaserve/transport"
)

// echo answers every request on subject with "re:" + the request.
func echo(t *testing.T, tr transport.Transport, subject string) {
	mustSubscribe(t, tr, subject, func(m transport.Msg) {
		if m.Reply == "" {
			t.Errorf("request on %s arrived without a reply subject", m.Subject)
			return
		}
		if err := tr.Publish(context.Background(), m.Reply, append([]byte("re:"), m.Data...)); err != nil {
			t.Errorf("answering on %s: %v", m.Reply, err)
		}
	})
}

func testRequestReply(t *testing.T, setup Setup) {
	e := newEnv(t, setup, nil)
	echo(t, e.B, "hymba.test.svc")
	ctx, cancel := context.WithTimeout(context.Background(), hangTimeout)
	defer cancel()
	for i, n := range []int{0, 5, 2*MiB + 3} {
		req := payload(i, n)
		got, err := e.A.Request(ctx, "hymba.test.svc", req)
		if err != nil {
			t.Fatalf("Request of %d bytes: %v", n, err)
		}
		sameBytes(t, fmt.Sprintf("answer to %d bytes", n), got, append([]byte("re:"), req...))
	}
	e.noErrors(t)
}

func testRequestConcurrent(t *testing.T, setup Setup) {
	e := newEnv(t, setup, nil)
	echo(t, e.B, "hymba.test.svc")
	ctx, cancel := context.WithTimeout(context.Background(), hangTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 5 {
				req := payload(g*10+i, 100+g*i)
				got, err := e.A.Request(ctx, "hymba.test.svc", req)
				if err != nil {
					t.Errorf("request %d/%d: %v", g, i, err)
					return
				}
				if string(got) != "re:"+string(req) {
					t.Errorf("request %d/%d got another request's answer", g, i)
				}
			}
		})
	}
	wg.Wait()
}

func testNoResponders(t *testing.T, setup Setup) {
	e := newEnv(t, setup, nil)
	ctx, cancel := context.WithTimeout(context.Background(), hangTimeout)
	defer cancel()
	if _, err := e.A.Request(ctx, "hymba.test.nobody", []byte("anyone?")); !errors.Is(err, transport.ErrNoResponders) {
		t.Fatalf("Request with no subscriber: %v, want ErrNoResponders", err)
	}
}

// testRequestCancelled cancels the request's context from the responder, which never answers.
func testRequestCancelled(t *testing.T, setup Setup) {
	e := newEnv(t, setup, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mustSubscribe(t, e.B, "hymba.test.silent", func(transport.Msg) { cancel() })
	if _, err := e.A.Request(ctx, "hymba.test.silent", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Request: %v, want context.Canceled", err)
	}
}
