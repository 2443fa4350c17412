package cluster

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hymbaserve/hymbaserve/client"
	"github.com/hymbaserve/hymbaserve/shard"
)

// TestClusterHTTPErrors sends the OpenAI API's error cases to a running cluster and checks the
// status codes and the error shape, then a good request.
func TestClusterHTTPErrors(t *testing.T) {
	d, _ := startDev(t, DevOptions{Workers: 1, ModelDir: tinyDir, Plan: shard.Options{Stages: 1}})
	url := "http://" + d.Coordinator.Servers.HTTPAddr
	long := strings.Repeat("5,", 9000) + "5"
	cases := []struct {
		name, path, body string
		status           int
		errType          string
	}{
		{"bad json", "/v1/completions", `{"prompt": [1,2`, 400, "invalid_request_error"},
		{"unknown model", "/v1/completions", `{"model":"gpt-9","prompt":[1,2]}`, 404, "invalid_request_error"},
		{"max_tokens too large", "/v1/completions", `{"prompt":[1,2],"max_tokens":100000}`, 400, "invalid_request_error"},
		{"prompt longer than the context", "/v1/completions", `{"prompt":[` + long + `]}`, 400, "invalid_request_error"},
		{"text prompt without a tokenizer", "/v1/completions", `{"prompt":"hello"}`, 400, "invalid_request_error"},
		{"token outside the vocabulary", "/v1/completions", `{"prompt":[1,100000]}`, 400, "invalid_request_error"},
	}
	for _, c := range cases {
		resp, err := http.Post(url+c.path, "application/json", strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Error struct{ Message, Type string } `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != c.status || err != nil || e.Error.Type != c.errType || e.Error.Message == "" {
			t.Errorf("%s: status %d, error %+v (%v); want %d %s", c.name, resp.StatusCode, e.Error, err, c.status, c.errType)
		}
	}
	resp, err := http.Post(url+"/v1/completions", "application/json", strings.NewReader(`{"prompt":[1,5,9],"max_tokens":4,"temperature":0}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"completion_tokens":4`) {
		t.Fatalf("good request: %d %s", resp.StatusCode, b)
	}
	resp, err = http.Get("http://" + d.Coordinator.Servers.HTTPAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"hymbaserve_ready 1", "hymbaserve_generated_tokens_total 4", "hymbaserve_requests_total", `hymbaserve_worker_state_bytes{worker="worker-1"}`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, b)
		}
	}
}

// TestAdmissionByMemory gives one worker memory for its weights and about two sequences: eight
// concurrent requests all complete (queued, then admitted as others finish) with the tokens
// each gives alone, and a request that could never fit is refused with a clear error.
func TestAdmissionByMemory(t *testing.T) {
	m := localModel(t)
	cfg := m.Cfg
	costs := shard.LayerCosts(cfg, shard.Options{WeightBytes: 4, StateBytes: 4, MaxSeqs: 1, ContextLen: 70 + cfg.NumMemoryTokens})
	var perSeq int64
	for _, c := range costs[:cfg.NumHiddenLayers] {
		perSeq += c.StateBytesPerSeq
	}
	d, c := startDev(t, DevOptions{Workers: 1, ModelDir: tinyDir, WorkerMem: m.WeightBytes() + perSeq*5/2,
		Plan: shard.Options{Stages: 1, MaxSeqs: 1, ContextLen: 80}})
	lens := []int{3, 8, 13, 18, 23, 28, 33, 38}
	var wg sync.WaitGroup
	got := make([][]int, len(lens))
	errs := make([]error, len(lens))
	for i, n := range lens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := c.Generate(context.Background(), client.IDsRequest(prompt(n, i), 70-n), nil)
			got[i], errs[i] = res.IDs, err
		}()
	}
	wg.Wait()
	for i, n := range lens {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if want := greedyLocal(t, m, prompt(n, i), 70-n); !slices.Equal(got[i], want) {
			t.Fatalf("request %d: %v, alone %v", i, got[i], want)
		}
	}
	url := "http://" + d.Coordinator.Servers.HTTPAddr + "/v1/completions"
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"prompt":[1,2,3],"max_tokens":4000}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), "offers") {
		t.Fatalf("a request beyond the memory: %d %s", resp.StatusCode, b)
	}
}
