package gossip

import (
	"context"
	"log/slog"
	"time"
)

// StartMember starts a member of the cluster's ring named name (a registry member id), bound
// to 127.0.0.1 unless cfg says otherwise.
func StartMember(cfg Config, name string, log *slog.Logger) (*Gossip, error) {
	cfg.Name = name
	if cfg.BindAddr == "" {
		cfg.BindAddr = "127.0.0.1"
	}
	if cfg.Logger == nil {
		cfg.Logger = log.With("component", "gossip")
	}
	return Start(cfg)
}

// KeepJoined keeps g in the ring: whenever g knows no other member, it joins the addresses
// seeds returns (the gossip addresses recorded in the registry). It returns when ctx ends.
func KeepJoined(ctx context.Context, g *Gossip, seeds func(context.Context) []string, log *slog.Logger) {
	for {
		if len(g.Members()) <= 1 {
			var addrs []string
			for _, a := range seeds(ctx) {
				if a != g.LocalAddr() {
					addrs = append(addrs, a)
				}
			}
			if len(addrs) > 0 {
				if _, err := g.Join(addrs); err != nil {
					log.Debug("gossip join", "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}
