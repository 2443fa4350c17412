package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hymbaserve/hymbaserve/coordinator"
	"github.com/hymbaserve/hymbaserve/frontend"
	"github.com/hymbaserve/hymbaserve/internal/devstack"
	"github.com/hymbaserve/hymbaserve/kvshare"
	"github.com/hymbaserve/hymbaserve/model"
	"github.com/hymbaserve/hymbaserve/registry"
	"github.com/hymbaserve/hymbaserve/shard"
	"github.com/hymbaserve/hymbaserve/worker"
)

// DevOptions configure a one-process cluster.
type DevOptions struct {
	Dir          string             // data directory for etcd and JetStream; "" → a temporary one, removed on Close
	Workers      int                // in-process workers (default 2)
	ModelDir     string             // checkpoint directory; "" → the demo checkpoint
	Weights      model.TensorSource // in-memory weights of ModelConfig for every worker (benchmarks)
	ModelConfig  *model.Config
	WorkerModels bool   // workers read ModelDir themselves (default when ModelDir is set); else they fetch their layers from the Object Store
	GRPCAddr     string // default 127.0.0.1:0
	HTTPAddr     string // default 127.0.0.1:0
	Plan         shard.Options
	WorkerMem    int64 // memory each worker offers (default 8 GiB)
	Fast         bool  // short etcd ticks and TTLs, for tests
	// KVDType, ReserveAhead and MicroBatches are the coordinator's (coordinator.Config).
	KVDType      kvshare.DType
	ReserveAhead int
	MicroBatches int
	Log          *slog.Logger
	// APIKeys and TLS secure the coordinator's API servers as in ServeOptions. The embedded
	// etcd and NATS servers listen on loopback only, without TLS.
	APIKeys *frontend.KeySet
	TLS     *tls.Config
}

// Dev is a whole cluster in one process: real embedded etcd and NATS servers on loopback, and
// workers and a coordinator that each use their own clients, as separate processes would.
type Dev struct {
	Etcd        *devstack.Etcd
	NATS        *devstack.NATS
	Coordinator *Coordinator
	Endpoints   Endpoints
	Workers     []*worker.Worker
	cancel      context.CancelFunc
	wg          sync.WaitGroup
	tmp         string
	once        sync.Once
}

// StartDev starts the servers, the workers and the coordinator; WaitReady waits for the plan.
func StartDev(ctx context.Context, opt DevOptions) (*Dev, error) {
	opt = opt.withDefaults()
	d := &Dev{}
	if opt.Dir == "" {
		tmp, err := os.MkdirTemp("", "hymbaserve-dev-")
		if err != nil {
			return nil, err
		}
		opt.Dir, d.tmp = tmp, tmp
	}
	if err := d.startServers(opt); err != nil {
		d.Close()
		return nil, err
	}
	ctx, d.cancel = context.WithCancel(ctx)
	dial := dialOptions(opt)
	for i := range opt.Workers {
		if err := d.startWorker(ctx, i, opt, dial); err != nil {
			d.Close()
			return nil, err
		}
	}
	api := ServeOptions{GRPCAddr: opt.GRPCAddr, HTTPAddr: opt.HTTPAddr, Keys: opt.APIKeys, TLS: opt.TLS}
	co, err := StartCoordinator(ctx, d.Endpoints, coordinator.Config{ID: "coordinator-1", ModelDir: opt.ModelDir,
		ModelConfig: opt.ModelConfig, PublishWeights: !opt.WorkerModels && opt.Weights == nil, Plan: opt.Plan,
		KVDType: opt.KVDType, ReserveAhead: opt.ReserveAhead, MicroBatches: opt.MicroBatches, Log: opt.Log}, api, dial)
	if err != nil {
		d.Close()
		return nil, err
	}
	d.Coordinator = co
	return d, nil
}

func (o DevOptions) withDefaults() DevOptions {
	if o.ModelDir != "" {
		o.WorkerModels = true
	}
	if o.Workers == 0 {
		o.Workers = 2
	}
	if o.GRPCAddr == "" {
		o.GRPCAddr = "127.0.0.1:0"
	}
	if o.HTTPAddr == "" {
		o.HTTPAddr = "127.0.0.1:0"
	}
	if o.WorkerMem == 0 {
		o.WorkerMem = 8 << 30
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

func dialOptions(opt DevOptions) DialOptions {
	reg := registry.DefaultOptions()
	if opt.Fast {
		reg = registry.LocalTestOptions()
	}
	reg.Logger = opt.Log
	return DialOptions{Registry: reg, Log: opt.Log}
}

func (d *Dev) startServers(opt DevOptions) error {
	var err error
	if d.Etcd, err = devstack.StartEtcd(filepath.Join(opt.Dir, "etcd"), devstack.EtcdOptions{FastTicks: opt.Fast}); err != nil {
		return fmt.Errorf("embedded etcd: %w", err)
	}
	if d.NATS, err = devstack.StartNATS(filepath.Join(opt.Dir, "nats"), devstack.NATSOptions{}); err != nil {
		return fmt.Errorf("embedded nats: %w", err)
	}
	d.Endpoints = Endpoints{Etcd: d.Etcd.Endpoints(), NATS: d.NATS.ClientURL(), Cluster: "dev"}
	return nil
}

func (d *Dev) startWorker(ctx context.Context, i int, opt DevOptions, dial DialOptions) error {
	cl, err := Dial(ctx, d.Endpoints, dial)
	if err != nil {
		return err
	}
	cfg := worker.Config{ID: fmt.Sprintf("worker-%d", i+1), Cluster: d.Endpoints.Cluster,
		Capacity: registry.Capacity{MemBytes: opt.WorkerMem, Speed: 1}, Registry: cl.Registry,
		Transport: cl.Transport, JetStream: cl.JetStream, Log: opt.Log}
	if opt.WorkerModels {
		cfg.ModelDir = opt.ModelDir
	}
	cfg.Weights, cfg.ModelConfig = opt.Weights, opt.ModelConfig
	w := worker.New(cfg)
	d.Workers = append(d.Workers, w)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer cl.Close()
		if err := w.Run(ctx); err != nil && ctx.Err() == nil {
			opt.Log.Error("worker stopped", "worker", cfg.ID, "err", err)
		}
	}()
	return nil
}

// WaitReady waits until the coordinator serves a plan.
func (d *Dev) WaitReady(ctx context.Context) error {
	for !d.Coordinator.Ready() {
		select {
		case err := <-d.Coordinator.Done():
			return fmt.Errorf("coordinator stopped: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("cluster not ready: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// Close stops everything and removes a temporary data directory. Clients close before the
// servers (an embedded etcd waits for connected clients otherwise).
func (d *Dev) Close() {
	d.once.Do(func() {
		if d.Coordinator != nil {
			d.Coordinator.Close()
		}
		if d.cancel != nil {
			d.cancel()
		}
		d.wg.Wait()
		if d.NATS != nil {
			d.NATS.Close()
		}
		if d.Etcd != nil {
			d.Etcd.Close()
		}
		if d.tmp != "" {
			os.RemoveAll(d.tmp)
		}
	})
}
