package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hymbaserve/hymbaserve/client"
	"github.com/hymbaserve/hymbaserve/demo"
	"github.com/hymbaserve/hymbaserve/engine"
	"github.com/hymbaserve/hymbaserve/internal/devstack"
	"github.com/hymbaserve/hymbaserve/model"
	"github.com/hymbaserve/hymbaserve/pipeline"
	"github.com/hymbaserve/hymbaserve/shard"
	"github.com/hymbaserve/hymbaserve/transport"
	"github.com/hymbaserve/hymbaserve/wire"
)

var benchModel = sync.OnceValues(func() (*model.Config, model.Tensors) {
	if testing.Short() {
		return demo.Config(), demo.Tensors()
	}
	cfg := model.Hymba15B()
	return cfg, model.RandomTensors(cfg, 1, true)
})

// BenchmarkPipelineDecode measures decode through a cluster of 1 and 3 workers (one replica) on
// the real Hymba-1.5B shape with random BF16 weights (-short: the demo model), at batch 1 and 8.
// The difference between 1 and 3 workers is the pipeline's overhead: 2 extra hops per step.
func BenchmarkPipelineDecode(b *testing.B) {
	cfg, src := benchModel()
	for _, workers := range []int{1, 3} {
		for _, batch := range []int{1, 8} {
			b.Run(fmt.Sprintf("workers=%d/batch=%d", workers, batch), func(b *testing.B) {
				benchDecode(b, cfg, src, workers, batch)
			})
		}
	}
}

func benchDecode(b *testing.B, cfg *model.Config, src model.Tensors, workers, batch int) {
	ctx := context.Background()
	d, err := StartDev(ctx, DevOptions{Workers: workers, Weights: src, ModelConfig: cfg, Fast: true, Dir: b.TempDir(),
		Log: quiet, WorkerMem: 64 << 30, Plan: shard.Options{Stages: workers, Replicas: 1}})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if err := d.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	ex := testExecutor(b, d)
	segs := make([]engine.Seg, batch)
	for i := range segs {
		segs[i] = engine.Seg{Seq: uint64(i + 1), Tokens: []int{1, 450 + i, 338, 263}, LastPrompt: true}
	}
	if _, err := ex.Step(ctx, segs); err != nil { // prefill (meta state computed once per stage)
		b.Fatal(err)
	}
	step := func() {
		for i := range segs {
			segs[i] = engine.Seg{Seq: segs[i].Seq, Pos: segs[i].Pos + len(segs[i].Tokens), Tokens: []int{29871 + i}}
		}
		if _, err := ex.Step(ctx, segs); err != nil {
			b.Fatal(err)
		}
	}
	step() // warm-up
	b.ResetTimer()
	t := time.Now()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(t).Seconds(), "tok/s")
}

// BenchmarkPipelineLanes measures generation through the coordinator's scheduler on a 3-stage
// pipeline (one replica) with 12 concurrent requests, with one lane (every step waits for the
// previous one to leave the last stage) and with 3 lanes (one per stage, each issuing its next
// step as soon as its last returns). On one machine every stage shares the same cores, so this
// shows the lanes' overhead more than their gain, which needs a machine per stage.
func BenchmarkPipelineLanes(b *testing.B) {
	cfg, src := benchModel()
	for _, lanes := range []int{1, 3} {
		b.Run(fmt.Sprintf("lanes=%d", lanes), func(b *testing.B) {
			ctx := context.Background()
			d, err := StartDev(ctx, DevOptions{Workers: 3, Weights: src, ModelConfig: cfg, Fast: true, Dir: b.TempDir(),
				Log: quiet, WorkerMem: 64 << 30, MicroBatches: lanes, Plan: shard.Options{Stages: 3, Replicas: 1}})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			if err := d.WaitReady(ctx); err != nil {
				b.Fatal(err)
			}
			c, err := client.Dial(d.Coordinator.Servers.GRPCAddr)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			const reqs, tokens = 12, 8
			t := time.Now()
			for range b.N {
				var wg sync.WaitGroup
				for i := range reqs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := c.Generate(ctx, client.IDsRequest([]int{1, 450 + i, 338, 263}, tokens), nil); err != nil {
							b.Error(err)
						}
					}()
				}
				wg.Wait()
			}
			b.ReportMetric(float64(b.N*reqs*tokens)/time.Since(t).Seconds(), "tok/s")
		})
	}
}

// testExecutor is an executor of the caller's own on the cluster's NATS, following the
// coordinator's route and sharing its subject (each ignores the other's step ids): it drives
// steps without the scheduler.
func testExecutor(tb testing.TB, d *Dev) *pipeline.Executor {
	nc, err := nats.Connect(d.Endpoints.NATS)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	tr, err := transport.NewNATS(nc, transport.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tr.Close() })
	subj, err := transport.NewSubjects(d.Endpoints.Cluster)
	if err != nil {
		tb.Fatal(err)
	}
	ex, err := pipeline.NewExecutor(tr, subj, d.Coordinator.ID(), quiet)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(ex.Close)
	route, _ := d.Coordinator.Route()
	ex.SetRoute(route)
	return ex
}

// BenchmarkHop measures one pipeline hop on loopback: a hidden-state frame of a batch-1 or
// batch-8 decode step (1600 float32 per row) encoded, published over NATS, received,
// reassembled and decoded by the next stage's subscriber. Reports p50 and p99 of the one-way
// latency (half of a round trip through an echoing subscriber).
func BenchmarkHop(b *testing.B) {
	ns, err := devstack.StartNATS(filepath.Join(b.TempDir(), "nats"), devstack.NATSOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Close()
	conn := func() transport.Transport {
		nc, err := nats.Connect(ns.ClientURL())
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(nc.Close)
		tr, err := transport.NewNATS(nc, transport.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return tr
	}
	a, z := conn(), conn()
	for _, rows := range []int{1, 8} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) { benchHop(b, a, z, rows) })
	}
}

func benchHop(b *testing.B, a, z transport.Transport, rows int) {
	ctx := context.Background()
	back := make(chan *wire.Step, 1)
	echo, err := z.Subscribe("hop.fwd", func(m transport.Msg) {
		st, err := wire.DecodeStep(m.Data)
		if err != nil {
			b.Error(err)
			return
		}
		buf, _ := wire.AppendStep(nil, st)
		z.Publish(ctx, "hop.back", buf)
	})
	if err != nil {
		b.Fatal(err)
	}
	defer echo.Unsubscribe()
	sub, err := a.Subscribe("hop.back", func(m transport.Msg) {
		st, err := wire.DecodeStep(m.Data)
		if err == nil {
			back <- st
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	st := &wire.Step{Kind: wire.KindHidden, Epoch: 1, DType: wire.F32, Rows: rows, Width: 1600, F32: make([]float32, rows*1600)}
	for i := range rows {
		st.Segments = append(st.Segments, wire.Segment{Seq: uint64(i + 1), Start: 9, Rows: 1})
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		st.StepID = uint64(i)
		t := time.Now()
		buf, _ := wire.AppendStep(nil, st)
		if err := a.Publish(ctx, "hop.fwd", buf); err != nil {
			b.Fatal(err)
		}
		<-back
		lat = append(lat, time.Since(t)/2)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
