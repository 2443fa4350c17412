package charttest

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runStandby starts a second coordinator with the rendered arguments next to the serving one:
// it must answer /readyz 200 (it reaches the leader, which the Deployment's rollout and the
// coordinator PodDisruptionBudget count on) and serve a completion by forwarding it.
func runStandby(t *testing.T, bin string, r *rendering, cl *cluster) {
	c := startProc(t, filepath.Join(bin, "coordinator"), renderedArgs(t, r.cc, merge(cl.ep, map[string]string{
		"--id": "charttest-c1", "--grpc": "127.0.0.1:0", "--http": "127.0.0.1:0", "--advertise-grpc": ""}))...)
	base := "http://" + c.waitFor(t, httpLine, 60*time.Second)
	if code, body := waitStatus(base+"/readyz", 200, time.Minute); code != 200 {
		t.Fatalf("standby /readyz: %d %q", code, body)
	}
	res, err := http.Post(base+"/v1/completions", "application/json", strings.NewReader(`{"prompt":[1,5,9],"max_tokens":3,"temperature":0}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"completion_tokens":3`) {
		t.Errorf("completion through the standby: %d %s", res.StatusCode, body)
	}
}
