package coordinator

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hymbaserve/hymbaserve/checkpoint"
	"github.com/hymbaserve/hymbaserve/demo"
	"github.com/hymbaserve/hymbaserve/engine"
	"github.com/hymbaserve/hymbaserve/gossip"
	"github.com/hymbaserve/hymbaserve/kvshare"
	"github.com/hymbaserve/hymbaserve/model"
	"github.com/hymbaserve/hymbaserve/pipeline"
	"github.com/hymbaserve/hymbaserve/registry"
	"github.com/hymbaserve/hymbaserve/shard"
	"github.com/hymbaserve/hymbaserve/tokenizer"
	"github.com/hymbaserve/hymbaserve/transport"
	"github.com/hymbaserve/hymbaserve/weightstore"
)

// Config configures a coordinator.
type Config struct {
	ID       string
	Cluster  string
	ModelDir string // Hugging Face model directory; "" → the demo checkpoint
	// ModelConfig serves a model known only by its config (token-id prompts, weights given to the
	// workers directly): benchmarks and tests.
	ModelConfig *model.Config
	Registry    registry.Registry
	Transport   transport.Transport
	JetStream   jetstream.JetStream // Object Store access, for PublishWeights
	// PublishWeights puts the weights into the Object Store, for workers without a model directory.
	PublishWeights bool
	Plan           shard.Options // planner options (stage/replica pins)
	MaxBatch       int           // sequences per step (engine default when 0)
	// MicroBatches is the number of scheduler lanes with a step in flight at once (0: the
	// pipeline depth, so every stage works; 1: one batch).
	MicroBatches int
	// ReserveAhead, when positive, reserves memory as sequences grow, ReserveAhead tokens at a
	// time, and preempts (then recomputes) a sequence that finds no room (engine.Options); 0
	// reserves each sequence's whole length at admission and never preempts.
	ReserveAhead int
	// KVDType is the type of every worker's K/V pages (vLLM's kv_cache_dtype): kvshare.F32,
	// the default and the exact one, or kvshare.BF16, half the K/V memory. It travels in the
	// plan document; the ledger counts with it.
	KVDType kvshare.DType
	Settle  time.Duration // wait after a membership change before planning (default 300ms)
	Gossip  gossip.Config // the memberlist ring (Name = ID; BindAddr "" → 127.0.0.1)
	// A plan for new capacity is applied by itself only when the planner estimates
	// RebalanceGain more throughput (default 0.1) and the plan in force is RebalanceInterval
	// old (default 10 s); a negative interval means never (operators run rebalance).
	RebalanceGain     float64
	RebalanceInterval time.Duration
	// AdvertiseGRPC is the gRPC address (host:port) other coordinators reach this one at: it is
	// registered with the coordinator's membership, and standbys forward their requests to the
	// leader's ("": none, standbys cannot forward to this coordinator).
	AdvertiseGRPC string
	// LeaderTLS, when not nil, is the TLS client configuration for forwarding to the leader
	// (the CA and name of the coordinators' server certificate); nil means plain text.
	LeaderTLS *tls.Config
	// FollowInterval is how often a standby reads the election's leader and checks its health
	// (default 1 s).
	FollowInterval time.Duration
	Log            *slog.Logger
}

// Coordinator plans the cluster and serves requests.
type Coordinator struct {
	cfg     Config
	log     *slog.Logger
	mcfg    *model.Config
	tok     *tokenizer.Tokenizer
	name    string
	src     model.TensorSource // weights to publish
	close   func()
	exec    *pipeline.Executor
	ledger  *ledger
	prefix  *prefixCache
	stats   counters
	warmUps atomic.Uint64
	subj    transport.Subjects
	sched   *engine.Scheduler
	follow  *follower // the leader, for a coordinator that does not serve

	planMu   sync.Mutex // serialises plan changes (the plan loop, operators)
	mu       sync.Mutex
	bucket   string           // Object Store bucket with the weights ("" when not published)
	weights  map[string]int64 // weight bytes each worker of the plan reported
	changed  time.Time        // when the plan in force was applied
	members  map[string]registry.Member
	suspects map[string]bool // workers gossip reports gone, excluded until they rejoin or etcd confirms
	wake     chan struct{}   // wakes the plan loop
	doc      *pipeline.PlanDoc
	epoch    int64
	ready    bool
}

