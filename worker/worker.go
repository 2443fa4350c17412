package worker

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hymbaserve/hymbaserve/checkpoint"
	"github.com/hymbaserve/hymbaserve/gossip"
	"github.com/hymbaserve/hymbaserve/model"
	"github.com/hymbaserve/hymbaserve/pipeline"
	"github.com/hymbaserve/hymbaserve/registry"
	"github.com/hymbaserve/hymbaserve/shard"
	"github.com/hymbaserve/hymbaserve/transport"
	"github.com/hymbaserve/hymbaserve/weightstore"
)

// Config configures a worker.
type Config struct {
	ID       string
	Cluster  string
	ModelDir string // Hugging Face model directory; "" → fetch layers from the Object Store
	// Weights and ModelConfig give the weights in memory instead (benchmarks, tests).
	Weights     model.TensorSource
	ModelConfig *model.Config
	Capacity    registry.Capacity // what the worker offers the planner
	Labels      map[string]string // extra member labels
	Registry    registry.Registry // membership and plan
	Transport   transport.Transport
	JetStream   jetstream.JetStream // needed when ModelDir is ""
	// Gossip configures the memberlist ring the worker joins (Name is set to ID; the seeds are
	// the gossip addresses of the registered members). BindAddr "" → 127.0.0.1.
	Gossip gossip.Config
	Log    *slog.Logger
}

// Worker serves one pipeline stage at a time.
type Worker struct {
	cfg  Config
	subj transport.Subjects
	log  *slog.Logger

	run      sync.Mutex // serialises steps and stage swaps
	mu       sync.Mutex // guards the fields below (held briefly)
	stage    *pipeline.Stage
	prepared *pipeline.Stage   // the next plan's stage being filled (guarded by run)
	prepGen  uint64            // the migration it was prepared for (guarded by run)
	doc      *pipeline.PlanDoc // the plan in force
	plan     *shard.Plan
	coord    string // the coordinator that wrote the plan: results and errors go to it
	where    [2]int // replica, stage index in plan
	status   pipeline.WorkerStatus
	ck       *checkpoint.Checkpoint
	mcfg     *model.Config

	leave       context.CancelFunc // ends Run
	left        atomic.Bool        // Run ended because the coordinator asked
	steps, errs atomic.Uint64
	seqs        atomic.Int64
	stateBytes  atomic.Int64
}

// New returns a worker; Run starts it.
func New(cfg Config) *Worker {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Worker{cfg: cfg, log: cfg.Log.With("worker", cfg.ID)}
}

// Run registers the worker, serves its subjects and follows the plan until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	ctx, w.leave = context.WithCancel(ctx)
	defer w.leave()
	subj, err := transport.NewSubjects(w.cfg.Cluster)
	if err != nil {
		return fmt.Errorf("worker %s: %w", w.cfg.ID, err)
	}
	w.subj = subj
	stageSubj, err := subj.Stage(w.cfg.ID)
	if err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	ctlSubj, _ := subj.Control(w.cfg.ID)
	kvSubj, _ := subj.KV(w.cfg.ID)
	labels := map[string]string{"role": "worker"}
	for k, v := range w.cfg.Labels {
		labels[k] = v
	}
	g, err := gossip.StartMember(w.cfg.Gossip, w.cfg.ID, w.log)
	if err != nil {
		return fmt.Errorf("worker %s: %w", w.cfg.ID, err)
	}
	defer g.Shutdown()
	defer g.Leave(time.Second)
	reg, err := w.cfg.Registry.Register(ctx, registry.Member{ID: w.cfg.ID, Capacity: w.cfg.Capacity, Labels: labels, GossipAddr: g.LocalAddr()})
	if err != nil {
		return fmt.Errorf("worker %s: register: %w", w.cfg.ID, err)
	}
	defer reg.Close()
	go gossip.KeepJoined(ctx, g, registry.GossipSeeds(w.cfg.Registry), w.log)
	for subject, h := range map[string]transport.Handler{stageSubj: w.onStep, ctlSubj: w.onCtl, kvSubj: w.onImport} {
		sub, err := w.cfg.Transport.Subscribe(subject, h)
		if err != nil {
			return fmt.Errorf("worker %s: subscribe %s: %w", w.cfg.ID, subject, err)
		}
		defer sub.Unsubscribe()
	}
	defer w.closeCheckpoint()
	for rec := range w.cfg.Registry.WatchPlan(ctx) {
		w.apply(ctx, rec)
	}
	if w.left.Load() {
		return nil
	}
	return ctx.Err()
}

func (w *Worker) closeCheckpoint() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ck != nil {
		w.ck.Close()
	}
}

