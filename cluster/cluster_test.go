package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	v1 "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
	"github.com/hymbaserve/hymbaserve/client"
	"github.com/hymbaserve/hymbaserve/coordinator"
	"github.com/hymbaserve/hymbaserve/engine"
	"github.com/hymbaserve/hymbaserve/kvshare"
	"github.com/hymbaserve/hymbaserve/model"
	"github.com/hymbaserve/hymbaserve/pipeline"
	"github.com/hymbaserve/hymbaserve/shard"
	"github.com/hymbaserve/hymbaserve/transport"
	"github.com/hymbaserve/hymbaserve/wire"
)

const tinyDir = "../testdata/golden/tiny-hymba"

var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

// startDev starts a one-process cluster on the tiny golden checkpoint and waits until it serves.
func startDev(t *testing.T, opt DevOptions) (*Dev, *client.Client) {
	t.Helper()
	opt.Fast, opt.Dir, opt.Log = true, t.TempDir(), quiet
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := StartDev(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if err := d.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(d.Coordinator.Servers.GRPCAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return d, c
}

type goldenCase struct {
	Name               string `json:"name"`
	InputIDs           []int  `json:"input_ids"`
	GreedyContinuation []int  `json:"greedy_continuation"`
}

func goldenCases(t *testing.T) []goldenCase {
	b, err := os.ReadFile(tinyDir + "/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var gf struct{ Cases []goldenCase }
	if err := json.Unmarshal(b, &gf); err != nil {
		t.Fatal(err)
	}
	return gf.Cases
}

func localModel(t *testing.T) *model.Model {
	m, ck, err := model.Load(tinyDir, model.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ck.Close() })
	return m
}

// TestClusterGolden runs every golden case through pipelines of 1, 2 and 3 workers: the greedy
// tokens must be the official ones, and every step's logits bit-identical to one process.
func TestClusterGolden(t *testing.T) {
	cases := goldenCases(t)
	local := engine.NewLocal(localModel(t))
	for n := 1; n <= 3; n++ {
		t.Run(fmt.Sprintf("workers=%d", n), func(t *testing.T) {
			d, c := startDev(t, DevOptions{Workers: n, ModelDir: tinyDir, Plan: shard.Options{Stages: n, Replicas: 1}})
			if r, _ := d.Coordinator.Route(); r.Plan.Depth() != n {
				t.Fatalf("plan has %d stages, want %d", r.Plan.Depth(), n)
			}
			for _, gc := range cases {
				res, err := c.Generate(context.Background(), client.IDsRequest(gc.InputIDs, len(gc.GreedyContinuation)), nil)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(res.IDs, gc.GreedyContinuation) {
					t.Fatalf("%s: tokens %v, want %v", gc.Name, res.IDs, gc.GreedyContinuation)
				}
			}
			compareLogits(t, d, local, cases)
		})
	}
}

// compareLogits steps every golden case through the cluster with an executor of the test's own
// and through the local model, comparing the logits bit for bit.
func compareLogits(t *testing.T, d *Dev, local *engine.Local, cases []goldenCase) {
	ex := testExecutor(t, d)
	ctx := context.Background()
	for i, gc := range cases {
		id := uint64(1000 + i)
		segs := []engine.Seg{{Seq: id, Tokens: gc.InputIDs, LastPrompt: true}}
		for k := 0; k <= len(gc.GreedyContinuation); k++ {
			got, err := ex.Step(ctx, segs)
			if err != nil {
				t.Fatal(err)
			}
			want, err := local.Step(ctx, segs)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s step %d: cluster logits differ from one process", gc.Name, k)
			}
			if k < len(gc.GreedyContinuation) {
				segs = []engine.Seg{{Seq: id, Pos: segs[0].Pos + len(segs[0].Tokens), Tokens: gc.GreedyContinuation[k : k+1]}}
			}
		}
		ex.Release(id)
		local.Release(id)
	}
}

func prompt(n, seed int) []int {
	ids := []int{1}
	for i := 1; i < n; i++ {
		ids = append(ids, 3+(i*37+seed*101)%500)
	}
	return ids
}

// greedyLocal generates alone on one process, the reference for concurrent cluster runs.
func greedyLocal(t *testing.T, m *model.Model, ids []int, n int) []int {
	s := engine.NewScheduler(engine.NewLocal(m), nil, engine.Options{Vocab: m.Cfg.VocabSize, MaxContext: 4096, EOS: []int{m.Cfg.EosTokenID}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	res, err := s.Generate(ctx, &engine.Request{Prompt: ids, MaxTokens: n})
	if err != nil {
		t.Fatal(err)
	}
	return res.IDs
}

// concurrent runs one request per prompt at once and checks each against the request alone.
func concurrent(t *testing.T, c *client.Client, m *model.Model, lens []int, maxTokens int) {
	var wg sync.WaitGroup
	got := make([][]int, len(lens))
	errs := make([]error, len(lens))
	for i, n := range lens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.Generate(context.Background(), client.IDsRequest(prompt(n, i), maxTokens), nil)
			got[i], errs[i] = res.IDs, err
		}()
	}
	wg.Wait()
	for i, n := range lens {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if want := greedyLocal(t, m, prompt(n, i), maxTokens); !slices.Equal(got[i], want) {
			t.Fatalf("request %d (prompt %d tokens): cluster %v, alone %v", i, n, got[i], want)
		}
	}
}

// TestClusterConcurrent sends 16 requests of different lengths at once through 3 workers.
func TestClusterConcurrent(t *testing.T) {
	_, c := startDev(t, DevOptions{Workers: 3, ModelDir: tinyDir, Plan: shard.Options{Stages: 3, Replicas: 1}})
	lens := []int{1, 3, 5, 8, 11, 16, 17, 20, 23, 26, 29, 31, 34, 37, 40, 2}
	concurrent(t, c, localModel(t), lens, 10)
}

// TestClusterBF16KV runs a 2-stage pipeline whose workers keep bf16 K/V (--kv-cache-dtype
// bf16) with concurrent requests: each equals one process with bf16 K/V alone, and the workers
// hold half the K/V bytes.
func TestClusterBF16KV(t *testing.T) {
	d, c := startDev(t, DevOptions{Workers: 2, ModelDir: tinyDir, KVDType: kvshare.BF16, Plan: shard.Options{Stages: 2, Replicas: 1}})
	m, ck, err := model.Load(tinyDir, model.LoadOptions{KVDType: kvshare.BF16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ck.Close() })
	concurrent(t, c, m, []int{3, 17, 29, 40}, 8)
	for _, w := range d.Workers {
		if got := w.Status(); got.KVDType != "bf16" {
			t.Errorf("worker %s keeps %q K/V, want bf16", got.ID, got.KVDType)
		}
	}
}

// TestClusterReserveAhead: with --reserve-ahead and one worker's room for about two and a half
// whole sequences, eight concurrent requests reserve as they grow, and each equals its run
// alone. The short prompts (3 and 8 tokens) are admitted beside two longer ones on a small
// reservation and cannot all grow past the tiny model's 16-token window (where a sequence's
// room more than doubles), so sequences are preempted and recomputed.
func TestClusterReserveAhead(t *testing.T) {
	m := localModel(t)
	cfg, L := m.Cfg, m.Cfg.NumHiddenLayers
	room := coordinator.SeqBytes(cfg, kvshare.F32, 0, L, 70) * 5 / 2
	d, c := startDev(t, DevOptions{Workers: 1, ModelDir: tinyDir, ReserveAhead: 8,
		WorkerMem: m.WeightBytes() + coordinator.MetaBytes(cfg, kvshare.F32, 0, L) + room,
		Plan:      shard.Options{Stages: 1, MaxSeqs: 1, ContextLen: 64}})
	concurrent(t, c, m, []int{3, 8, 13, 18, 23, 28, 33, 38}, 32)
	if d.Coordinator.Preemptions() == 0 {
		t.Fatal("no sequence was preempted: the requests did not reserve as they grew")
	}
}

// TestPlanBudgetFallsBack: a worker that cannot hold the planner's default budget (64
// sequences) still gets a plan, for fewer sequences, and serves; requests equal their runs alone.
func TestPlanBudgetFallsBack(t *testing.T) {
	m := localModel(t)
	costs := shard.LayerCosts(m.Cfg, shard.Options{WeightBytes: 4, StateBytes: 4, MaxSeqs: 1, ContextLen: 64})
	var perSeq int64
	for _, c := range costs[:m.Cfg.NumHiddenLayers] {
		perSeq += c.StateBytesPerSeq
	}
	d, c := startDev(t, DevOptions{Workers: 1, ModelDir: tinyDir, WorkerMem: m.WeightBytes() + 4*perSeq,
		Plan: shard.Options{ContextLen: 64}})
	if r, ok := d.Coordinator.Route(); !ok || len(r.Plan.Replicas) != 1 {
		t.Fatalf("no plan for a worker holding a few sequences: %+v", r)
	}
	concurrent(t, c, m, []int{5, 20, 33}, 10)
}

// TestClusterReplicas plans 4 workers as 2 replicas of 2 stages: requests must spread over both
// replicas (every worker serves steps) and give the same tokens as alone.
func TestClusterReplicas(t *testing.T) {
	d, c := startDev(t, DevOptions{Workers: 4, ModelDir: tinyDir, Plan: shard.Options{Stages: 2, Replicas: 2}})
	r, _ := d.Coordinator.Route()
	if len(r.Plan.Replicas) != 2 || r.Plan.Depth() != 2 {
		t.Fatalf("plan: %d replicas of %d stages, want 2 of 2", len(r.Plan.Replicas), r.Plan.Depth())
	}
	concurrent(t, c, localModel(t), []int{4, 9, 16, 23, 30, 40, 7, 12}, 8)
	for _, w := range d.Workers {
		if st := w.Status(); st.Steps == 0 {
			t.Errorf("worker %s served no step: requests did not spread over both replicas", st.ID)
		}
	}
}

// TestWorkerSurvivesGarbage feeds a worker garbage and stale frames; it answers with error
// frames and keeps serving.
func TestWorkerSurvivesGarbage(t *testing.T) {
	d, c := startDev(t, DevOptions{Workers: 2, ModelDir: tinyDir, Plan: shard.Options{Stages: 2, Replicas: 1}})
	nc, err := nats.Connect(d.Endpoints.NATS)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	tr, err := transport.NewNATS(nc, transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	subj, err := transport.NewSubjects(d.Endpoints.Cluster)
	if err != nil {
		t.Fatal(err)
	}
	stale, _ := wire.AppendStep(nil, &wire.Step{Kind: wire.KindTokens, Epoch: 1, StepID: 9, DType: wire.I32, Rows: 1, Width: 1,
		I32: []int32{1}, Segments: []wire.Segment{{Seq: 77, Rows: 1, Flags: wire.SegFirst}}})
	for _, w := range d.Workers {
		subject, err := subj.Stage(w.Status().ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, junk := range [][]byte{nil, []byte("garbage"), make([]byte, 5000), stale} {
			if err := tr.Publish(context.Background(), subject, junk); err != nil {
				t.Fatal(err)
			}
		}
		if err := nc.Publish(subject, []byte("not even a chunk envelope")); err != nil {
			t.Fatal(err)
		}
	}
	res, err := c.Generate(context.Background(), client.IDsRequest([]int{1, 5, 6}, 5), nil)
	if err != nil || len(res.IDs) != 5 {
		t.Fatalf("after garbage frames: %v, %v", res.IDs, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, w := range d.Workers {
		for w.Status().Errors == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("worker %s reported no refused frame", w.Status().ID)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestLiveMigrationOfLayers drains a pipeline stage, then moves a stage to an unused worker,
// while requests decode: the layers' state (KV rows, conv and SSM state) moves to the workers
// of the new plan, every request gives the tokens it gives alone, and nothing is replayed.
func TestLiveMigrationOfLayers(t *testing.T) {
	d, c := startDev(t, DevOptions{Workers: 4, ModelDir: tinyDir, Plan: shard.Options{Stages: 2, Replicas: 1}})
	m := localModel(t)
	ops := map[string]func(r pipeline.Route) error{
		"drain": func(r pipeline.Route) error {
			_, err := d.Coordinator.Drain(context.Background(), &v1.DrainRequest{Worker: r.Plan.Replicas[0].Stages[0].Worker})
			return err
		},
		"move": func(r pipeline.Route) error {
			st := r.Plan.Replicas[0].Stages[1]
			_, err := d.Coordinator.Move(context.Background(), &v1.MoveRequest{LayerBegin: uint32(st.First), LayerEnd: uint32(st.Last), To: r.Plan.Unused[len(r.Plan.Unused)-1]}) // not the drained, cordoned one
			return err
		},
	}
	for _, name := range []string{"drain", "move"} {
		before, _ := d.Coordinator.Route()
		replays := d.Coordinator.Replays()
		underLoad(t, c, m, func() {
			if err := ops[name](before); err != nil {
				t.Fatal(err)
			}
		})
		after, _ := d.Coordinator.Route()
		if after.Epoch == before.Epoch || d.Coordinator.Replays() != replays {
			t.Fatalf("%s: plan unchanged or %d sequences replayed", name, d.Coordinator.Replays()-replays)
		}
		t.Logf("%s by live migration: %v → %v", name, stagesOf(before.Plan), stagesOf(after.Plan))
	}
}

// underLoad runs op while requests decode and checks every request against it run alone.
func underLoad(t *testing.T, c *client.Client, m *model.Model, op func()) {
	lens := []int{3, 9, 17, 25, 33, 40}
	var wg sync.WaitGroup
	got := make([][]int, len(lens))
	errs := make([]error, len(lens))
	started := make(chan struct{}, 1)
	for i, n := range lens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.Generate(context.Background(), client.IDsRequest(prompt(n, i), 60), func(*v1.GenerateResponse) {
				select {
				case started <- struct{}{}:
				default:
				}
			})
			got[i], errs[i] = res.IDs, err
		}()
	}
	<-started
	op()
	wg.Wait()
	for i, n := range lens {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if want := greedyLocal(t, m, prompt(n, i), 60); !slices.Equal(got[i], want) {
			t.Fatalf("request %d: %v, alone %v", i, got[i], want)
		}
	}
}

func stagesOf(p *shard.Plan) []string {
	var out []string
	for _, s := range p.Replicas[0].Stages {
		out = append(out, fmt.Sprintf("%s[%d,%d)", s.Worker, s.First, s.Last))
	}
	return out
}

// TestPrefixCache sends prompts sharing a prefix one after another through a 2-stage pipeline:
// later ones start from the first one's snapshot (fewer prompt tokens computed, counted), and
// every output equals a cold run alone.
func TestPrefixCache(t *testing.T) {
	d, c := startDev(t, DevOptions{Workers: 2, ModelDir: tinyDir, Plan: shard.Options{Stages: 2, Replicas: 1}})
	m := localModel(t)
	base := prompt(40, 3)
	variant := append(slices.Clone(base[:35]), 7, 8, 9, 10, 11)
	for i, p := range [][]int{base, variant, base, prompt(40, 4)} {
		res, err := c.Generate(context.Background(), client.IDsRequest(p, 20), nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := greedyLocal(t, m, p, 20); !slices.Equal(res.IDs, want) {
			t.Fatalf("request %d: %v, cold %v", i, res.IDs, want)
		}
	}
	if st := d.Coordinator.PrefixStats(); st.Hits != 2 || st.TokensSaved != 64 {
		t.Fatalf("prefix cache: %d hits saving %d tokens, want 2 hits saving 2×32", st.Hits, st.TokensSaved)
	}
}

// TestPrefixSnapshotsYieldToSequences gives one worker room for a long sequence and half a
// prefix snapshot more. A short request leaves a snapshot (a later request hits it); then a long
// request finds no room beside the snapshot, which is dropped for it rather than the request
// waiting or being refused. Every output equals a cold run alone.
func TestPrefixSnapshotsYieldToSequences(t *testing.T) {
	m := localModel(t)
	cfg, L := m.Cfg, m.Cfg.NumHiddenLayers
	short, long := coordinator.SeqBytes(cfg, kvshare.F32, 0, L, 41), coordinator.SeqBytes(cfg, kvshare.F32, 0, L, 140)
	snap := model.MaxSeqBytes(cfg, 0, L, 32)
	room := long + snap/2
	if short+snap > room {
		t.Fatalf("premise: a 41-token sequence (%d B) and a 32-token snapshot (%d B) must fit in %d B", short, snap, room)
	}
	d, c := startDev(t, DevOptions{Workers: 1, ModelDir: tinyDir, WorkerMem: m.WeightBytes() + coordinator.MetaBytes(cfg, kvshare.F32, 0, L) + room,
		Plan: shard.Options{Stages: 1, MaxSeqs: 1, ContextLen: 64}})
	base := prompt(40, 5)
	run := func(p []int, n int) {
		t.Helper()
		res, err := c.Generate(context.Background(), client.IDsRequest(p, n), nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := greedyLocal(t, m, p, n); !slices.Equal(res.IDs, want) {
			t.Fatalf("%d-token prompt: %v, cold %v", len(p), res.IDs, want)
		}
	}
	run(base, 1)
	run(append(slices.Clone(base[:36]), 9, 9, 9, 9), 1)
	if st := d.Coordinator.PrefixStats(); st.Hits != 1 || st.Evictions != 0 {
		t.Fatalf("after two short requests: %+v, want 1 hit and no eviction", st)
	}
	run(prompt(40, 6), 100)
	if st := d.Coordinator.PrefixStats(); st.Evictions < 1 {
		t.Fatalf("the long request ran beside a snapshot it had no room for: %+v", st)
	}
}
