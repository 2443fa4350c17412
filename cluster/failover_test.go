package cluster

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v1 "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
	"github.com/hymbaserve/hymbaserve/client"
	"github.com/hymbaserve/hymbaserve/internal/devstack"
)

// TestWorkerKilled runs 3 worker processes (3 replicas of the demo model) and 20 streaming
// requests, kills one worker with SIGKILL mid-generation, and checks that every request
// completes with exactly the tokens of an undisturbed run. It reports the longest pause a
// stream saw around the kill.
func TestWorkerKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and runs processes; skipped in -short mode")
	}
	bin := binaries(t)
	etcd, err := devstack.StartEtcd(filepath.Join(t.TempDir(), "etcd"), devstack.EtcdOptions{FastTicks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	ns, err := devstack.StartNATS(filepath.Join(t.TempDir(), "nats"), devstack.NATSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	common := []string{"--cluster", "kill", "--etcd", strings.Join(etcd.Endpoints(), ","), "--nats", ns.ClientURL(), "--log-level", "warn"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	workers := map[string]*exec.Cmd{}
	for _, id := range []string{"w1", "w2", "w3"} {
		workers[id] = startCmd(t, ctx, filepath.Join(bin, "worker"), append([]string{"--id", id, "--lease-ttl", "2s", "--speed", "1"}, common...)...)
	}
	coord := start(t, ctx, filepath.Join(bin, "coordinator"), append([]string{"--id", "c1", "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0", "--stages", "1"}, common...)...)
	c, err := client.Dial(waitLine(t, coord, regexp.MustCompile(`grpc=(\S+)`)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	waitServing(t, ctx, c, 3)

	const n, maxTokens = 20, 120
	var mu sync.Mutex
	var arrivals []time.Time // every token's arrival, all streams
	got := make([][]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.Generate(ctx, client.IDsRequest(killPrompt(i), maxTokens), func(*v1.GenerateResponse) {
				mu.Lock()
				arrivals = append(arrivals, time.Now())
				mu.Unlock()
			})
			got[i], errs[i] = res.IDs, err
		}()
	}
	for {
		mu.Lock()
		k := len(arrivals)
		mu.Unlock()
		if k >= n*10 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	killed := time.Now()
	workers["w2"].Process.Signal(syscall.SIGKILL)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d failed after the kill: %v", i, errs[i])
		}
		if want := demoGreedy(t, killPrompt(i), maxTokens); !slices.Equal(got[i], want) {
			t.Fatalf("request %d: %d tokens differ from the undisturbed run", i, len(got[i]))
		}
	}
	t.Logf("20 requests completed, identical outputs; longest pause between tokens around the kill: %v", pauseAfter(arrivals, killed))
}

func killPrompt(i int) []int { return []int{1, 450 + i, 4996, 338 + i%7, 263} }

// waitServing waits until the cluster serves with want ready workers.
func waitServing(t *testing.T, ctx context.Context, c *client.Client, want int) {
	for {
		st, err := c.Status(ctx)
		ready := 0
		for _, w := range st.GetWorkers() {
			if w.GetState() == v1.WorkerState_WORKER_STATE_READY {
				ready++
			}
		}
		if err == nil && st.GetReady() && ready == want {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("cluster never served with %d workers: %v %v", want, st, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// pauseAfter is the longest gap between consecutive token arrivals from the kill on.
func pauseAfter(arrivals []time.Time, from time.Time) time.Duration {
	slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
	var worst time.Duration
	prev := from
	for _, a := range arrivals {
		if a.Before(from) {
			continue
		}
		worst = max(worst, a.Sub(prev))
		prev = a
	}
	return worst
}
