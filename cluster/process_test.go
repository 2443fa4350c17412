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

	"github.com/hymbaserve/hymbaserve/client"
	"github.com/hymbaserve/hymbaserve/demo"
	"github.com/hymbaserve/hymbaserve/engine"
	"github.com/hymbaserve/hymbaserve/internal/devstack"
)

// TestSeparateProcesses builds the coordinator and worker binaries and runs them as separate OS
// processes against real etcd and NATS servers on loopback: the workers have no model directory
// and fetch their layers from the coordinator's Object Store. Generation through the cluster
// must equal the demo model run locally.
func TestSeparateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries; skipped in -short mode")
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
	common := []string{"--cluster", "proc", "--etcd", strings.Join(etcd.Endpoints(), ","), "--nats", ns.ClientURL(), "--log-level", "warn"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, id := range []string{"w1", "w2"} {
		start(t, ctx, filepath.Join(bin, "worker"), append([]string{"--id", id, "--lease-ttl", "2s", "--speed", "1"}, common...)...)
	}
	coord := start(t, ctx, filepath.Join(bin, "coordinator"), append([]string{"--id", "c1", "--grpc", "127.0.0.1:0", "--http", "127.0.0.1:0", "--stages", "2"}, common...)...)
	addr := waitLine(t, coord, regexp.MustCompile(`grpc=(\S+)`))
	c, err := client.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	prompt := []int{1, 15043, 3186, 29991}
	var res client.Result
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if res, err = c.Generate(ctx, client.IDsRequest(prompt, 8), nil); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("generate through the processes: %v", err)
	}
	if want := demoGreedy(t, prompt, 8); !slices.Equal(res.IDs, want) {
		t.Fatalf("cluster of processes: %v, local demo model: %v", res.IDs, want)
	}
	st, err := c.Status(ctx)
	if err != nil || len(st.GetWorkers()) != 2 || !st.GetReady() {
		t.Fatalf("status: %v, %v", st, err)
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

// start runs a binary until the test ends and returns its standard output; its stderr goes to
// the test log on failure.
func start(t *testing.T, ctx context.Context, path string, args ...string) *bufio.Scanner {
	s, _ := startWithCmd(t, ctx, path, args...)
	return s
}

// startCmd is start for a process whose output nobody reads.
func startCmd(t *testing.T, ctx context.Context, path string, args ...string) *exec.Cmd {
	_, cmd := startWithCmd(t, ctx, path, args...)
	return cmd
}

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
			t.Logf("%s stderr:\n%s", filepath.Base(path), stderr.String())
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
	m, _, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	s := engine.NewScheduler(engine.NewLocal(m), nil, engine.Options{Vocab: m.Cfg.VocabSize, MaxContext: 4096, EOS: []int{m.Cfg.EosTokenID}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	res, err := s.Generate(ctx, &engine.Request{Prompt: prompt, MaxTokens: n})
	if err != nil {
		t.Fatal(err)
	}
	return res.IDs
}
