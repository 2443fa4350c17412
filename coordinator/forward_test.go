package coordinator

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	pb "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
	"github.com/hymbaserve/hymbaserve/frontend"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var fakeModel = frontend.ModelInfo{Name: "fake", ContextLength: 100, VocabSize: 1000, MaxTokens: 50}

// fakeLeader is a leader's Backend and Operator with scripted answers, chosen by the prompt.
type fakeLeader struct {
	next      chan struct{} // "stepwise": the 2nd token waits for it
	cancelled chan struct{} // "block": closed when the call's context ends
	calls     chan metadata.MD
}

func (b *fakeLeader) Model() frontend.ModelInfo { return fakeModel }

func (b *fakeLeader) Generate(ctx context.Context, req *frontend.Request, emit func(frontend.Chunk) error) (frontend.Result, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	select { // the tests read the first calls' metadata; the benchmark none
	case b.calls <- md:
	default:
	}
	switch req.Prompt {
	case "stepwise":
		if err := emit(frontend.Chunk{IDs: []int{7}, Text: "a"}); err != nil {
			return frontend.Result{}, err
		}
		select { // a forwarder that buffered the stream would never deliver the first token
		case <-b.next:
		case <-time.After(10 * time.Second):
			return frontend.Result{}, errors.New("the first token never reached the client")
		}
		if err := emit(frontend.Chunk{IDs: []int{8, 9}, Text: "bc"}); err != nil {
			return frontend.Result{}, err
		}
		return frontend.Result{FinishReason: frontend.FinishLength, PromptTokens: 4, CompletionTokens: 3}, nil
	case "block":
		emit(frontend.Chunk{IDs: []int{1}, Text: "x"})
		<-ctx.Done()
		close(b.cancelled)
		return frontend.Result{}, ctx.Err()
	case "tokens32":
		for i := range 32 {
			if err := emit(frontend.Chunk{IDs: []int{i}, Text: "t"}); err != nil {
				return frontend.Result{}, err
			}
		}
		return frontend.Result{FinishReason: frontend.FinishLength, PromptTokens: 1, CompletionTokens: 32}, nil
	case "long":
		return frontend.Result{}, frontend.Errorf(frontend.ErrContextLength, "max_tokens", "the prompt leaves no room")
	case "bad":
		return frontend.Result{}, frontend.Errorf(frontend.ErrInvalidRequest, "stop", "bad stop string")
	case "busy":
		return frontend.Result{}, frontend.Errorf(frontend.ErrOverloaded, "", "too many requests")
	case "down":
		return frontend.Result{}, frontend.Errorf(frontend.ErrUnavailable, "", "the cluster has no plan in force yet")
	}
	return frontend.Result{}, errors.New("secret internal detail")
}

func (b *fakeLeader) Tokenize(_ context.Context, text string, _ bool) ([]int, error) {
	return []int{len(text)}, nil
}

func (b *fakeLeader) Status(context.Context) (*frontend.Status, error) { return fakeStatus(), nil }

func fakeStatus() *frontend.Status {
	return &frontend.Status{Ready: true, Model: "fake", PlanEpoch: 42, PrefixHits: 3, KVCacheDType: "bf16", Preempted: 1,
		Workers: []frontend.WorkerStatus{{ID: "w1", State: frontend.WorkerReady,
			Stages: []frontend.StageAssignment{{Replica: 0, Stage: 1, LayerBegin: 2, LayerEnd: 5}},
			Memory: frontend.MemoryStats{TotalBytes: 100, UsedBytes: 60, WeightsBytes: 50, KVBytes: 10, PagesUsed: 2, PagesFree: 3, PageBytes: 4},
			Load:   frontend.LoadStats{ActiveSequences: 2}}}}
}

func (b *fakeLeader) GetPlan(context.Context, *pb.GetPlanRequest) (*pb.GetPlanResponse, error) {
	return &pb.GetPlanResponse{Current: &pb.Plan{Epoch: 42}}, nil
}
func (b *fakeLeader) Rebalance(context.Context, *pb.RebalanceRequest) (*pb.RebalanceResponse, error) {
	return nil, frontend.Errorf(frontend.ErrUnavailable, "", "no plan")
}
func (b *fakeLeader) Cordon(_ context.Context, r *pb.CordonRequest) (*pb.CordonResponse, error) {
	return nil, frontend.Errorf(frontend.ErrNotFound, "worker", "no worker %s", r.GetWorker())
}
func (b *fakeLeader) Drain(context.Context, *pb.DrainRequest) (*pb.DrainResponse, error) {
	return &pb.DrainResponse{PlanEpoch: 43}, nil
}
func (b *fakeLeader) Move(context.Context, *pb.MoveRequest) (*pb.MoveResponse, error) {
	return &pb.MoveResponse{}, nil
}

