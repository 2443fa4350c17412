// Command worker runs a hymbaserve worker: it registers with the cluster, loads the layers the
// coordinator's plan gives it and serves them as a pipeline stage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hymbaserve/hymbaserve/cluster"
	"github.com/hymbaserve/hymbaserve/registry"
	"github.com/hymbaserve/hymbaserve/worker"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("id", "", "worker id, unique in the cluster (default: the hostname)")
	clusterName := fs.String("cluster", "default", "cluster name")
	etcd := fs.String("etcd", "http://127.0.0.1:2379", "etcd endpoints, comma-separated")
	natsURL := fs.String("nats", "nats://127.0.0.1:4222", "NATS URL")
	modelDir := fs.String("model", "", "Hugging Face model directory; default: fetch the assigned layers from the coordinator's Object Store")
	mem := fs.Int64("mem", 8<<30, "memory offered for weights and sequence state, in bytes")
	speed := fs.Float64("speed", 0, "relative compute speed for the planner (0: measure it)")
	ttl := fs.Duration("lease-ttl", 10*time.Second, "membership lease TTL")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	httpAddr := fs.String("http", "", "serve /healthz, /readyz and /status on this address (empty: off)")
	gossipBind := fs.String("gossip", "127.0.0.1:0", "memberlist gossip bind address HOST:PORT (port 0: any free port)")
	gossipAdv := fs.String("gossip-advertise", "", "gossip address other members dial, when it differs from --gossip (containers)")
	etcdTLS := cluster.TLSFlags(fs, "etcd", "etcd")
	natsTLS := cluster.TLSFlags(fs, "nats", "NATS")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *id == "" {
		h, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("--id not given and no hostname: %w", err)
		}
		*id = h
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if *speed == 0 {
		*speed = cluster.MeasureSpeed()
	}
	reg := registry.DefaultOptions()
	reg.TTL, reg.Logger = *ttl, log
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ep := cluster.Endpoints{Etcd: strings.Split(*etcd, ","), NATS: *natsURL, Cluster: *clusterName,
		EtcdTLS: *etcdTLS, NATSTLS: *natsTLS}
	log.Info("worker starting", "id", *id, "speed", *speed, "mem", *mem)
	gcfg, err := cluster.GossipConfig(*gossipBind, *gossipAdv)
	if err != nil {
		return err
	}
	err = cluster.RunWorker(ctx, ep, worker.Config{ID: *id, ModelDir: *modelDir, Gossip: gcfg,
		Capacity: registry.Capacity{MemBytes: *mem, Speed: *speed}, Log: log}, cluster.DialOptions{Registry: reg, Log: log},
		func(w *worker.Worker) error { return serveHealth(ctx, *httpAddr, w, log) })
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// serveHealth serves the worker's health endpoints on addr until ctx ends.
func serveHealth(ctx context.Context, addr string, w *worker.Worker, log *slog.Logger) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--http: %w", err)
	}
	srv := &http.Server{Handler: w.HealthHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go srv.Serve(ln)
	log.Info("health endpoints", "addr", ln.Addr().String())
	return nil
}
