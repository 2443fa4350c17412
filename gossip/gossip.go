package gossip

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// ErrShutdown is returned by calls on a member that was shut down.
var ErrShutdown = errors.New("gossip: shut down")

// Gossip is one running member.
type Gossip struct {
	ml  *memberlist.Memberlist
	q   *eventQueue
	log *slog.Logger

	metaMu sync.Mutex // guards meta; memberlist reads it from its goroutines
	meta   []byte

	mu       sync.Mutex // guards shutdown; held across Leave
	shutdown bool
}

// Start creates the member, binds its port and joins cfg.Join (if any). It
// fails when the config is invalid, the port cannot be bound, or none of
// the seeds answered.
func Start(cfg Config) (*Gossip, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	g := &Gossip{q: newEventQueue(cfg.EventBuffer), log: cfg.Logger.With("gossip", cfg.Name),
		meta: append([]byte(nil), cfg.Meta...)}
	d := &delegate{q: g.q, meta: g.currentMeta}
	mc := cfg.memberlistConfig()
	mc.Events, mc.Delegate = d, d
	ml, err := memberlist.Create(mc)
	if err != nil {
		g.q.close()
		return nil, fmt.Errorf("gossip: start %s on %s:%d: %w", cfg.Name, cfg.BindAddr, cfg.BindPort, err)
	}
	g.ml = ml
	if len(cfg.Join) > 0 {
		if _, err := g.Join(cfg.Join); err != nil {
			g.Shutdown()
			return nil, err
		}
	}
	return g, nil
}

func (g *Gossip) currentMeta() []byte {
	g.metaMu.Lock()
	defer g.metaMu.Unlock()
	return g.meta
}

// Name returns this member's name.
func (g *Gossip) Name() string { return g.ml.LocalNode().Name }

// LocalAddr returns the host:port peers use to reach this member.
func (g *Gossip) LocalAddr() string { return g.ml.LocalNode().Address() }

// Join contacts the given seeds and returns how many answered; it fails
// only when none did.
func (g *Gossip) Join(seeds []string) (int, error) {
	if g.isShutdown() {
		return 0, ErrShutdown
	}
	n, err := g.ml.Join(seeds)
	if n == 0 {
		return 0, fmt.Errorf("gossip: join %v: no seed answered: %w", seeds, err)
	}
	if err != nil {
		g.log.Info("gossip: some seeds did not answer", "seeds", seeds, "err", err)
	}
	return n, nil
}

// Events returns membership changes; it is closed by Shutdown.
func (g *Gossip) Events() <-chan Event { return g.q.out }

// Dropped returns how many events were dropped because the consumer fell
// more than Config.EventBuffer events behind.
func (g *Gossip) Dropped() uint64 { return g.q.droppedCount() }

// Members returns the names of the members believed alive (this one
// included), sorted.
func (g *Gossip) Members() []string {
	nodes := g.ml.Members()
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	sort.Strings(names)
	return names
}

// SetMeta replaces this member's Meta and gossips it, waiting up to timeout
// for the update to be sent.
func (g *Gossip) SetMeta(meta []byte, timeout time.Duration) error {
	if len(meta) > MaxMetaSize {
		return fmt.Errorf("gossip: meta is %d bytes, more than %d", len(meta), MaxMetaSize)
	}
	if g.isShutdown() {
		return ErrShutdown
	}
	g.metaMu.Lock()
	g.meta = append([]byte(nil), meta...)
	g.metaMu.Unlock()
	if err := g.ml.UpdateNode(timeout); err != nil {
		return fmt.Errorf("gossip: update meta: %w", err)
	}
	return nil
}

// Leave announces a graceful departure and waits up to timeout for it to
// be sent; peers see EventLeave at once instead of after failure
// detection. Call Shutdown afterwards.
func (g *Gossip) Leave(timeout time.Duration) error {
	g.mu.Lock()
	defer g.mu.Unlock() // memberlist panics on Leave after Shutdown
	if g.shutdown {
		return ErrShutdown
	}
	if err := g.ml.Leave(timeout); err != nil {
		return fmt.Errorf("gossip: leave: %w", err)
	}
	return nil
}

// Shutdown stops the member without announcing anything (peers detect it
// as failed unless Leave came first) and closes Events. It is idempotent.
func (g *Gossip) Shutdown() error {
	g.mu.Lock()
	if g.shutdown {
		g.mu.Unlock()
		return nil
	}
	g.shutdown = true
	g.mu.Unlock()
	var err error
	if g.ml != nil {
		err = g.ml.Shutdown()
	}
	g.q.close()
	return err
}

func (g *Gossip) isShutdown() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.shutdown
}