// New loads the model's config and tokenizer (the weights stay on disk unless they are
// published to the Object Store).
func New(cfg Config) (*Coordinator, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Settle == 0 {
		cfg.Settle = 300 * time.Millisecond
	}
	if cfg.RebalanceGain == 0 {
		cfg.RebalanceGain = 0.1
	}
	if cfg.RebalanceInterval == 0 {
		cfg.RebalanceInterval = 10 * time.Second
	}
	if cfg.FollowInterval <= 0 {
		cfg.FollowInterval = time.Second
	}
	if err := ValidateAdvertise(cfg.AdvertiseGRPC); err != nil {
		return nil, fmt.Errorf("coordinator: %w", err)
	}
	c := &Coordinator{cfg: cfg, log: cfg.Log.With("coordinator", cfg.ID), members: map[string]registry.Member{}, weights: map[string]int64{},
		suspects: map[string]bool{}, wake: make(chan struct{}, 1), close: func() {}}
	c.follow = newFollower(c, cfg.FollowInterval)
	err := c.loadModel()
	if err != nil {
		return nil, err
	}
	if c.subj, err = transport.NewSubjects(cfg.Cluster); err != nil {
		c.close()
		return nil, err
	}
	exec, err := pipeline.NewExecutor(cfg.Transport, c.subj, cfg.ID, c.log)
	if err != nil {
		c.close()
		return nil, fmt.Errorf("coordinator: %w", err)
	}
	c.exec = exec
	c.ledger = newLedger(c.mcfg, cfg.KVDType, exec)
	c.prefix = newPrefixCache(c, 16, 64) // snapshots are charged to the ledger and yield to sequences
	c.ledger.evict = c.prefix.evictOn
	c.sched = engine.NewScheduler(exec, c.tok, engine.Options{
		Vocab: c.mcfg.VocabSize, MaxContext: c.mcfg.MaxTextTokens(), MaxBatch: cfg.MaxBatch, EOS: []int{c.mcfg.EosTokenID},
		Budget: c.ledger, MicroBatches: cfg.MicroBatches, Prefix: c.prefix, PageTokens: 16,
		ReserveAhead: cfg.ReserveAhead,
	})
	return c, nil
}

func (c *Coordinator) loadModel() error {
	if c.cfg.ModelConfig != nil {
		c.mcfg, c.name = c.cfg.ModelConfig, "in-memory"
		return nil
	}
	if c.cfg.ModelDir == "" {
		c.mcfg, c.name = demo.Config(), demo.Name
		tok, err := tokenizer.Parse(demo.TokenizerJSON())
		if err != nil {
			return err
		}
		c.tok = tok
		if c.cfg.PublishWeights {
			c.src = demo.Tensors()
		}
		return nil
	}
	cfg, err := model.LoadConfig(c.cfg.ModelDir)
	if err != nil {
		return err
	}
	tok, err := tokenizer.Load(filepath.Join(c.cfg.ModelDir, "tokenizer.json"))
	if errors.Is(err, fs.ErrNotExist) {
		c.log.Warn("the model directory has no tokenizer.json: serving token-id prompts only", "dir", c.cfg.ModelDir)
		tok, err = nil, nil
	}
	if err != nil {
		return err
	}
	c.mcfg, c.tok, c.name = cfg, tok, filepath.Base(filepath.Clean(c.cfg.ModelDir))
	if c.cfg.PublishWeights {
		ck, err := checkpoint.Open(c.cfg.ModelDir)
		if err != nil {
			return err
		}
		c.src, c.close = ck, func() { ck.Close() }
	}
	return nil
}

