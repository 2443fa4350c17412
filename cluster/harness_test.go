package cluster

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
	"github.com/hymbaserve/hymbaserve/client"
	"github.com/hymbaserve/hymbaserve/demo"
	"github.com/hymbaserve/hymbaserve/internal/devstack"
	"github.com/hymbaserve/hymbaserve/model"
)

// procCluster is a cluster of separate OS processes (coordinators and workers built from cmd/)
// around real etcd and NATS servers on loopback, run by the test. Workers fetch the demo
// model's layers from the coordinator's Object Store.
type procCluster struct {
	t       *testing.T
	ctx     context.Context
	bin     string
	Etcd    *devstack.Etcd
	NATS    *devstack.NATS
	common  []string
	Workers map[string]*exec.Cmd
	Coords  map[string]*exec.Cmd
	Addrs   map[string]string // coordinator id → gRPC address
}

func newProcCluster(t *testing.T, name string) *procCluster {
	if testing.Short() {
		t.Skip("builds binaries and runs processes; skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	p := &procCluster{t: t, ctx: ctx, bin: binaries(t), Workers: map[string]*exec.Cmd{}, Coords: map[string]*exec.Cmd{}, Addrs: map[string]string{}}
	var err error
	if p.Etcd, err = devstack.StartEtcd(filepath.Join(t.TempDir(), "etcd"), devstack.EtcdOptions{FastTicks: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Etcd.Close() })
	if p.NATS, err = devstack.StartNATS(filepath.Join(t.TempDir(), "nats"), devstack.NATSOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.NATS.Close)
	p.common = []string{"--cluster", name, "--etcd", strings.Join(p.Etcd.Endpoints(), ","), "--nats", p.NATS.ClientURL(), "--log-level", "warn"}
	return p
}

// worker starts a worker process.
func (p *procCluster) worker(id string) {
	_, cmd := startWithCmd(p.t, p.ctx, filepath.Join(p.bin, "worker"), append([]string{"--id", id, "--lease-ttl", "2s", "--speed", "1"}, p.common...)...)
	p.Workers[id] = cmd
}

// coordinator starts a coordinator process and returns its gRPC address.
func (p *procCluster) coordinator(id string, args ...string) string {
	out, cmd := startWithCmd(p.t, p.ctx, filepath.Join(p.bin, "coordinator"),
		append(append([]string{"--id", id, "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0", "--lease-ttl", "2s", "--election-ttl", "2s"}, args...), p.common...)...)
	p.Coords[id] = cmd
	p.Addrs[id] = waitLine(p.t, out, regexp.MustCompile(`grpc=(\S+)`))
	return p.Addrs[id]
}

func (p *procCluster) client(addr string) *client.Client {
	c, err := client.Dial(addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { c.Close() })
	return c
}

// load runs n greedy streaming requests of maxTokens at once; it returns once each has
// received at least `after` tokens, with a function that waits for all and checks each against
// the demo model run alone in this process. That function returns another, which reports the
// longest time a stream waited for its next token after a given instant.
func (p *procCluster) load(c *client.Client, n, maxTokens, after int) (check func() (pause func(time.Time) time.Duration)) {
	var mu sync.Mutex
	counts := make([]int, n)
	arrivals := make([][]time.Time, n)
	got := make([][]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.Generate(p.ctx, client.IDsRequest(loadPrompt(i), maxTokens), func(*v1.GenerateResponse) {
				mu.Lock()
				counts[i]++
				arrivals[i] = append(arrivals[i], time.Now())
				mu.Unlock()
			})
			got[i], errs[i] = res.IDs, err
		}()
	}
	for {
		mu.Lock()
		least := slices.Min(counts)
		mu.Unlock()
		if least >= after {
			break
		}
		select {
		case <-p.ctx.Done():
			p.t.Fatalf("requests never reached %d tokens", after)
		case <-time.After(5 * time.Millisecond):
		}
	}
	return func() func(time.Time) time.Duration {
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				p.t.Fatalf("request %d failed: %v", i, errs[i])
			}
			if want := demoGreedy(p.t, loadPrompt(i), maxTokens); !slices.Equal(got[i], want) {
				p.t.Fatalf("request %d: %d tokens, not those of an undisturbed run", i, len(got[i]))
			}
		}
		return func(from time.Time) time.Duration { return longestPause(arrivals, from) }
	}
}

// longestPause is the longest wait of any stream for its next token, counted from `from`.
func longestPause(arrivals [][]time.Time, from time.Time) time.Duration {
	var worst time.Duration
	for _, as := range arrivals {
		prev := from
		for _, a := range as {
			if a.After(from) {
				worst = max(worst, a.Sub(prev))
				prev = a
			}
		}
	}
	return worst
}

func loadPrompt(i int) []int { return []int{1, 450 + i, 4996, 338 + i%7, 263} }

// waitServing waits until the coordinator at c serves with want ready workers.
func (p *procCluster) waitServing(c *client.Client, want int) {
	for {
		st, err := c.Status(p.ctx)
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
		case <-p.ctx.Done():
			p.t.Fatalf("cluster never served with %d ready workers: %v %v", want, st, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// binaries builds the coordinator and worker binaries once per test run.
func binaries(t *testing.T) string {
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "hymbaserve-bin-"); binErr != nil {
			return
		}
		if out, err := exec.Command("go", "build", "-o", binDir, "../cmd/coordinator", "../cmd/worker").CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binDir
}

// TestMain removes the binaries built for the process tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// startWithCmd runs a binary until the test ends and returns its standard output; its stderr
// goes to the test log if the test fails.
func startWithCmd(t *testing.T, ctx context.Context, path string, args ...string) (*bufio.Scanner, *exec.Cmd) {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s %s stderr:\n%s", filepath.Base(path), strings.Join(args[:2], " "), stderr.String())
		}
	})
	return bufio.NewScanner(stdout), cmd
}

func waitLine(t *testing.T, s *bufio.Scanner, re *regexp.Regexp) string {
	for s.Scan() {
		if m := re.FindStringSubmatch(s.Text()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("process ended without printing a line matching %s", re)
	return ""
}

func demoGreedy(t *testing.T, prompt []int, n int) []int {
	m, err := demoModel()
	if err != nil {
		t.Fatal(err)
	}
	return greedyLocal(t, m, prompt, n)
}

// demoModel builds the demo model once for all the tests that compare against it.
var demoModel = sync.OnceValues(func() (*model.Model, error) {
	m, _, err := demo.Load()
	return m, err
})
