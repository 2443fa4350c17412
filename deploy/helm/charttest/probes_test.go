package charttest

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// probe is one HTTP probe of a container.
type probe struct {
	kind, path string
}

func httpProbes(c *corev1.Container) []probe {
	var ps []probe
	for _, p := range []struct {
		kind string
		p    *corev1.Probe
	}{{"startup", c.StartupProbe}, {"liveness", c.LivenessProbe}, {"readiness", c.ReadinessProbe}} {
		if p.p != nil && p.p.HTTPGet != nil {
			ps = append(ps, probe{p.kind, p.p.HTTPGet.Path})
		}
	}
	return ps
}

// checkProbesServed GETs every HTTP probe path of c from base (http://HOST:PORT of the port
// the probes name) until it answers 200, for up to a minute each. As a control, the probe
// path with a suffix must not answer 200, so the server does tell paths apart.
func checkProbesServed(t *testing.T, c *corev1.Container, base string) {
	t.Helper()
	ps := httpProbes(c)
	if len(ps) == 0 {
		t.Fatalf("container %s has no HTTP probes", c.Name)
	}
	for _, p := range ps {
		code, body := waitStatus(base+p.path, http.StatusOK, time.Minute)
		if code != http.StatusOK {
			t.Errorf("%s %s probe: GET %s: %d %q", c.Name, p.kind, p.path, code, body)
		}
		if code, _ := get(base + p.path + "-no-such-endpoint"); code == http.StatusOK {
			t.Errorf("%s: GET %s-no-such-endpoint answers 200 too: the probe check proves nothing", c.Name, p.path)
		}
	}
}

// waitStatus polls url until it answers want or timeout passes; it returns the last answer.
func waitStatus(url string, want int, timeout time.Duration) (int, string) {
	deadline := time.Now().Add(timeout)
	for {
		code, body := get(url)
		if code == want || time.Now().After(deadline) {
			return code, body
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(url string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err.Error()
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	return res.StatusCode, string(b)
}
