package cluster

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

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
}
