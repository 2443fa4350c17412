package registry_test

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hymbaserve/hymbaserve/internal/devstack"
	"github.com/hymbaserve/hymbaserve/registry"
	"github.com/hymbaserve/hymbaserve/registry/registrytest"
)

// startEtcd starts an embedded etcd with fast ticks for the test.
func startEtcd(t *testing.T) *devstack.Etcd {
	t.Helper()
	e, err := devstack.StartEtcd(t.TempDir(), devstack.EtcdOptions{FastTicks: true, UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// newClient returns a client closed at cleanup (before the server, since
// cleanups run last-in first-out).
func newClient(t *testing.T, e *devstack.Etcd) *clientv3.Client {
	t.Helper()
	cli, err := e.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func newEtcdRegistry(t *testing.T, cli *clientv3.Client, cluster string) *registry.Etcd {
	t.Helper()
	r, err := registry.NewEtcd(cli, cluster, registry.LocalTestOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// etcdHandle is one simulated process: its own client and registry, plus
// the fault hooks the conformance suite needs.
type etcdHandle struct {
	*registry.Etcd
	t     *testing.T
	cli   *clientv3.Client
	admin *clientv3.Client

	mu    sync.Mutex
	regs  []*registry.Registration
	leads []*registry.Leadership
}

func (h *etcdHandle) Register(ctx context.Context, m registry.Member) (*registry.Registration, error) {
	r, err := h.Etcd.Register(ctx, m)
	if err == nil {
		h.mu.Lock()
		h.regs = append(h.regs, r)
		h.mu.Unlock()
	}
	return r, err
}

func (h *etcdHandle) Campaign(ctx context.Context, id string) (*registry.Leadership, error) {
	l, err := h.Etcd.Campaign(ctx, id)
	if err == nil {
		h.mu.Lock()
		h.leads = append(h.leads, l)
		h.mu.Unlock()
	}
	return l, err
}

// Crash closes the handle's client: keepalives stop, nothing is revoked.
func (h *etcdHandle) Crash() { h.cli.Close() }

// ExpireLeases revokes the handle's current leases from another client,
// which is what the server does when they expire.
func (h *etcdHandle) ExpireLeases() {
	h.mu.Lock()
	var ids []int64
	for _, r := range h.regs {
		ids = append(ids, r.Lease())
	}
	for _, l := range h.leads {
		ids = append(ids, l.Lease())
	}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, id := range ids {
		if id == 0 {
			continue
		}
		if _, err := h.admin.Revoke(ctx, clientv3.LeaseID(id)); err != nil && ctx.Err() != nil {
			h.t.Errorf("revoke lease %x: %v", id, err)
		}
	}
}

// Compact compacts the store at its current revision.
func (h *etcdHandle) Compact() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := h.admin.Get(ctx, "compact-probe")
	if err == nil {
		_, err = h.admin.Compact(ctx, resp.Header.Revision)
	}
	if err != nil {
		h.t.Errorf("compact: %v", err)
	}
}

// etcdClusters maps each test to a cluster name on one shared server.
type etcdClusters struct {
	srv   *devstack.Etcd
	admin *clientv3.Client
	mu    sync.Mutex
	names map[*testing.T]string
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (c *etcdClusters) handle(t *testing.T) registry.Registry {
	c.mu.Lock()
	name, ok := c.names[t]
	if !ok {
		name = fmt.Sprintf("c%d-%s", len(c.names), unsafeName.ReplaceAllString(t.Name(), "-"))
		c.names[t] = name
	}
	c.mu.Unlock()
	cli := newClient(t, c.srv)
	return &etcdHandle{Etcd: newEtcdRegistry(t, cli, name), t: t, cli: cli, admin: c.admin}
}

func TestEtcdConformance(t *testing.T) {
	srv := startEtcd(t)
	c := &etcdClusters{srv: srv, admin: newClient(t, srv), names: map[*testing.T]string{}}
	registrytest.Run(t, c.handle)
}