// Run campaigns for leadership, then plans and serves until ctx ends or leadership is lost.
func (c *Coordinator) Run(ctx context.Context) error {
	defer c.close()
	defer c.exec.Close()
	g, err := gossip.StartMember(c.cfg.Gossip, c.cfg.ID, c.log)
	if err != nil {
		return fmt.Errorf("coordinator %s: %w", c.cfg.ID, err)
	}
	defer g.Shutdown()
	reg, err := c.cfg.Registry.Register(ctx, registry.Member{ID: c.cfg.ID, Addr: c.cfg.AdvertiseGRPC, GossipAddr: g.LocalAddr(), Labels: map[string]string{"role": "coordinator"}})
	if err != nil {
		return fmt.Errorf("coordinator %s: register: %w", c.cfg.ID, err)
	}
	defer reg.Close()
	go gossip.KeepJoined(ctx, g, registry.GossipSeeds(c.cfg.Registry), c.log)
	go c.watchGossip(ctx, g)
	go c.watchDeposed(ctx)
	go c.follow.run(ctx)
	go c.sched.Run(ctx)
	for ctx.Err() == nil {
		if err := c.lead(ctx); err != nil {
			return err
		}
	}
	return nil
}

// lead campaigns for leadership and, once leading, plans until leadership is lost. Losing it
// (etcd unreachable, say) does not stop serving: the route in force stays until another
// coordinator's plan appears (watchDeposed). The coordinator then campaigns again.
func (c *Coordinator) lead(ctx context.Context) error {
	lead, err := c.cfg.Registry.Campaign(ctx, c.cfg.ID)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		c.log.Warn("campaign failed; retrying", "err", err)
		time.Sleep(time.Second)
		return nil
	}
	c.log.Info("leading")
	c.adoptRecord(ctx)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-lead.Done():
			c.log.Warn("leadership lost: serving on the plan in force, campaigning again")
			cancel()
		case <-lctx.Done():
		}
	}()
	if c.bucket == "" {
		if c.bucket, err = c.publish(lctx); err != nil {
			return err
		}
	}
	if err := c.planLoop(lctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// adoptRecord takes the plan in the registry as the one in force, so that a new leader keeps
// the previous leader's layer placement (replan rewrites it under this coordinator's name).
func (c *Coordinator) adoptRecord(ctx context.Context) {
	rec, err := c.cfg.Registry.Plan(ctx)
	if err != nil {
		return
	}
	doc, err := pipeline.ParsePlanDoc(rec.Data)
	if err != nil {
		c.log.Warn("the plan in the registry is unreadable; planning afresh", "err", err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.doc == nil || rec.Epoch > c.epoch {
		c.doc, c.epoch = doc, rec.Epoch
	}
}

// watchDeposed stops serving once another coordinator's plan is in the registry: the workers
// follow that plan, so this coordinator's route is gone.
func (c *Coordinator) watchDeposed(ctx context.Context) {
	for rec := range c.cfg.Registry.WatchPlan(ctx) {
		doc, err := pipeline.ParsePlanDoc(rec.Data)
		if err != nil || doc.Coordinator == c.cfg.ID {
			continue
		}
		c.mu.Lock()
		was := c.ready
		if rec.Epoch > c.epoch {
			c.ready, c.doc = false, nil
		}
		c.mu.Unlock()
		if was {
			c.log.Warn("another coordinator leads: not serving", "leader", doc.Coordinator, "epoch", rec.Epoch)
			c.exec.Stop("another coordinator leads (" + doc.Coordinator + ")")
		}
	}
}

// publish puts the weights into the Object Store for workers without a model directory.
func (c *Coordinator) publish(ctx context.Context) (string, error) {
	if !c.cfg.PublishWeights {
		return "", nil
	}
	if c.cfg.JetStream == nil {
		return "", errors.New("publishing weights needs JetStream")
	}
	bucket := "hymba-weights-" + c.cfg.Cluster
	t := time.Now()
	if _, err := weightstore.Publish(ctx, c.cfg.JetStream, bucket, c.mcfg, c.src, c.name); err != nil {
		return "", fmt.Errorf("publishing weights: %w", err)
	}
	c.log.Info("weights published", "bucket", bucket, "took", time.Since(t))
	return bucket, nil
}
