package transport_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hymbaserve/hymbaserve/transport"
	"github.com/hymbaserve/hymbaserve/transport/natstest"
	"github.com/nats-io/nats.go"
)

// Benchmarks over a real NATS server on loopback (and the in-memory bus for reference):
// round trip of an 8 KiB frame, about a batch-1 decode hop, with p50/p99 latencies, and
// throughput of 1 MB and 5 MiB frames.

func natsPair(b *testing.B) (a, c transport.Transport) {
	srv := natstest.RunServer(b, natstest.Config{})
	var err error
	if a, err = transport.NewNATS(natstest.Connect(b, srv), transport.Options{}); err != nil {
		b.Fatal(err)
	}
	if c, err = transport.NewNATS(natstest.Connect(b, srv), transport.Options{}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Close(); c.Close() })
	return a, c
}

func memPair(b *testing.B) (a, c transport.Transport) {
	bus := transport.NewBus(0)
	a, _ = transport.NewMem(bus, transport.Options{})
	c, _ = transport.NewMem(bus, transport.Options{})
	b.Cleanup(func() { a.Close(); c.Close() })
	return a, c
}

func BenchmarkRoundTrip8KiB(b *testing.B) {
	for _, tc := range []struct {
		name string
		pair func(*testing.B) (transport.Transport, transport.Transport)
	}{{"nats", natsPair}, {"mem", memPair}} {
		b.Run(tc.name, func(b *testing.B) {
			a, c := tc.pair(b)
			ctx := context.Background()
			if _, err := c.Subscribe("bench.echo", func(m transport.Msg) { _ = c.Publish(ctx, m.Reply, m.Data) }); err != nil {
				b.Fatal(err)
			}
			frame := make([]byte, 8<<10)
			var lat []time.Duration
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				t0 := time.Now()
				if _, err := a.Request(ctx, "bench.echo", frame); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			reportPercentiles(b, lat)
		})
	}
}

// BenchmarkRoundTrip8KiBRawNATS is the baseline: nats.go request/reply with no transport.
func BenchmarkRoundTrip8KiBRawNATS(b *testing.B) {
	srv := natstest.RunServer(b, natstest.Config{})
	nca, ncb := natstest.Connect(b, srv), natstest.Connect(b, srv)
	if _, err := ncb.Subscribe("bench.echo", func(m *nats.Msg) { _ = m.Respond(m.Data) }); err != nil {
		b.Fatal(err)
	}
	if err := ncb.Flush(); err != nil {
		b.Fatal(err)
	}
	frame := make([]byte, 8<<10)
	var lat []time.Duration
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		t0 := time.Now()
		if _, err := nca.Request("bench.echo", frame, 10*time.Second); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// BenchmarkThroughput streams frames from one Transport to another, at most 16 in flight.
func BenchmarkThroughput(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1MB", 1_000_000}, {"5MiB", 5 << 20}} {
		b.Run("nats-"+size.name, func(b *testing.B) {
			a, c := natsPair(b)
			got := make(chan int, 1024)
			if _, err := c.Subscribe("bench.stream", func(m transport.Msg) { got <- len(m.Data) }); err != nil {
				b.Fatal(err)
			}
			frame := make([]byte, size.n)
			b.SetBytes(int64(size.n))
			sent, recv := 0, 0
			for b.Loop() {
				if sent-recv >= 16 {
					recv += waitFrame(b, got, size.n)
				}
				if err := a.Publish(context.Background(), "bench.stream", frame); err != nil {
					b.Fatal(err)
				}
				sent++
			}
			for recv < sent {
				recv += waitFrame(b, got, size.n)
			}
		})
	}
}

func waitFrame(b *testing.B, got <-chan int, want int) int {
	select {
	case n := <-got:
		if n != want {
			b.Fatalf("received %d bytes, want %d", n, want)
		}
		return 1
	case <-time.After(30 * time.Second):
		b.Fatal("frame lost")
		return 0
	}
}
