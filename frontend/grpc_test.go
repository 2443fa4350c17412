package frontend

import (
	"context"
	"errors"
	"io"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
)

type grpcClients struct {
	inf    pb.InferenceClient
	admin  pb.AdminClient
	health healthpb.HealthClient
	srv    *GRPCServer
}

// startGRPC serves b on 127.0.0.1:0 and dials it with a real client.
func startGRPC(t testing.TB, b Backend, cfg GRPCConfig) grpcClients {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLog
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewGRPCServer(b, cfg)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return grpcClients{pb.NewInferenceClient(conn), pb.NewAdminClient(conn), healthpb.NewHealthClient(conn), srv}
}

// collect reads a Generate stream to its end.
func collect(t *testing.T, c pb.InferenceClient, ctx context.Context, req *pb.GenerateRequest) ([]*pb.GenerateResponse, error) {
	t.Helper()
	stream, err := c.Generate(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []*pb.GenerateResponse
	for {
		msg, err := stream.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, msg)
	}
}

func TestGRPCGenerate(t *testing.T) {
	seed := uint64(9)
	tests := []struct {
		name string
		in   *pb.GenerateRequest
		want Request
	}{
		{"text", &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Text{Text: "Hi"}, MaxTokens: proto.Uint32(5),
			Temperature: proto.Float32(0), TopK: 3, TopP: proto.Float32(0.5), RepetitionPenalty: proto.Float32(1.2),
			Seed: &seed, Stop: []string{"zz"}, RequestId: "r-1"},
			Request{Prompt: "Hi", MaxTokens: 5, TopK: 3, TopP: 0.5, RepetitionPenalty: 1.2, Seed: &seed, Stop: []string{"zz"}, ID: "r-1"}},
		{"ids", &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Ids{Ids: &pb.TokenIds{Ids: []uint32{1, 2, 3}}}, MaxTokens: proto.Uint32(4), RequestId: "r-2"},
			Request{PromptIDs: []int{1, 2, 3}, MaxTokens: 4, Temperature: 1, TopP: 1, RepetitionPenalty: 1, ID: "r-2"}},
		{"chat", &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Chat{Chat: &pb.ChatMessages{Messages: []*pb.ChatMessage{
			{Role: "system", Content: "s"}, {Role: "user", Content: "u"}}}}, MaxTokens: proto.Uint32(3), RequestId: "r-3"},
			Request{Messages: []Message{{"system", "s"}, {"user", "u"}}, Chat: true, MaxTokens: 3, Temperature: 1, TopP: 1, RepetitionPenalty: 1, ID: "r-3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBackend()
			c := startGRPC(t, b, GRPCConfig{})
			msgs, err := collect(t, c.inf, context.Background(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			checkGenerated(t, msgs, tc.want.MaxTokens, tc.in.RequestId)
			if got := b.lastRequest(); !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("backend request\n got %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

// checkGenerated checks a stream of n tokens from the test backend: chunks
// carry the ids and text in order, the first the request id, only the last
// finish_reason and usage.
func checkGenerated(t *testing.T, msgs []*pb.GenerateResponse, n int, reqID string) {
	t.Helper()
	var text strings.Builder
	var ids []uint32
	for i, m := range msgs {
		last := i == len(msgs)-1
		if (m.FinishReason != "") != last || (m.Usage != nil) != last || (m.RequestId != "") != (i == 0) {
			t.Errorf("message %d of %d: %v", i, len(msgs), m)
		}
		text.WriteString(m.Text)
		ids = append(ids, m.TokenIds...)
	}
	if msgs[0].RequestId != reqID {
		t.Errorf("request id %q, want %q", msgs[0].RequestId, reqID)
	}
	last := msgs[len(msgs)-1]
	if text.String() != wordsText(n) || len(ids) != n || ids[0] != 100 || ids[n-1] != uint32(99+n) {
		t.Errorf("text %q ids %v, want %d words", text.String(), ids, n)
	}
	if last.FinishReason != "length" || last.Usage.CompletionTokens != uint32(n) ||
		last.Usage.TotalTokens != last.Usage.PromptTokens+uint32(n) || len(last.TokenIds) != 0 {
		t.Errorf("last message %v", last)
	}
}

func TestGRPCGenerateDefaultsAndID(t *testing.T) {
	b := newTestBackend()
	c := startGRPC(t, b, GRPCConfig{})
	msgs, err := collect(t, c.inf, context.Background(), &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Text{Text: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	got := b.lastRequest()
	if got.MaxTokens != b.info.MaxTokens || got.Temperature != 1 || got.TopP != 1 || got.RepetitionPenalty != 1 ||
		got.TopK != 0 || got.Seed != nil || !validRequestID(got.ID) || msgs[0].RequestId != got.ID {
		t.Errorf("defaults %+v, first message id %q", *got, msgs[0].RequestId)
	}
}

type grpcErrCase struct {
	name   string
	in     *pb.GenerateRequest
	genErr error
	code   codes.Code
	reason string
	field  string
}

func TestGRPCGenerateErrors(t *testing.T) {
	text := func(s string) *pb.GenerateRequest {
		return &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Text{Text: s}}
	}
	ids := func(v ...uint32) *pb.GenerateRequest {
		return &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Ids{Ids: &pb.TokenIds{Ids: v}}}
	}
	with := func(r *pb.GenerateRequest, f func(*pb.GenerateRequest)) *pb.GenerateRequest { f(r); return r }
	tests := []grpcErrCase{
		{"no prompt", &pb.GenerateRequest{}, nil, codes.InvalidArgument, "INVALID_REQUEST", "prompt"},
		{"empty ids", ids(), nil, codes.InvalidArgument, "INVALID_REQUEST", "prompt"},
		{"id beyond vocab", ids(1, 40000), nil, codes.InvalidArgument, "INVALID_REQUEST", "prompt"},
		{"ids beyond context", ids(make([]uint32, 64)...), nil, codes.InvalidArgument, "CONTEXT_LENGTH_EXCEEDED", "prompt"},
		{"text beyond context", text(strings.Repeat("a", 70)), nil, codes.InvalidArgument, "CONTEXT_LENGTH_EXCEEDED", "prompt"},
		{"empty chat", &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Chat{Chat: &pb.ChatMessages{}}}, nil, codes.InvalidArgument, "INVALID_REQUEST", "messages"},
		{"bad role", &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Chat{Chat: &pb.ChatMessages{Messages: []*pb.ChatMessage{{Role: "x"}}}}}, nil, codes.InvalidArgument, "INVALID_REQUEST", "messages[0].role"},
		{"max_tokens 0", with(text("x"), func(r *pb.GenerateRequest) { r.MaxTokens = proto.Uint32(0) }), nil, codes.InvalidArgument, "INVALID_REQUEST", "max_tokens"},
		{"max_tokens too large", with(text("x"), func(r *pb.GenerateRequest) { r.MaxTokens = proto.Uint32(1 << 31) }), nil, codes.InvalidArgument, "INVALID_REQUEST", "max_tokens"},
		{"negative temperature", with(text("x"), func(r *pb.GenerateRequest) { r.Temperature = proto.Float32(-1) }), nil, codes.InvalidArgument, "INVALID_REQUEST", "temperature"},
		{"top_p zero", with(text("x"), func(r *pb.GenerateRequest) { r.TopP = proto.Float32(0) }), nil, codes.InvalidArgument, "INVALID_REQUEST", "top_p"},
		{"bad request id", with(text("x"), func(r *pb.GenerateRequest) { r.RequestId = "a b" }), nil, codes.InvalidArgument, "INVALID_REQUEST", "request_id"},
		{"empty stop", with(text("x"), func(r *pb.GenerateRequest) { r.Stop = []string{""} }), nil, codes.InvalidArgument, "INVALID_REQUEST", "stop"},
		{"unavailable", text("x"), ErrUnavailable, codes.Unavailable, "UNAVAILABLE", ""},
		{"overloaded", text("x"), ErrOverloaded, codes.ResourceExhausted, "OVERLOADED", ""},
		{"not found", text("x"), ErrNotFound, codes.NotFound, "NOT_FOUND", ""},
		{"internal", text("x"), errors.New("secret detail"), codes.Internal, "INTERNAL_ERROR", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBackend()
			b.genErr = tc.genErr
			c := startGRPC(t, b, GRPCConfig{})
			msgs, err := collect(t, c.inf, context.Background(), tc.in)
			if len(msgs) != 0 {
				t.Errorf("got %d messages before the error", len(msgs))
			}
			checkStatus(t, err, tc)
		})
	}
}

// checkStatus asserts the code, ErrorInfo reason, BadRequest field and
// RetryInfo presence of a gRPC error.
func checkStatus(t *testing.T, err error, tc grpcErrCase) {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || st.Code() != tc.code {
		t.Fatalf("error %v, want code %v", err, tc.code)
	}
	var reason, field string
	retry := false
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			reason = d.Reason
		case *errdetails.BadRequest:
			field = d.FieldViolations[0].Field
		case *errdetails.RetryInfo:
			retry = true
		}
	}
	wantRetry := tc.code == codes.Unavailable || tc.code == codes.ResourceExhausted
	if reason != tc.reason || field != tc.field || retry != wantRetry {
		t.Errorf("details reason %q field %q retry %v; want %q %q %v", reason, field, retry, tc.reason, tc.field, wantRetry)
	}
	if tc.code == codes.Internal && st.Message() != "internal server error" {
		t.Errorf("internal error leaks %q", st.Message())
	}
}

