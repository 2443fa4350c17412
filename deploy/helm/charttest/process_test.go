package charttest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// buildBinaries builds the three commands the images hold into a temporary directory.
func buildBinaries(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/coordinator", "./cmd/worker", "./cmd/hymbactl")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// renderedArgs returns a container's rendered arguments in order, with the flags in over
// replaced (each must be rendered: the test replaces, it never adds).
func renderedArgs(t *testing.T, c *corev1.Container, over map[string]string) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	for _, a := range c.Args {
		name, _, _ := strings.Cut(a, "=")
		if v, ok := over[name]; ok {
			a, seen[name] = name+"="+v, true
		}
		out = append(out, a)
	}
	for name := range over {
		if !seen[name] {
			t.Fatalf("container %s: the chart does not render %s", c.Name, name)
		}
	}
	return out
}

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a running binary; it is interrupted when the test ends, and its output logged if
// the test failed.
type proc struct {
	out    syncBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // its Wait result, once exited
}

func startProc(t *testing.T, path string, args ...string) *proc {
	t.Helper()
	p := &proc{exited: make(chan struct{})}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("%s %s output:\n%s", filepath.Base(path), strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

// waitFor waits until the output matches re and returns the first submatch; it fails the
// test if the process exits first or timeout passes.
func (p *proc) waitFor(t *testing.T, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if m := re.FindStringSubmatch(p.out.String()); m != nil {
			return m[1]
		}
		select {
		case <-p.exited:
			t.Fatalf("process exited (%v) before printing a line matching %s", p.err, re)
		case <-deadline:
			t.Fatalf("no output matching %s within %v", re, timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// runScript runs a rendered `/bin/sh -c` script with the coordinator address replaced by
// addr, POD_NAME set and the built binaries first on PATH.
func runScript(t *testing.T, bin, script, k8sAddr, addr, pod string, timeout time.Duration) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", strings.ReplaceAll(script, k8sAddr, addr))
	cmd.Env = append(os.Environ(), "POD_NAME="+pod, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// workerLoaded reads a worker's /status and reports whether it holds layers.
func workerLoaded(t *testing.T, base string) bool {
	t.Helper()
	code, body := get(base + "/status")
	var st struct {
		Loaded bool `json:"loaded"`
	}
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
		t.Fatalf("GET %s/status: %d %q %v", base, code, body, err)
	}
	return st.Loaded
}
