// Command coordinator runs a hymbaserve coordinator: it plans the model's layers over the
// registered workers and serves the gRPC and OpenAI-compatible HTTP APIs. With --dev it also
// starts an embedded etcd, an embedded NATS server with JetStream and --workers workers in the
// same process: a whole cluster from one command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hymbaserve/hymbaserve/cluster"
	"github.com/hymbaserve/hymbaserve/coordinator"
	"github.com/hymbaserve/hymbaserve/kvshare"
	"github.com/hymbaserve/hymbaserve/registry"
	"github.com/hymbaserve/hymbaserve/shard"
)

type options struct {
	dev                        bool
	workers                    int
	id, cluster, etcd, nats    string
	model, dataDir             string
	grpcAddr, httpAddr         string
	advertiseGRPC              string
	leaderCA, leaderName       string
	publish                    bool
	stages, replicas, maxBatch int
	microBatches, reserveAhead int
	planSeqs, planContext      int
	kvDType                    string
	kv                         kvshare.DType
	logLevel                   string
	gossip, gossipAdvertise    string
	electionTTL, leaseTTL      time.Duration
	rebalanceInterval          time.Duration
	apiKeysFile                string
	tlsCert, tlsKey            string
	etcdTLS, natsTLS           *cluster.TLSFiles
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "coordinator:", err)
		os.Exit(1)
	}
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("coordinator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.dev, "dev", false, "start embedded etcd and NATS and --workers workers in this process")
	fs.IntVar(&o.workers, "workers", 2, "workers to start with --dev")
	fs.StringVar(&o.id, "id", hostnameOr("coordinator"), "coordinator id (unique among coordinators)")
	fs.StringVar(&o.cluster, "cluster", "default", "cluster name (scopes etcd keys and NATS subjects)")
	fs.StringVar(&o.etcd, "etcd", "http://127.0.0.1:2379", "etcd endpoints, comma-separated (ignored with --dev)")
	fs.StringVar(&o.nats, "nats", "nats://127.0.0.1:4222", "NATS URL (ignored with --dev)")
	fs.StringVar(&o.model, "model", "", "Hugging Face model directory; default: the demo checkpoint (random weights)")
	fs.StringVar(&o.dataDir, "data", "", "with --dev: data directory for etcd and JetStream (default: a temporary one)")
	fs.StringVar(&o.grpcAddr, "grpc", "127.0.0.1:7070", "gRPC listen address")
	fs.StringVar(&o.advertiseGRPC, "advertise-grpc", "", "gRPC address HOST:PORT other coordinators reach this one at: standbys forward every request to the leader's (default: --grpc, unless its host is a wildcard such as 0.0.0.0)")
	fs.StringVar(&o.httpAddr, "http", "127.0.0.1:8080", "OpenAI-compatible HTTP listen address")
	fs.BoolVar(&o.publish, "publish-weights", true, "publish the weights to the NATS Object Store for workers without a model directory")
	fs.IntVar(&o.stages, "stages", 0, "pin the pipeline depth (0: the planner chooses)")
	fs.IntVar(&o.replicas, "replicas", 0, "pin the number of pipeline replicas (0: as many as fit)")
	fs.IntVar(&o.maxBatch, "max-batch", 0, "sequences per step (0: default)")
	fs.IntVar(&o.microBatches, "micro-batches", 0, "lanes of sequences with a step in flight at once (0: the pipeline depth; 1: one batch)")
	fs.IntVar(&o.planSeqs, "plan-max-seqs", 0, "sequences of --plan-context rows the planner budgets memory for on every replica (0: 64)")
	fs.IntVar(&o.planContext, "plan-context", 0, "cache rows (meta rows included) of each budgeted sequence (0: 8192)")
	fs.StringVar(&o.kvDType, "kv-cache-dtype", "f32", "K/V cache values on every worker: f32 (exact, the default) or bf16 (half the K/V memory; outputs no longer bit-identical to float32)")
	fs.IntVar(&o.reserveAhead, "reserve-ahead", 0, "reserve memory as sequences grow, this many tokens at a time, preempting (and later recomputing) one that finds no room (0: reserve prompt + max_tokens at admission, never preempt)")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&o.electionTTL, "election-ttl", 3*time.Second, "leadership lease TTL: how soon a standby takes over from a dead leader")
	fs.DurationVar(&o.leaseTTL, "lease-ttl", 10*time.Second, "membership lease TTL of this coordinator")
	fs.DurationVar(&o.rebalanceInterval, "rebalance-interval", 10*time.Second, "least time between automatic plan changes for new capacity (negative: only hymbactl rebalance)")
	fs.StringVar(&o.gossip, "gossip", "127.0.0.1:0", "memberlist gossip bind address HOST:PORT (port 0: any free port)")
	fs.StringVar(&o.gossipAdvertise, "gossip-advertise", "", "gossip address other members dial, when it differs from --gossip (containers)")
	fs.StringVar(&o.apiKeysFile, "api-keys-file", "", "file of API keys clients must send (Authorization: Bearer KEY), one per line; re-read on change and on SIGHUP")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "PEM certificate (chain) of the gRPC and HTTP servers: both then speak TLS only; re-read on change")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fs.StringVar(&o.leaderCA, "leader-tls-ca", "", "with --tls-cert: PEM CA bundle that verifies the leader's server certificate when a standby forwards to it (default: the system roots)")
	fs.StringVar(&o.leaderName, "leader-tls-server-name", "", "with --tls-cert: the name the leader's certificate must hold (default: the first name in --tls-cert, which the coordinators share)")
	o.etcdTLS = cluster.TLSFlags(fs, "etcd", "etcd")
	o.natsTLS = cluster.TLSFlags(fs, "nats", "NATS")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, errors.New("give both --tls-cert and --tls-key, or neither")
	}
	if err := coordinator.ValidateAdvertise(o.advertiseGRPC); err != nil {
		return nil, fmt.Errorf("--advertise-grpc: %w", err)
	}
	if o.tlsCert == "" && (o.leaderCA != "" || o.leaderName != "") {
		return nil, errors.New("--leader-tls-ca and --leader-tls-server-name need --tls-cert: coordinators speak TLS to each other only when they serve it")
	}
	kv, err := kvshare.ParseDType(o.kvDType)
	if err != nil {
		return nil, fmt.Errorf("--kv-cache-dtype: %w", err)
	}
	if o.planSeqs < 0 || o.planContext < 0 {
		return nil, fmt.Errorf("--plan-max-seqs %d, --plan-context %d: want 0 (the default) or more", o.planSeqs, o.planContext)
	}
	if o.reserveAhead < 0 {
		return nil, fmt.Errorf("--reserve-ahead %d: want 0 or more tokens", o.reserveAhead)
	}
	o.kv = kv
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	api, err := serveOptions(ctx, o, log)
	if err != nil {
		return err
	}
	leaderTLS, err := leaderTLSConfig(o)
	if err != nil {
		return err
	}
	plan := shard.Options{Stages: o.stages, Replicas: o.replicas, MaxSeqs: o.planSeqs, ContextLen: o.planContext}
	if o.dev {
		return runDev(ctx, o, plan, api, log, stdout)
	}
	ep := cluster.Endpoints{Etcd: strings.Split(o.etcd, ","), NATS: o.nats, Cluster: o.cluster,
		EtcdTLS: *o.etcdTLS, NATSTLS: *o.natsTLS}
	gcfg, err := cluster.GossipConfig(o.gossip, o.gossipAdvertise)
	if err != nil {
		return err
	}
	reg := registry.DefaultOptions()
	reg.TTL, reg.ElectionTTL, reg.Logger = o.leaseTTL, o.electionTTL, log
	co, err := cluster.StartCoordinator(ctx, ep, coordinator.Config{ID: o.id, ModelDir: o.model, PublishWeights: o.publish,
		Plan: plan, MaxBatch: o.maxBatch, MicroBatches: o.microBatches, KVDType: o.kv, ReserveAhead: o.reserveAhead, Gossip: gcfg, RebalanceInterval: o.rebalanceInterval, LeaderTLS: leaderTLS, Log: log},
		api, cluster.DialOptions{Registry: reg, Log: log})
	if err != nil {
		return err
	}
	defer co.Close()
	if co.AdvertiseGRPC() == "" {
		log.Warn("no gRPC address to advertise (--grpc listens on a wildcard): standbys cannot forward to this coordinator while it leads; set --advertise-grpc")
	}
	fmt.Fprintf(stdout, "coordinator %s: grpc=%s http=%s tls=%v api-keys=%v advertise-grpc=%q (serving once it leads and the plan is loaded; forwarding to the leader until then)\n",
		o.id, co.Servers.GRPCAddr, co.Servers.HTTPAddr, co.Servers.TLS, api.Keys != nil, co.AdvertiseGRPC())
	select {
	case <-ctx.Done():
		return nil
	case err := <-co.Done():
		return err
	}
}

func runDev(ctx context.Context, o *options, plan shard.Options, api cluster.ServeOptions, log *slog.Logger, stdout io.Writer) error {
	d, err := cluster.StartDev(ctx, cluster.DevOptions{Dir: o.dataDir, Workers: o.workers, ModelDir: o.model,
		GRPCAddr: o.grpcAddr, HTTPAddr: o.httpAddr, Plan: plan, Log: log, APIKeys: api.Keys, TLS: api.TLS,
		KVDType: o.kv, ReserveAhead: o.reserveAhead})
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.WaitReady(ctx); err != nil {
		return err
	}
	name := d.Coordinator.Model().Name
	fmt.Fprintf(stdout, "hymbaserve dev cluster ready: model=%s workers=%d grpc=%s http=%s etcd=%s nats=%s\n",
		name, o.workers, d.Coordinator.Servers.GRPCAddr, d.Coordinator.Servers.HTTPAddr,
		strings.Join(d.Endpoints.Etcd, ","), d.Endpoints.NATS)
	<-ctx.Done()
	return nil
}

func hostnameOr(def string) string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return def
}