func TestGRPCErrorAfterOutput(t *testing.T) {
	b := newTestBackend()
	b.genErr, b.errAfter = Errorf(ErrUnavailable, "", "worker w2 lost"), 3
	c := startGRPC(t, b, GRPCConfig{})
	msgs, err := collect(t, c.inf, context.Background(), &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Text{Text: "x"}})
	if len(msgs) != 3 || status.Code(err) != codes.Unavailable || status.Convert(err).Message() != "worker w2 lost" {
		t.Fatalf("%d messages, error %v; want 3 chunks then Unavailable", len(msgs), err)
	}
}

func TestGRPCCancelStopsBackend(t *testing.T) {
	b := newTestBackend()
	b.block = true
	c := startGRPC(t, b, GRPCConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := c.inf.Generate(ctx, &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Text{Text: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("first message: %v", err)
	}
	cancel()
	waitClosed(t, b.cancelled, "backend context cancellation")
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Errorf("after cancel: %v", err)
	}
}

func TestGRPCTokenize(t *testing.T) {
	c := startGRPC(t, newTestBackend(), GRPCConfig{})
	ctx := context.Background()
	res, err := c.inf.Tokenize(ctx, &pb.TokenizeRequest{Text: "ab"})
	if err != nil || !reflect.DeepEqual(res.TokenIds, []uint32{1, 'a' + 3, 'b' + 3}) {
		t.Fatalf("Tokenize default: %v %v", res, err)
	}
	res, err = c.inf.Tokenize(ctx, &pb.TokenizeRequest{Text: "ab", AddBos: proto.Bool(false)})
	if err != nil || !reflect.DeepEqual(res.TokenIds, []uint32{'a' + 3, 'b' + 3}) {
		t.Fatalf("Tokenize without BOS: %v %v", res, err)
	}
	b := newTestBackend()
	b.genErr = ErrUnavailable
	c = startGRPC(t, b, GRPCConfig{})
	if _, err := c.inf.Tokenize(ctx, &pb.TokenizeRequest{Text: "ab"}); status.Code(err) != codes.Unavailable {
		t.Errorf("Tokenize error %v", err)
	}
}

func TestGRPCStatus(t *testing.T) {
	seen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	b := newTestBackend()
	b.status = &Status{Ready: true, Model: "m", PlanEpoch: 42, Workers: []WorkerStatus{{
		ID: "w1", Address: "10.0.0.1:7000", State: WorkerDraining, LastSeen: seen,
		Stages: []StageAssignment{{Replica: 1, Stage: 0, LayerBegin: 0, LayerEnd: 16}},
		Memory: MemoryStats{TotalBytes: 100, UsedBytes: 60, WeightsBytes: 50, KVBytes: 10},
		Load:   LoadStats{ActiveSequences: 3, QueuedRequests: 1, TokensPerSecond: 12.5},
	}, {ID: "w2", State: WorkerState(99)}}}
	c := startGRPC(t, b, GRPCConfig{})
	got, err := c.admin.Status(context.Background(), &pb.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := &pb.StatusResponse{ModelName: "m", PlanEpoch: 42, Ready: true, Workers: []*pb.Worker{{
		Id: "w1", Address: "10.0.0.1:7000", State: pb.WorkerState_WORKER_STATE_DRAINING,
		Stages:   []*pb.StageAssignment{{Replica: 1, Stage: 0, LayerBegin: 0, LayerEnd: 16}},
		Memory:   &pb.Memory{TotalBytes: 100, UsedBytes: 60, WeightsBytes: 50, KvBytes: 10},
		Load:     &pb.Load{ActiveSequences: 3, QueuedRequests: 1, TokensPerSecond: 12.5},
		LastSeen: timestampOf(seen),
	}, {Id: "w2", State: pb.WorkerState_WORKER_STATE_UNSPECIFIED, Memory: &pb.Memory{}, Load: &pb.Load{}}}}
	if !proto.Equal(got, want) {
		t.Errorf("Status\n got %v\nwant %v", got, want)
	}
	b.status, b.statusErr = nil, ErrUnavailable
	if _, err := c.admin.Status(context.Background(), &pb.StatusRequest{}); status.Code(err) != codes.Unavailable {
		t.Errorf("Status error %v", err)
	}
}

func TestWorkerStatesMatchProto(t *testing.T) {
	for s := WorkerUnknown; s <= WorkerDown; s++ {
		name := pb.WorkerState(s).String()
		if want := "WORKER_STATE_" + strings.ToUpper(s.String()); name != want && !(s == WorkerUnknown && name == "WORKER_STATE_UNSPECIFIED") {
			t.Errorf("WorkerState %d is %q in Go and %q in the proto", s, s, name)
		}
	}
	if len(pb.WorkerState_name) != int(WorkerDown)+1 {
		t.Errorf("proto has %d worker states, Go %d", len(pb.WorkerState_name), WorkerDown+1)
	}
}

func TestGRPCHealthFollowsReadiness(t *testing.T) {
	b := newTestBackend()
	c := startGRPC(t, b, GRPCConfig{HealthInterval: 5 * time.Millisecond})
	services := []string{"", "hymbaserve.v1.Inference", "hymbaserve.v1.Admin"}
	waitHealth(t, c.health, services, healthpb.HealthCheckResponse_SERVING)
	b.setReady(false)
	waitHealth(t, c.health, services, healthpb.HealthCheckResponse_NOT_SERVING)
	b.setReady(true)
	waitHealth(t, c.health, services, healthpb.HealthCheckResponse_SERVING)
}

// waitHealth polls until every service reports want.
func waitHealth(t *testing.T, h healthpb.HealthClient, services []string, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for _, svc := range services {
		for {
			res, err := h.Check(context.Background(), &healthpb.HealthCheckRequest{Service: svc})
			if err == nil && res.Status == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("service %q: %v %v, want %v", svc, res, err, want)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}

func TestGRPCAPIKey(t *testing.T) {
	c := startGRPC(t, newTestBackend(), GRPCConfig{APIKeys: []string{"sekret"}, HealthInterval: 5 * time.Millisecond})
	req := &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Text{Text: "x"}, MaxTokens: proto.Uint32(1)}
	if _, err := collect(t, c.inf, context.Background(), req); status.Code(err) != codes.Unauthenticated {
		t.Errorf("Generate without key: %v", err)
	}
	bad := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer nope")
	if _, err := c.admin.Status(bad, &pb.StatusRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("Status with a wrong key: %v", err)
	}
	good := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer sekret")
	if _, err := collect(t, c.inf, good, req); err != nil {
		t.Errorf("Generate with key: %v", err)
	}
	waitHealth(t, c.health, []string{""}, healthpb.HealthCheckResponse_SERVING)
}

func TestGRPCPanicIsInternal(t *testing.T) {
	b := newTestBackend()
	b.panicMsg = "backend bug"
	c := startGRPC(t, b, GRPCConfig{})
	req := &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Text{Text: "x"}}
	if _, err := collect(t, c.inf, context.Background(), req); status.Code(err) != codes.Internal {
		t.Fatalf("panicking backend: %v", err)
	}
	if _, err := c.inf.Tokenize(context.Background(), &pb.TokenizeRequest{Text: "x"}); err != nil {
		t.Errorf("server unusable after a panic: %v", err)
	}
}

func timestampOf(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

func TestGRPCReflectionListsServices(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewGRPCServer(newTestBackend(), GRPCConfig{Logger: quietLog})
	go srv.Serve(lis)
	defer srv.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := reflectpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req := &reflectpb.ServerReflectionRequest{MessageRequest: &reflectpb.ServerReflectionRequest_ListServices{}}
	if err := stream.Send(req); err != nil {
		t.Fatal(err)
	}
	res, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range res.GetListServicesResponse().GetService() {
		names = append(names, s.Name)
	}
	for _, want := range []string{"hymbaserve.v1.Inference", "hymbaserve.v1.Admin", "grpc.health.v1.Health"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, missing %s", names, want)
		}
	}
}
