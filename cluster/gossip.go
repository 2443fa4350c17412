package cluster

import (
	"fmt"
	"net"
	"strconv"

	"github.com/hymbaserve/hymbaserve/gossip"
)

// GossipConfig builds the memberlist settings from a bind address and an optional advertised
// address, both HOST:PORT.
func GossipConfig(bind, advertise string) (gossip.Config, error) {
	var c gossip.Config
	var err error
	if c.BindAddr, c.BindPort, err = splitHostPort(bind); err != nil {
		return c, fmt.Errorf("--gossip: %w", err)
	}
	if advertise != "" {
		if c.AdvertiseAddr, c.AdvertisePort, err = splitHostPort(advertise); err != nil {
			return c, fmt.Errorf("--gossip-advertise: %w", err)
		}
	}
	return c, nil
}

func splitHostPort(a string) (string, int, error) {
	h, p, err := net.SplitHostPort(a)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port in %q", a)
	}
	return h, port, nil
}
