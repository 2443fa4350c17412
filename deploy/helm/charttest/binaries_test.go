package charttest

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hymbaserve/hymbaserve/internal/devstack"
)

// TestBinaries builds the coordinator, worker and hymbactl and checks the chart against them:
// hymbactl has the subcommands the worker's hooks call, and the coordinator and two workers,
// run with exactly the rendered arguments (ids and addresses replaced by loopback ones)
// against real etcd and NATS servers, serve every probe path of their pods. Then the
// rendered uncordon init script and preStop drain hook run against them: the drained worker
// must end up holding no layers while the coordinator stays ready, and the uncordon script
// must succeed at its first try. A second coordinator run with the rendered arguments is a
// Ready standby that serves the API by forwarding to the first. The flags the chart renders with every security option set
// must be flags of the binaries.
func TestBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three binaries; skipped with -short")
	}
	bin := buildBinaries(t)
	r := renderRelease(t, valueSet{name: "default"})
	subOK := true
	for _, sub := range []string{"drain", "uncordon"} {
		t.Run("hymbactl "+sub, func(t *testing.T) { subOK = checkSubcommand(t, bin, sub) && subOK })
	}
	t.Run("security flags", func(t *testing.T) { checkFlagsKnown(t, bin) })
	cl := startCluster(t, bin, r)
	t.Run("probes", func(t *testing.T) {
		checkProbesServed(t, r.cc, cl.coordHTTP)
		for _, w := range cl.workers {
			checkProbesServed(t, r.wc, w)
		}
	})
	if !subOK {
		t.Fatal("hymbactl lacks a subcommand the chart's hooks call; the hooks were not run")
	}
	// The order of a rolling update: the old pod's preStop hook, then the new pod's init.
	t.Run("preStop drain", func(t *testing.T) { runDrain(t, bin, r, cl) })
	t.Run("uncordon init container", func(t *testing.T) { runUncordon(t, bin, r, cl) })
	t.Run("standby coordinator", func(t *testing.T) { runStandby(t, bin, r, cl) })
}

// checkSubcommand runs `hymbactl SUB -h`: it must print SUB's usage with the --addr flag the
// hooks pass, not "unknown command" (exit status 0, 1 or 2: -h conventions differ).
func checkSubcommand(t *testing.T, bin, sub string) bool {
	out, err := exec.Command(filepath.Join(bin, "hymbactl"), sub, "-h").CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	if code > 2 || strings.Contains(text, "unknown command") || !strings.Contains(text, sub) || !strings.Contains(text, "-addr") {
		t.Errorf("hymbactl %s -h: exit %d, output:\n%s\nThe worker's hooks run `hymbactl %s --addr COORDINATOR POD_NAME`.", sub, code, text, sub)
		return false
	}
	return true
}

// cluster is a coordinator and two workers started from the rendered arguments.
type cluster struct {
	coordGRPC, coordHTTP string
	workers              []string // worker health base URLs
	ids                  []string
	procs                []*proc           // the workers' processes
	ep                   map[string]string // the flags that point a process at the test's servers
}

var (
	grpcLine   = regexp.MustCompile(`grpc=(\S+) http=\S+`)
	httpLine   = regexp.MustCompile(`grpc=\S+ http=(\S+)`)
	healthAddr = regexp.MustCompile(`msg="health endpoints" addr=(\S+)`)
)

func startCluster(t *testing.T, bin string, r *rendering) *cluster {
	etcd, err := devstack.StartEtcd(filepath.Join(t.TempDir(), "etcd"), devstack.EtcdOptions{FastTicks: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { etcd.Close() })
	ns, err := devstack.StartNATS(filepath.Join(t.TempDir(), "nats"), devstack.NATSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Close)
	ep := map[string]string{"--etcd": strings.Join(etcd.Endpoints(), ","), "--nats": ns.ClientURL(),
		"--gossip": "127.0.0.1:0", "--gossip-advertise": ""}
	cl := &cluster{ids: []string{"charttest-w0", "charttest-w1"}, ep: ep}
	for _, id := range cl.ids {
		w := startProc(t, filepath.Join(bin, "worker"), renderedArgs(t, r.wc, merge(ep, map[string]string{
			"--id": id, "--http": "127.0.0.1:0"}))...)
		cl.workers = append(cl.workers, "http://"+w.waitFor(t, healthAddr, 30*time.Second))
		cl.procs = append(cl.procs, w)
	}
	c := startProc(t, filepath.Join(bin, "coordinator"), renderedArgs(t, r.cc, merge(ep, map[string]string{
		"--id": "charttest-c0", "--grpc": "127.0.0.1:0", "--http": "127.0.0.1:0", "--advertise-grpc": ""}))...)
	cl.coordGRPC = c.waitFor(t, grpcLine, 60*time.Second)
	cl.coordHTTP = "http://" + c.waitFor(t, httpLine, time.Second)
	return cl
}

func merge(a, b map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// runUncordon runs the rendered uncordon script for the drained worker, as its new pod would;
// with a coordinator serving, it must succeed on its first try.
func runUncordon(t *testing.T, bin string, r *rendering, cl *cluster) {
	ic, _ := container(&r.worker.Spec.Template, "uncordon")
	out, err := runScript(t, bin, ic.Command[2], coordinatorGRPC(t, r), cl.coordGRPC, cl.ids[0], time.Minute)
	if err != nil || strings.Contains(out, "starting anyway") {
		t.Errorf("uncordon script: %v\n%s", err, out)
	}
}

// runDrain runs the rendered preStop hook for the first worker: it must return success once
// the worker holds no layers (it reports none, or it has left the cluster and exited
// cleanly), while the coordinator stays ready on the other worker.
func runDrain(t *testing.T, bin string, r *rendering, cl *cluster) {
	if code, body := waitStatus(cl.coordHTTP+"/readyz", 200, time.Minute); code != 200 {
		t.Fatalf("coordinator not ready before the drain: %d %q", code, body)
	}
	hook := r.wc.Lifecycle.PreStop.Exec.Command[2]
	out, err := runScript(t, bin, hook, coordinatorGRPC(t, r), cl.coordGRPC, cl.ids[0], 2*time.Minute)
	if err != nil {
		t.Fatalf("preStop hook %q: %v\n%s", hook, err, out)
	}
	if !drained(t, cl.procs[0], cl.workers[0], 30*time.Second) {
		t.Errorf("drained worker %s still holds layers", cl.ids[0])
	}
	if code, body := waitStatus(cl.coordHTTP+"/readyz", 200, time.Minute); code != 200 {
		t.Errorf("coordinator not ready after the drain: %d %q", code, body)
	}
}

// drained waits until the worker has exited cleanly (it left the cluster) or its /status
// reports no layers.
func drained(t *testing.T, p *proc, base string, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case <-p.exited:
			if p.err != nil {
				t.Errorf("drained worker exited with %v", p.err)
			}
			return true
		default:
		}
		if code, _ := get(base + "/status"); code == 200 && !workerLoaded(t, base) {
			return true
		}
	}
	return false
}
