package coordinator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hymbaserve/hymbaserve/frontend"
	"github.com/hymbaserve/hymbaserve/registry"
)

// follower tracks the election's leader for a coordinator that does not serve: every interval
// (and at once after a forwarded call could not reach the leader) it reads the leader's id
// from the registry, looks up the gRPC address that coordinator registered, dials it when it
// changed and asks the leader's health service whether it serves. An unreadable registry (etcd
// down) keeps the leader known last.
type follower struct {
	c        *Coordinator
	interval time.Duration
	wake     chan struct{}

	mu      sync.Mutex
	leader  string      // the election's leader, "" when none is known
	conn    *leaderConn // nil when leader is "", this coordinator, or has no usable address
	healthy bool        // the last health check of conn's leader succeeded
	why     error       // why conn is nil or unhealthy
}

// leaderConn is a Forwarder with the calls running on it, so that a replaced one closes only
// once they end.
type leaderConn struct {
	fwd   *Forwarder
	calls sync.WaitGroup
}

func newFollower(c *Coordinator, interval time.Duration) *follower {
	return &follower{c: c, interval: interval, wake: make(chan struct{}, 1)}
}

// run follows the leader until ctx ends, then closes the connection.
func (f *follower) run(ctx context.Context) {
	tick := time.NewTicker(f.interval)
	defer tick.Stop()
	for {
		f.refresh(ctx)
		select {
		case <-ctx.Done():
			f.mu.Lock()
			f.replace("", nil)
			f.mu.Unlock()
			return
		case <-tick.C:
		case <-f.wake:
		}
	}
}

// poke asks for a refresh now (a forwarded call failed to reach the leader).
func (f *follower) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// refresh reads the leader and checks its health, each within one interval.
func (f *follower) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, f.interval)
	defer cancel()
	id, err := f.c.cfg.Registry.Leader(ctx)
	switch {
	case errors.Is(err, registry.ErrNoLeader):
		f.set("", nil, err)
	case err != nil:
		f.c.log.Debug("the registry did not say who leads: keeping the last leader", "err", err)
	case id == f.c.cfg.ID:
		f.set(id, nil, nil)
	default:
		f.follow(ctx, id)
	}
	f.check(ctx)
}

// follow makes sure the connection goes to leader id's registered address. A healthy
// connection to the same leader is kept; an unhealthy one is checked against the address the
// leader registers now (it may have restarted elsewhere under the same id).
func (f *follower) follow(ctx context.Context, id string) {
	f.mu.Lock()
	cur, same, healthy := f.conn, f.leader == id, f.healthy
	f.mu.Unlock()
	if same && cur != nil && healthy {
		return
	}
	addr, err := f.leaderAddr(ctx, id)
	if err != nil && same && cur != nil {
		return // keep the connection; its health check decides
	}
	if err != nil {
		f.set(id, nil, err)
		return
	}
	if same && cur != nil && cur.fwd.Addr() == addr {
		return
	}
	fwd, err := NewForwarder(addr, ForwardOptions{From: f.c.cfg.ID, TLS: f.c.cfg.LeaderTLS, Model: f.c.Model()})
	if err != nil {
		f.set(id, nil, err)
		return
	}
	f.c.log.Info("forwarding requests to the leader", "leader", id, "addr", addr)
	f.set(id, fwd, nil)
}

// leaderAddr is the gRPC address coordinator id registered.
func (f *follower) leaderAddr(ctx context.Context, id string) (string, error) {
	ms, _, err := f.c.cfg.Registry.Members(ctx)
	if err != nil {
		return "", fmt.Errorf("leader %s: reading its address: %w", id, err)
	}
	for _, m := range ms {
		if m.ID != id {
			continue
		}
		if m.Addr == "" {
			return "", fmt.Errorf("leader %s registered no gRPC address (coordinator --advertise-grpc)", id)
		}
		return m.Addr, nil
	}
	return "", fmt.Errorf("leader %s is not registered", id)
}

// check asks the leader's health service whether it serves.
func (f *follower) check(ctx context.Context) {
	f.mu.Lock()
	conn := f.conn
	f.mu.Unlock()
	if conn == nil {
		return
	}
	err := conn.fwd.CheckHealth(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != conn {
		return
	}
	if err != nil {
		err = fmt.Errorf("leader %s at %s: %w", f.leader, conn.fwd.Addr(), err)
	}
	if (err == nil) != f.healthy {
		f.c.log.Info("leader health changed", "leader", f.leader, "serving", err == nil, "err", err)
	}
	f.healthy, f.why = err == nil, err
}

// set records leader id and its connection (nil: none), replacing the previous one.
func (f *follower) set(id string, fwd *Forwarder, why error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replace(id, fwd)
	f.why = why
}

// replace swaps the connection (f.mu held). The old one closes once its calls end, or at once
// when its leader failed its last health check (its calls could hang on a dead host).
func (f *follower) replace(id string, fwd *Forwarder) {
	if old := f.conn; old != nil {
		if f.healthy {
			go func() { old.calls.Wait(); old.fwd.Close() }()
		} else {
			old.fwd.Close()
		}
	}
	f.leader, f.conn, f.healthy = id, nil, false
	if fwd != nil {
		f.conn = &leaderConn{fwd: fwd}
	}
}

// target returns the Forwarder to the leader with a call counted on it (done ends the count),
// or nil when there is none to forward to: no leader known, or this coordinator leads. A
// leader without a usable address is ErrUnavailable.
func (f *follower) target() (fwd *Forwarder, done func(), err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.leader == "" || f.leader == f.c.cfg.ID:
		return nil, nil, nil
	case f.conn == nil:
		return nil, nil, frontend.Errorf(frontend.ErrUnavailable, "", "cannot forward to the leader: %v", f.why)
	}
	conn := f.conn
	conn.calls.Add(1)
	return conn.fwd, conn.calls.Done, nil
}

// reachable reports whether requests forward to a leader that answered its last health check.
func (f *follower) reachable() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conn != nil && f.healthy
}

// Leader reports the election's leader as this coordinator last read it ("" when none), the
// address requests forward to ("" when they do not), and whether that leader answered its last
// health check.
func (c *Coordinator) Leader() (id, addr string, reachable bool) {
	f := c.follow
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != nil {
		addr = f.conn.fwd.Addr()
	}
	return f.leader, addr, f.conn != nil && f.healthy
}

// ValidateAdvertise checks a Config.AdvertiseGRPC value: empty, or host:port that other
// coordinators can dial (a wildcard host such as 0.0.0.0 is refused).
func ValidateAdvertise(addr string) error {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("advertised gRPC address %q: %v", addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("advertised gRPC address %q: the port must be 1..65535", addr)
	}
	if host == "" || net.ParseIP(host).IsUnspecified() {
		return fmt.Errorf("advertised gRPC address %q: name a host other coordinators can dial, not a wildcard", addr)
	}
	return nil
}