// startFakeLeader serves a fakeLeader over real gRPC on loopback, requiring API key "k1", and
// returns a Forwarder to it.
func startFakeLeader(t *testing.T) (*fakeLeader, *Forwarder) {
	b := &fakeLeader{next: make(chan struct{}), cancelled: make(chan struct{}), calls: make(chan metadata.MD, 16)}
	addr := serveGRPC(t, b, frontend.NewKeySet([]string{"k1"}))
	fwd, err := NewForwarder(addr, ForwardOptions{From: "standby-1", Model: fakeModel})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fwd.Close() })
	return b, fwd
}

// resolved is a request as the frontend hands it on: every default resolved.
func resolved(prompt string, maxTokens int) *frontend.Request {
	return &frontend.Request{Prompt: prompt, MaxTokens: maxTokens, TopP: 1, RepetitionPenalty: 1, ID: "r1"}
}

// serveGRPC serves b's gRPC API on loopback until the test ends and returns its address.
func serveGRPC(t testing.TB, b frontend.Backend, keys *frontend.KeySet) string {
	srv := frontend.NewGRPCServer(b, frontend.GRPCConfig{Keys: keys, Logger: quiet})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	return l.Addr().String()
}

// caller is the context of a call the standby's gRPC server received with API key k1.
func caller(ctx context.Context) context.Context {
	return metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", "Bearer k1"))
}

