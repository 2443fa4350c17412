package frontend

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	pb "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
	"google.golang.org/protobuf/proto"
)

// The benchmarks measure the servers' own cost per request of 32 tokens
// over the in-memory test backend: decoding, validation, response shaping
// and, for the stream, one event (or gRPC message) per token.

const benchTokens = 32

func BenchmarkHTTPCompletion(b *testing.B) {
	benchHTTP(b, `{"prompt":"Hello there","max_tokens":32}`)
}

func BenchmarkHTTPChatStream(b *testing.B) {
	benchHTTP(b, `{"messages":[{"role":"user","content":"Hello there"}],"max_tokens":32,"stream":true}`)
}

func benchHTTP(b *testing.B, body string) {
	h := NewHTTPHandler(newTestBackend(), HTTPConfig{Logger: quietLog})
	path := "/v1/completions"
	if strings.Contains(body, "messages") {
		path = "/v1/chat/completions"
	}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchTokens), "ns/token")
}

// BenchmarkGRPCGenerate streams over a real loopback connection.
func BenchmarkGRPCGenerate(b *testing.B) {
	c := startGRPC(b, newTestBackend(), GRPCConfig{Logger: quietLog})
	req := &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Text{Text: "Hello there"}, MaxTokens: proto.Uint32(benchTokens)}
	b.ReportAllocs()
	for b.Loop() {
		stream, err := c.inf.Generate(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := stream.Recv(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchTokens), "ns/token")
}
