package frontend

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// hangGuard bounds waits that only a bug would make long.
const hangGuard = 10 * time.Second

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(hangGuard):
		t.Fatalf("%s did not happen", what)
	}
}

// blockingRequest starts a completion against a backend that blocks after
// its first token, and returns the request's cancel function.
func blockingRequest(t *testing.T, b *testBackend, stream bool) (context.CancelFunc, <-chan *http.Response) {
	t.Helper()
	b.block = true
	srv := newHTTPServer(t, b, HTTPConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	body := `{"prompt":"x","max_tokens":8,"stream":false}`
	if stream {
		body = `{"prompt":"x","max_tokens":8,"stream":true}`
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan *http.Response, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err != nil {
			resp = nil // cancelled before the response headers
		}
		out <- resp
	}()
	return cancel, out
}

func TestClientDisconnectCancelsBackend(t *testing.T) {
	b := newTestBackend()
	cancel, out := blockingRequest(t, b, false)
	waitClosed(t, b.blocking, "backend start")
	cancel()
	waitClosed(t, b.cancelled, "backend context cancellation")
	if resp := <-out; resp != nil {
		resp.Body.Close()
		t.Errorf("got a response (%d) after cancelling", resp.StatusCode)
	}
}

func TestStreamDisconnectCancelsBackend(t *testing.T) {
	b := newTestBackend()
	cancel, out := blockingRequest(t, b, true)
	var resp *http.Response
	select {
	case resp = <-out:
	case <-time.After(hangGuard):
		t.Fatal("no response headers")
	}
	if resp == nil {
		t.Fatal("request failed")
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "data: {") {
		t.Fatalf("first stream line %q, %v", line, err)
	}
	cancel()
	waitClosed(t, b.cancelled, "backend context cancellation")
}
