package registry_test

import (
	"sync"
	"testing"

	"github.com/hymbaserve/hymbaserve/registry"
	"github.com/hymbaserve/hymbaserve/registry/registrytest"
)

// memClusters gives each test its own in-memory cluster; every handle made
// for one test is a Peer on it.
type memClusters struct {
	mu    sync.Mutex
	roots map[*testing.T]*registry.Mem
}

func (c *memClusters) handle(t *testing.T) registry.Registry {
	c.mu.Lock()
	defer c.mu.Unlock()
	root, ok := c.roots[t]
	var h *registry.Mem
	if !ok {
		root = registry.NewMem()
		c.roots[t] = root
		h = root
	} else {
		h = root.Peer()
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestMemConformance(t *testing.T) {
	c := &memClusters{roots: map[*testing.T]*registry.Mem{}}
	registrytest.Run(t, c.handle)
}
