package coordinator

import (
	"context"
	"testing"

	pb "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
	"github.com/hymbaserve/hymbaserve/client"
)

// BenchmarkForwardStream is the cost of the standby's hop: a 32-token gRPC generation sent to
// the leader directly, and through a standby's gRPC server whose Backend is a Forwarder, both
// on loopback against a leader that answers at once.
func BenchmarkForwardStream(b *testing.B) {
	leaderAddr := serveGRPC(b, &fakeLeader{}, nil)
	fwd, err := NewForwarder(leaderAddr, ForwardOptions{From: "standby-1", Model: fakeModel})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fwd.Close() })
	standbyAddr := serveGRPC(b, fwd, nil)
	mt := uint32(32)
	req := &pb.GenerateRequest{Prompt: &pb.GenerateRequest_Text{Text: "tokens32"}, MaxTokens: &mt}
	for _, bc := range []struct{ name, addr string }{{"direct", leaderAddr}, {"via-standby", standbyAddr}} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := client.Dial(bc.addr)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			for b.Loop() {
				if res, err := c.Generate(context.Background(), req, nil); err != nil || len(res.IDs) != 32 {
					b.Fatalf("%d tokens, %v", len(res.IDs), err)
				}
			}
		})
	}
}