// apply adopts a new plan: it loads the worker's layers if they changed, else only moves its
// stage to the new epoch. Sequences keep their state only while the worker's replica is exactly
// the same (the coordinator's executor applies the same rule, pipeline.SameReplicas) and the
// same coordinator leads; otherwise their state is dropped and the coordinator replays them.
func (w *Worker) apply(ctx context.Context, rec registry.PlanRecord) {
	doc, err := pipeline.ParsePlanDoc(rec.Data)
	if err != nil {
		w.log.Error("plan ignored", "epoch", rec.Epoch, "err", err)
		return
	}
	epoch := uint64(rec.Epoch)
	r, s, ok := doc.Plan.Locate(w.cfg.ID)
	w.mu.Lock()
	cur, oldPlan, oldWhere, oldCoord := w.stage, w.plan, w.where, w.coord
	w.coord, w.doc = doc.Coordinator, doc
	w.mu.Unlock()
	w.run.Lock()
	prep := w.prepared
	w.prepared = nil
	w.run.Unlock()
	if !ok {
		w.setStage(nil, doc.Plan, [2]int{}, epoch, "")
		w.log.Info("not in the plan", "epoch", epoch)
		return
	}
	st := doc.Plan.Replicas[r].Stages[s]
	kv, _ := doc.KV() // checked by ParsePlanDoc
	if prep != nil && prep.M.First == st.First && prep.M.Last == st.Last && prep.M.KVDType() == kv && oldCoord == doc.Coordinator {
		// A migration prepared this stage: its sequences' state came with it.
		w.log.Info("serving the prepared stage", "epoch", epoch, "replica", r, "stage", s, "layers", fmt.Sprintf("[%d,%d)", st.First, st.Last))
		w.setStage(prep, doc.Plan, [2]int{r, s}, epoch, "")
		return
	}
	if cur != nil && cur.M.First == st.First && cur.M.Last == st.Last && cur.M.KVDType() == kv {
		if same, ok := pipeline.SameReplicas(oldPlan, doc.Plan)[oldWhere[0]]; !ok || same != r || oldCoord != doc.Coordinator {
			w.resetSeqs(cur)
		}
		w.setStage(cur, doc.Plan, [2]int{r, s}, epoch, "")
		return
	}
	m, err := w.load(ctx, doc, st.First, st.Last)
	if err != nil {
		w.log.Error("loading layers failed", "first", st.First, "last", st.Last, "err", err)
		w.setStage(nil, doc.Plan, [2]int{r, s}, epoch, err.Error())
		return
	}
	w.log.Info("serving", "epoch", epoch, "replica", r, "stage", s, "layers", fmt.Sprintf("[%d,%d)", st.First, st.Last))
	w.setStage(pipeline.NewStage(m, epoch), doc.Plan, [2]int{r, s}, epoch, "")
}

func (w *Worker) resetSeqs(st *pipeline.Stage) {
	w.run.Lock()
	defer w.run.Unlock()
	st.Reset()
}

func (w *Worker) setStage(st *pipeline.Stage, plan *shard.Plan, where [2]int, epoch uint64, loadErr string) {
	w.run.Lock()
	defer w.run.Unlock()
	var n int
	var bytes int64
	if st != nil {
		if st.Epoch != epoch {
			st.DropSnapshots()
		}
		st.Epoch = epoch
		n, bytes = st.Seqs()
	}
	w.seqs.Store(int64(n))
	w.stateBytes.Store(bytes)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stage, w.plan, w.where = st, plan, where
	w.status = pipeline.WorkerStatus{ID: w.cfg.ID, Epoch: epoch, Replica: where[0], Stage: where[1], LoadError: loadErr}
	if st != nil {
		w.status.Loaded, w.status.First, w.status.Last = true, st.M.First, st.M.Last
		w.status.WeightBytes, w.status.KVDType = st.M.WeightBytes(), st.M.KVDType().String()
	}
}

// load builds the model part for layers [first, last) from the model directory or the bucket,
// with the K/V page type the plan document asks for.
func (w *Worker) load(ctx context.Context, doc *pipeline.PlanDoc, first, last int) (*model.Model, error) {
	kv, err := doc.KV()
	if err != nil {
		return nil, err
	}
	opt := model.LoadOptions{First: first, Last: last, KVDType: kv}
	if w.cfg.Weights != nil {
		return model.New(w.cfg.ModelConfig, w.cfg.Weights, opt)
	}
	if w.cfg.ModelDir == "" {
		if w.cfg.JetStream == nil || doc.Bucket == "" {
			return nil, fmt.Errorf("no model directory, and no Object Store bucket to fetch layers from")
		}
		cfg, src, err := weightstore.Fetch(ctx, w.cfg.JetStream, doc.Bucket, first, last)
		if err != nil {
			return nil, err
		}
		return model.New(cfg, src, opt)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ck == nil {
		cfg, err := model.LoadConfig(w.cfg.ModelDir)
		if err != nil {
			return nil, err
		}
		ck, err := checkpoint.Open(w.cfg.ModelDir)
		if err != nil {
			return nil, err
		}
		w.ck, w.mcfg = ck, cfg
	}
	return model.New(w.mcfg, w.ck, opt)
}

// Status reports the worker's stage and load.
func (w *Worker) Status() pipeline.WorkerStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.status
	s.Seqs, s.StateBytes = int(w.seqs.Load()), w.stateBytes.Load()
	s.Steps, s.Errors = w.steps.Load(), w.errs.Load()
	if w.stage != nil {
		ps := w.stage.M.Pool().Stats()
		s.PagesUsed, s.PagesFree, s.PageBytes = ps.PagesUsed, ps.PagesFree, ps.PageBytes
	}
	return s
}

var ok = []byte(`{"ok":true}`)