// TestForwardStream: tokens reach the caller one message at a time, the result comes back,
// and the leader sees the caller's key and the forwarding coordinator's id.
func TestForwardStream(t *testing.T) {
	b, fwd := startFakeLeader(t)
	var got []frontend.Chunk
	res, err := fwd.Generate(caller(context.Background()), resolved("stepwise", 3),
		func(c frontend.Chunk) error {
			if got = append(got, c); len(got) == 1 {
				close(b.next)
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	want := []frontend.Chunk{{IDs: []int{7}, Text: "a"}, {IDs: []int{8, 9}, Text: "bc"}}
	if !reflect.DeepEqual(got, want) || res != (frontend.Result{FinishReason: "length", PromptTokens: 4, CompletionTokens: 3}) {
		t.Fatalf("chunks %v result %+v, want %v and 4+3 tokens, length", got, res, want)
	}
	md := <-b.calls
	if a, f := md.Get("authorization"), md.Get(ForwardedByKey); len(a) != 1 || a[0] != "Bearer k1" || len(f) != 1 || f[0] != "standby-1" {
		t.Errorf("leader saw authorization %v, %s %v", a, ForwardedByKey, f)
	}
	ids, err := fwd.Tokenize(caller(context.Background()), "four", true)
	if err != nil || !reflect.DeepEqual(ids, []int{4}) {
		t.Errorf("Tokenize: %v %v", ids, err)
	}
	st, err := fwd.Status(caller(context.Background()))
	if err != nil || !reflect.DeepEqual(st, fakeStatus()) {
		t.Errorf("Status: %+v %v, want %+v", st, err, fakeStatus())
	}
	if p, err := fwd.GetPlan(caller(context.Background()), &pb.GetPlanRequest{}); err != nil || p.GetCurrent().GetEpoch() != 42 {
		t.Errorf("GetPlan: %v %v", p, err)
	}
}

// TestForwardErrors: the leader's errors keep their kind, field and code; a refused key and an
// unreachable leader are reported as what they are.
func TestForwardErrors(t *testing.T) {
	_, fwd := startFakeLeader(t)
	ctx := caller(context.Background())
	for _, tc := range []struct {
		prompt      string
		kind        error
		param, code string
	}{
		{"long", frontend.ErrContextLength, "max_tokens", "context_length_exceeded"},
		{"bad", frontend.ErrInvalidRequest, "stop", "invalid_request"},
		{"busy", frontend.ErrOverloaded, "", "overloaded"},
		{"down", frontend.ErrUnavailable, "", "unavailable"},
	} {
		_, err := fwd.Generate(ctx, resolved(tc.prompt, 1), func(frontend.Chunk) error { return nil })
		var fe *frontend.Error
		if !errors.Is(err, tc.kind) || !errors.As(err, &fe) || fe.Param != tc.param || fe.Code != tc.code {
			t.Errorf("%s: %#v, want kind %v, param %q, code %q", tc.prompt, err, tc.kind, tc.param, tc.code)
		}
	}
	_, err := fwd.Generate(ctx, resolved("crash", 1), func(frontend.Chunk) error { return nil })
	if err == nil || strings.Contains(err.Error(), "secret") || kindIn(err) {
		t.Errorf("internal error of the leader: %v, want an internal error without its detail", err)
	}
	if _, err := fwd.Cordon(ctx, &pb.CordonRequest{Worker: "w9"}); !errors.Is(err, frontend.ErrNotFound) {
		t.Errorf("Cordon: %v, want ErrNotFound", err)
	}
	if _, err := fwd.Status(context.Background()); err == nil || kindIn(err) || !strings.Contains(err.Error(), "Unauthenticated") {
		t.Errorf("a call without the key: %v, want the leader's refusal as an internal error", err)
	}
	dead, err := NewForwarder(closedAddr(t), ForwardOptions{From: "standby-1", Model: fakeModel})
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	if _, err := dead.Tokenize(ctx, "x", true); !errors.Is(err, frontend.ErrUnavailable) || !strings.Contains(err.Error(), dead.Addr()) {
		t.Errorf("unreachable leader: %v, want ErrUnavailable naming its address", err)
	}
}

// kindIn reports whether err is of a client-facing frontend kind.
func kindIn(err error) bool {
	for _, k := range []error{frontend.ErrInvalidRequest, frontend.ErrContextLength, frontend.ErrUnavailable,
		frontend.ErrOverloaded, frontend.ErrNotFound, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestForwardCancel: the caller's cancel, and a failing emit, end the leader's call.
func TestForwardCancel(t *testing.T) {
	for _, how := range []string{"cancel", "emit"} {
		b, fwd := startFakeLeader(t)
		ctx, cancel := context.WithCancel(caller(context.Background()))
		gone := errors.New("client gone")
		_, err := fwd.Generate(ctx, resolved("block", 5), func(frontend.Chunk) error {
			if how == "emit" {
				return gone
			}
			cancel()
			return nil
		})
		cancel()
		if want := map[string]error{"cancel": context.Canceled, "emit": gone}[how]; !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", how, err, want)
		}
		select {
		case <-b.cancelled:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the leader's call was not cancelled", how)
		}
	}
}

// TestForwardHTTP: a standby's OpenAI server over a Forwarder streams the leader's tokens as
// SSE, passes the caller's key on, and answers the leader's InvalidArgument with a 400.
func TestForwardHTTP(t *testing.T) {
	b, fwd := startFakeLeader(t)
	close(b.next)
	srv := httptest.NewServer(CarryAuthorization(frontend.NewHTTPHandler(fwd, frontend.HTTPConfig{Keys: frontend.NewKeySet([]string{"k1"}), Logger: quiet})))
	defer srv.Close()
	post := func(body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer k1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	code, body := post(`{"prompt":"stepwise","max_tokens":3,"stream":true}`)
	if code != http.StatusOK || !strings.Contains(body, `"text":"a"`) || !strings.Contains(body, `"text":"bc"`) ||
		!strings.Contains(body, `"finish_reason":"length"`) || !strings.HasSuffix(body, "data: [DONE]\n\n") {
		t.Errorf("SSE through the standby: %d %s", code, body)
	}
	if md := <-b.calls; len(md.Get("authorization")) != 1 || md.Get("authorization")[0] != "Bearer k1" {
		t.Errorf("leader saw authorization %v", md.Get("authorization"))
	}
	code, body = post(`{"prompt":"bad","max_tokens":3}`)
	if code != http.StatusBadRequest || !strings.Contains(body, `"param":"stop"`) {
		t.Errorf("leader's InvalidArgument through the standby: %d %s", code, body)
	}
}
