package cluster

import (
	"context"
	"fmt"
	"sync"

	"github.com/hymbaserve/hymbaserve/coordinator"
	"github.com/hymbaserve/hymbaserve/worker"
)

// RunWorker dials ep with the worker's own clients and runs it until ctx ends. started, if not
// nil, is called with the worker before it runs (to serve its health endpoints, say).
func RunWorker(ctx context.Context, ep Endpoints, cfg worker.Config, opt DialOptions, started func(*worker.Worker) error) error {
	cl, err := Dial(ctx, ep, opt)
	if err != nil {
		return err
	}
	defer cl.Close()
	cfg.Cluster, cfg.Registry, cfg.Transport, cfg.JetStream = clusterName(ep), cl.Registry, cl.Transport, cl.JetStream
	w := worker.New(cfg)
	if started != nil {
		if err := started(w); err != nil {
			return err
		}
	}
	return w.Run(ctx)
}

// Coordinator is a running coordinator with its API servers.
type Coordinator struct {
	*coordinator.Coordinator
	Servers *Servers
	clients *Clients
	done    chan error
	cancel  context.CancelFunc
	once    sync.Once
}

// StartCoordinator dials ep, starts the coordinator (it campaigns, plans and serves once it
// leads) and its API servers as api says; they serve the coordinator's metrics unless
// api.Metrics is set. The servers serve co.Front(): while another coordinator leads, every
// API call is forwarded to it. cfg.AdvertiseGRPC defaults to api.AdvertiseGRPC, else the bound
// gRPC address (see ServeOptions).
func StartCoordinator(ctx context.Context, ep Endpoints, cfg coordinator.Config, api ServeOptions, opt DialOptions) (*Coordinator, error) {
	var co *coordinator.Coordinator
	var mu sync.Mutex
	opt.OnReconnect = func() {
		mu.Lock()
		defer mu.Unlock()
		if co != nil {
			co.NATSReconnected()
		}
	}
	ls, err := listen(api)
	if err != nil {
		return nil, fmt.Errorf("api servers: %w", err)
	}
	if cfg.AdvertiseGRPC == "" {
		cfg.AdvertiseGRPC = ls.advertise(api)
	}
	cl, err := Dial(ctx, ep, opt)
	if err != nil {
		ls.close()
		return nil, err
	}
	cfg.Cluster, cfg.Registry, cfg.Transport, cfg.JetStream = clusterName(ep), cl.Registry, cl.Transport, cl.JetStream
	mu.Lock()
	co, err = coordinator.New(cfg)
	mu.Unlock()
	if err != nil {
		ls.close()
		cl.Close()
		return nil, err
	}
	if api.Metrics == nil {
		api.Metrics = co.MetricsHandler()
	}
	if api.Log == nil {
		api.Log = cfg.Log
	}
	srv := ls.serve(co.Front(), api)
	ctx, cancel := context.WithCancel(ctx)
	c := &Coordinator{Coordinator: co, Servers: srv, clients: cl, done: make(chan error, 1), cancel: cancel}
	go func() { c.done <- co.Run(ctx) }()
	return c, nil
}

// Done delivers Run's result when the coordinator stops.
func (c *Coordinator) Done() <-chan error { return c.done }

// Close stops the coordinator, its servers and its clients. Later calls do nothing.
func (c *Coordinator) Close() {
	c.once.Do(func() {
		c.Servers.Close()
		c.cancel()
		<-c.done
		c.done <- nil
		c.clients.Close()
	})
}

func clusterName(ep Endpoints) string {
	if ep.Cluster == "" {
		return "default"
	}
	return ep.Cluster
}
