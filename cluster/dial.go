package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hymbaserve/hymbaserve/registry"
	"github.com/hymbaserve/hymbaserve/transport"
)

// Endpoints locate the control plane (etcd) and the data plane (NATS).
type Endpoints struct {
	Etcd    []string
	NATS    string
	Cluster string // name scoping keys and subjects; default "default"
	// EtcdTLS and NATSTLS, when set, make the clients speak TLS (mutual TLS with Cert and
	// Key). The etcd endpoints must then be https:// URLs.
	EtcdTLS, NATSTLS TLSFiles
}

// Clients are one process's connections: its own etcd and NATS clients, and the registry,
// transport and JetStream context built on them.
type Clients struct {
	Registry  registry.Registry
	Transport transport.Transport
	JetStream jetstream.JetStream
	etcd      *clientv3.Client
	nc        *nats.Conn
}

// DialOptions tune the clients.
type DialOptions struct {
	Registry registry.Options // zero → registry.DefaultOptions()
	Log      *slog.Logger
	// OnReconnect is called after the NATS connection was lost and came back.
	OnReconnect func()
}

// Dial connects to etcd and NATS, over TLS where ep says so (a TLS file or session that fails
// is an error now, naming the file or server). NATS reconnects forever; etcd's client retries
// by itself.
func Dial(ctx context.Context, ep Endpoints, opt DialOptions) (*Clients, error) {
	if ep.Cluster == "" {
		ep.Cluster = "default"
	}
	if len(ep.Etcd) == 0 || ep.NATS == "" {
		return nil, errors.New("cluster: etcd endpoints and a NATS URL are required")
	}
	if opt.Registry.TTL == 0 {
		reg := registry.DefaultOptions()
		reg.Logger = opt.Registry.Logger
		opt.Registry = reg
	}
	if opt.Registry.Logger == nil {
		opt.Registry.Logger = opt.Log
	}
	nopts, err := natsOptions(ep, opt)
	if err != nil {
		return nil, err
	}
	ecfg, err := etcdConfig(ctx, ep)
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(ecfg)
	if err != nil {
		return nil, fmt.Errorf("etcd %v: %w", ep.Etcd, err)
	}
	c := &Clients{etcd: cli}
	if c.Registry, err = registry.NewEtcd(cli, ep.Cluster, opt.Registry); err != nil {
		c.Close()
		return nil, err
	}
	if c.nc, err = nats.Connect(ep.NATS, nopts...); err != nil {
		c.Close()
		return nil, fmt.Errorf("nats %s: %w", ep.NATS, err)
	}
	if c.Transport, err = transport.NewNATS(c.nc, transport.Options{}); err != nil {
		c.Close()
		return nil, err
	}
	if c.JetStream, err = jetstream.New(c.nc); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// etcdConfig is the etcd client configuration of ep. With TLS files every endpoint must be an
// https:// URL (etcd's client silently drops TLS for http:// ones); https:// endpoints
// without files use the system roots. Either way a TLS session that fails is reported now,
// naming the endpoint (see probeEtcdTLS).
func etcdConfig(ctx context.Context, ep Endpoints) (clientv3.Config, error) {
	cfg := clientv3.Config{Endpoints: ep.Etcd, DialTimeout: 5 * time.Second, Context: ctx}
	anyTLS := false
	for _, e := range ep.Etcd {
		https := strings.HasPrefix(e, "https://")
		if ep.EtcdTLS.Enabled() && !https {
			return cfg, fmt.Errorf("etcd endpoint %q: client TLS is configured, so give https:// endpoints", e)
		}
		anyTLS = anyTLS || https
	}
	if !anyTLS {
		return cfg, nil
	}
	var err error
	if cfg.TLS, err = ep.EtcdTLS.ClientConfig("etcd"); err != nil {
		return cfg, err
	}
	return cfg, probeEtcdTLS(ctx, ep.Etcd, cfg.TLS)
}

// natsOptions are the NATS connection options: reconnect forever, and TLS when configured.
func natsOptions(ep Endpoints, opt DialOptions) ([]nats.Option, error) {
	nopts := []nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(100 * time.Millisecond)}
	if opt.OnReconnect != nil {
		nopts = append(nopts, nats.ReconnectHandler(func(*nats.Conn) { opt.OnReconnect() }))
	}
	if ep.NATSTLS.Enabled() {
		cfg, err := ep.NATSTLS.ClientConfig("NATS")
		if err != nil {
			return nil, err
		}
		nopts = append(nopts, nats.Secure(cfg))
	}
	return nopts, nil
}

// Close closes everything Dial opened, the registry first (it revokes leases).
func (c *Clients) Close() {
	if c.Registry != nil {
		c.Registry.Close()
	}
	if c.Transport != nil {
		c.Transport.Close()
	}
	if c.nc != nil {
		c.nc.Close()
	}
	if c.etcd != nil {
		c.etcd.Close()
	}
}
