package cluster

import (
	"slices"
	"testing"

	"github.com/hymbaserve/hymbaserve/client"
)

// TestSeparateProcesses runs the coordinator and 2 workers as separate OS processes against real
// etcd and NATS servers on loopback: the workers have no model directory and fetch their layers
// from the coordinator's Object Store. Generation through the cluster must equal the demo model
// run locally.
func TestSeparateProcesses(t *testing.T) {
	p := newProcCluster(t, "proc")
	p.worker("w1")
	p.worker("w2")
	c := p.client(p.coordinator("c1", "--stages", "2"))
	p.waitServing(c, 2)
	prompt := []int{1, 15043, 3186, 29991}
	res, err := c.Generate(p.ctx, client.IDsRequest(prompt, 8), nil)
	if err != nil {
		t.Fatalf("generate through the processes: %v", err)
	}
	if want := demoGreedy(t, prompt, 8); !slices.Equal(res.IDs, want) {
		t.Fatalf("cluster of processes: %v, local demo model: %v", res.IDs, want)
	}
}
