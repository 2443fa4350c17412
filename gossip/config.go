package gossip

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/hashicorp/memberlist"
)

// MaxMetaSize is the largest Meta memberlist carries.
const MaxMetaSize = memberlist.MetaMaxSize

// Config configures Start. Zero durations and multipliers take the tuned
// defaults of DefaultConfig.
type Config struct {
	// Name identifies the member (its registry member ID); required.
	Name string
	// BindAddr is the address to listen on; default "0.0.0.0".
	BindAddr string
	// BindPort is the UDP and TCP port; 0 picks a free one.
	BindPort int
	// AdvertiseAddr and AdvertisePort are what peers dial, when they
	// differ from the bind address (NAT, containers). Optional.
	AdvertiseAddr string
	AdvertisePort int
	// Join lists seed addresses (host:port) to join at start.
	Join []string
	// Meta is gossiped with the member (at most MaxMetaSize bytes).
	Meta []byte

	ProbeInterval           time.Duration
	ProbeTimeout            time.Duration
	GossipInterval          time.Duration
	SuspicionMult           int
	SuspicionMaxTimeoutMult int
	DeadNodeReclaimTime     time.Duration

	// EventBuffer is how many undelivered events are kept; default 1024.
	EventBuffer int
	// Logger receives memberlist's log lines; default slog.Default().
	Logger *slog.Logger
}

// DefaultConfig returns the tuned probe settings (see the package doc).
func DefaultConfig() Config {
	return Config{
		BindAddr:                "0.0.0.0",
		ProbeInterval:           200 * time.Millisecond,
		ProbeTimeout:            100 * time.Millisecond,
		GossipInterval:          50 * time.Millisecond,
		SuspicionMult:           2,
		SuspicionMaxTimeoutMult: 2,
		DeadNodeReclaimTime:     5 * time.Second,
		EventBuffer:             1024,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setDefault(&c.BindAddr, d.BindAddr)
	setDefault(&c.ProbeInterval, d.ProbeInterval)
	setDefault(&c.ProbeTimeout, d.ProbeTimeout)
	setDefault(&c.GossipInterval, d.GossipInterval)
	setDefault(&c.SuspicionMult, d.SuspicionMult)
	setDefault(&c.SuspicionMaxTimeoutMult, d.SuspicionMaxTimeoutMult)
	setDefault(&c.DeadNodeReclaimTime, d.DeadNodeReclaimTime)
	setDefault(&c.EventBuffer, d.EventBuffer)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func setDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Validate checks c after defaults and names the field at fault.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("Config.Name is empty"))
	}
	if len(c.Meta) > MaxMetaSize {
		errs = append(errs, fmt.Errorf("Config.Meta is %d bytes, more than %d", len(c.Meta), MaxMetaSize))
	}
	if net.ParseIP(c.BindAddr) == nil {
		errs = append(errs, fmt.Errorf("Config.BindAddr %q is not an IP address", c.BindAddr))
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"BindPort", c.BindPort}, {"AdvertisePort", c.AdvertisePort}} {
		if p.v < 0 || p.v > 65535 {
			errs = append(errs, fmt.Errorf("Config.%s %d out of range 0..65535", p.name, p.v))
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"ProbeInterval", c.ProbeInterval}, {"ProbeTimeout", c.ProbeTimeout},
		{"GossipInterval", c.GossipInterval}, {"DeadNodeReclaimTime", c.DeadNodeReclaimTime}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("Config.%s %v is negative", d.name, d.v))
		}
	}
	if c.ProbeTimeout >= c.ProbeInterval {
		errs = append(errs, fmt.Errorf("Config.ProbeTimeout %v must be below ProbeInterval %v", c.ProbeTimeout, c.ProbeInterval))
	}
	for _, n := range []struct {
		name string
		v    int
	}{{"SuspicionMult", c.SuspicionMult}, {"SuspicionMaxTimeoutMult", c.SuspicionMaxTimeoutMult}, {"EventBuffer", c.EventBuffer}} {
		if n.v < 1 {
			errs = append(errs, fmt.Errorf("Config.%s %d must be at least 1", n.name, n.v))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("gossip: invalid config: %w", errors.Join(errs...))
	}
	return nil
}

// memberlistConfig maps c (with defaults) onto memberlist's LAN config.
func (c Config) memberlistConfig() *memberlist.Config {
	mc := memberlist.DefaultLANConfig()
	mc.Name = c.Name
	mc.BindAddr, mc.BindPort = c.BindAddr, c.BindPort
	mc.AdvertiseAddr, mc.AdvertisePort = c.AdvertiseAddr, c.AdvertisePort
	mc.ProbeInterval, mc.ProbeTimeout = c.ProbeInterval, c.ProbeTimeout
	mc.GossipInterval = c.GossipInterval
	mc.SuspicionMult, mc.SuspicionMaxTimeoutMult = c.SuspicionMult, c.SuspicionMaxTimeoutMult
	mc.DeadNodeReclaimTime = c.DeadNodeReclaimTime
	mc.Logger = newLogAdapter(c.Logger.With("gossip", c.Name))
	return mc
}
