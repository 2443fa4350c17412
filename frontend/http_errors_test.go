package frontend

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestHTTPRequestErrors(t *testing.T) {
	ids := make([]string, 64)
	for i := range ids {
		ids[i] = "5"
	}
	longIDs := "[" + strings.Join(ids, ",") + "]"
	tests := []struct {
		name, path, body string
		status           int
		code, param      string
	}{
		{"bad JSON", "/v1/completions", `{"prompt": "x",`, 400, "invalid_request", ""},
		{"not JSON", "/v1/chat/completions", `hello`, 400, "invalid_request", ""},
		{"empty body", "/v1/completions", ``, 400, "invalid_request", ""},
		{"JSON array body", "/v1/completions", `[1,2]`, 400, "invalid_request", ""},
		{"trailing data", "/v1/completions", `{"prompt":"x"} {}`, 400, "invalid_request", ""},
		{"wrong field type", "/v1/completions", `{"prompt":"x","max_tokens":"ten"}`, 400, "invalid_request", "max_tokens"},
		{"negative seed", "/v1/completions", `{"prompt":"x","seed":-1}`, 400, "invalid_request", "seed"},
		{"fractional max_tokens", "/v1/completions", `{"prompt":"x","max_tokens":1.5}`, 400, "invalid_request", "max_tokens"},
		{"unknown model", "/v1/completions", `{"model":"gpt-4","prompt":"x"}`, 404, "model_not_found", "model"},
		{"unknown chat model", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, 404, "model_not_found", "model"},
		{"max_tokens too large", "/v1/completions", `{"prompt":"x","max_tokens":49}`, 400, "invalid_request", "max_tokens"},
		{"max_tokens zero", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"max_tokens":0}`, 400, "invalid_request", "max_tokens"},
		{"ids beyond context", "/v1/completions", `{"prompt":` + longIDs + `}`, 400, "context_length_exceeded", "prompt"},
		{"text beyond context", "/v1/completions", `{"prompt":"` + strings.Repeat("a", 63) + `"}`, 400, "context_length_exceeded", "prompt"},
		{"chat beyond context", "/v1/chat/completions", `{"messages":[{"role":"user","content":"` + strings.Repeat("a", 62) + `"}]}`, 400, "context_length_exceeded", "prompt"},
		{"n=2", "/v1/completions", `{"prompt":"x","n":2}`, 400, "invalid_request", "n"},
		{"missing prompt", "/v1/completions", `{"max_tokens":3}`, 400, "invalid_request", "prompt"},
		{"two prompts", "/v1/completions", `{"prompt":["a","b"]}`, 400, "invalid_request", "prompt"},
		{"two id lists", "/v1/completions", `{"prompt":[[1],[2]]}`, 400, "invalid_request", "prompt"},
		{"empty prompt list", "/v1/completions", `{"prompt":[]}`, 400, "invalid_request", "prompt"},
		{"empty id list", "/v1/completions", `{"prompt":[[]]}`, 400, "invalid_request", "prompt"},
		{"mixed prompt list", "/v1/completions", `{"prompt":[1,"a"]}`, 400, "invalid_request", "prompt"},
		{"object prompt", "/v1/completions", `{"prompt":{"a":1}}`, 400, "invalid_request", "prompt"},
		{"id out of vocab", "/v1/completions", `{"prompt":[1,32001]}`, 400, "invalid_request", "prompt"},
		{"negative id", "/v1/completions", `{"prompt":[-1]}`, 400, "invalid_request", "prompt"},
		{"negative temperature", "/v1/completions", `{"prompt":"x","temperature":-0.1}`, 400, "invalid_request", "temperature"},
		{"top_p zero", "/v1/completions", `{"prompt":"x","top_p":0}`, 400, "invalid_request", "top_p"},
		{"top_p above 1", "/v1/completions", `{"prompt":"x","top_p":1.5}`, 400, "invalid_request", "top_p"},
		{"top_k negative", "/v1/completions", `{"prompt":"x","top_k":-2}`, 400, "invalid_request", "top_k"},
		{"repetition_penalty zero", "/v1/completions", `{"prompt":"x","repetition_penalty":0}`, 400, "invalid_request", "repetition_penalty"},
		{"temperature overflow", "/v1/completions", `{"prompt":"x","temperature":1e40}`, 400, "invalid_request", "temperature"},
		{"stop not string", "/v1/completions", `{"prompt":"x","stop":5}`, 400, "invalid_request", "stop"},
		{"stop list of numbers", "/v1/completions", `{"prompt":"x","stop":[5]}`, 400, "invalid_request", "stop"},
		{"empty stop", "/v1/completions", `{"prompt":"x","stop":[""]}`, 400, "invalid_request", "stop"},
		{"too many stops", "/v1/completions", `{"prompt":"x","stop":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}`, 400, "invalid_request", "stop"},
		{"echo", "/v1/completions", `{"prompt":"x","echo":true}`, 400, "invalid_request", "echo"},
		{"logprobs", "/v1/completions", `{"prompt":"x","logprobs":2}`, 400, "invalid_request", "logprobs"},
		{"best_of", "/v1/completions", `{"prompt":"x","best_of":3}`, 400, "invalid_request", "best_of"},
		{"presence penalty", "/v1/completions", `{"prompt":"x","presence_penalty":0.5}`, 400, "invalid_request", "presence_penalty"},
		{"logit_bias", "/v1/completions", `{"prompt":"x","logit_bias":{"5":1}}`, 400, "invalid_request", "logit_bias"},
		{"no messages", "/v1/chat/completions", `{"messages":[]}`, 400, "invalid_request", "messages"},
		{"missing messages", "/v1/chat/completions", `{"prompt":"x"}`, 400, "invalid_request", "messages"},
		{"bad role", "/v1/chat/completions", `{"messages":[{"role":"bot","content":"x"}]}`, 400, "invalid_request", "messages[0].role"},
		{"null user content", "/v1/chat/completions", `{"messages":[{"role":"user","content":null}]}`, 400, "invalid_request", "messages[0].content"},
		{"image part", "/v1/chat/completions", `{"messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, 400, "invalid_request", "messages[0].content[0].type"},
		{"numeric content", "/v1/chat/completions", `{"messages":[{"role":"user","content":5}]}`, 400, "invalid_request", "messages[0].content"},
		{"tool calls", "/v1/chat/completions", `{"messages":[{"role":"assistant","tool_calls":[{"id":"1"}]}]}`, 400, "invalid_request", "messages[0].tool_calls"},
		{"tools", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]}`, 400, "invalid_request", "tools"},
		{"json mode", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}`, 400, "invalid_request", "response_format"},
		{"max_tokens disagree", "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"max_tokens":2,"max_completion_tokens":3}`, 400, "invalid_request", "max_completion_tokens"},
		{"messages not a list", "/v1/chat/completions", `{"messages":"hi"}`, 400, "invalid_request", "messages"},
	}
	srv := newHTTPServer(t, newTestBackend(), HTTPConfig{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, stream := range []string{"", `"stream":true,`} {
				body := tc.body
				if stream != "" && strings.HasPrefix(body, "{\"") {
					body = "{" + stream + body[1:]
				}
				resp, data := post(t, srv, tc.path, body)
				checkError(t, resp, data, tc.status, typeFor(tc.status), tc.code, tc.param)
			}
		})
	}
}

func typeFor(status int) string {
	if status == http.StatusNotFound || status == http.StatusBadRequest {
		return "invalid_request_error"
	}
	return ""
}

func TestHTTPProtocolErrors(t *testing.T) {
	srv := newHTTPServer(t, newTestBackend(), HTTPConfig{MaxBodyBytes: 1024})
	resp, data := do(t, srv, http.MethodGet, "/v1/completions", "", nil)
	checkError(t, resp, data, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", "")
	if resp.Header.Get("Allow") != http.MethodPost {
		t.Errorf("Allow %q", resp.Header.Get("Allow"))
	}
	resp, data = do(t, srv, http.MethodDelete, "/v1/models", "", nil)
	checkError(t, resp, data, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", "")
	resp, data = do(t, srv, http.MethodPost, "/healthz", "", nil)
	checkError(t, resp, data, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", "")
	for _, path := range []string{"/", "/v1/embeddings", "/v2/completions", "/v1/completions/x"} {
		resp, data = do(t, srv, http.MethodPost, path, "{}", nil)
		checkError(t, resp, data, http.StatusNotFound, "invalid_request_error", "unknown_url", "")
	}
	big := `{"prompt":"` + strings.Repeat("a", 2000) + `"}`
	resp, data = post(t, srv, "/v1/completions", big)
	checkError(t, resp, data, http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", "")
	trailing := `{"prompt":"x"}` + strings.Repeat(" ", 2000)
	resp, data = post(t, srv, "/v1/completions", trailing)
	checkError(t, resp, data, http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", "")
}

func TestBackendErrorMapping(t *testing.T) {
	tests := []struct {
		err         error
		status      int
		typ, code   string
		param       string
		retry       bool
		wantMessage string
	}{
		{Errorf(ErrInvalidRequest, "stop", "stop strings too long for the tokenizer"), 400, "invalid_request_error", "invalid_request", "stop", false, "stop strings too long for the tokenizer"},
		{fmt.Errorf("%w: prompt has 9000 tokens", ErrContextLength), 400, "invalid_request_error", "context_length_exceeded", "", false, "context length exceeded: prompt has 9000 tokens"},
		{fmt.Errorf("coordinator: %w", ErrOverloaded), 429, "rate_limit_error", "overloaded", "", true, ""},
		{ErrUnavailable, 503, "service_unavailable_error", "unavailable", "", true, "service unavailable"},
		{Errorf(ErrNotFound, "", "no such sequence"), 404, "invalid_request_error", "not_found", "", false, "no such sequence"},
		{errors.New("etcd: lease 42 lost at 10.0.0.3"), 500, "server_error", "internal_error", "", false, "internal server error"},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			b := newTestBackend()
			b.genErr = tc.err
			srv := newHTTPServer(t, b, HTTPConfig{})
			resp, data := post(t, srv, "/v1/completions", `{"prompt":"x"}`)
			e := checkError(t, resp, data, tc.status, tc.typ, tc.code, tc.param)
			if tc.wantMessage != "" && e.Error.Message != tc.wantMessage {
				t.Errorf("message %q, want %q", e.Error.Message, tc.wantMessage)
			}
			if got := resp.Header.Get("Retry-After") != ""; got != tc.retry {
				t.Errorf("Retry-After present %v, want %v", got, tc.retry)
			}
		})
	}
}

// Garbage bodies of every kind get a 4xx in the OpenAI error shape; the
// server keeps serving.
func TestGarbageBodies(t *testing.T) {
	bodies := []string{
		"\x00\x01\x02", "{", "}", `{"prompt":`, `{"prompt":"\ud800"}`, `{"prompt":"x"`, "null", "true", "1e999",
		`{"messages":[null]}`, `{"messages":[{"role":null}]}`, `{"messages":{"role":"user"}}`,
		`{"prompt":[[[1]]]}`, `{"prompt":[null]}`, `{"prompt":[1e99]}`, `{"prompt":[1.0]}`,
		`{"stream_options":5,"prompt":"x"}`, `{"stop":{"a":1},"prompt":"x"}`, strings.Repeat("[", 10000),
		`{"prompt":"x","n":null,"max_tokens":null,"seed":null,"stop":null,"temperature":null}`,
	}
	srv := newHTTPServer(t, newTestBackend(), HTTPConfig{})
	for _, path := range []string{"/v1/completions", "/v1/chat/completions"} {
		for _, body := range bodies {
			resp, data := post(t, srv, path, body)
			if resp.StatusCode == http.StatusOK {
				continue // a few are valid for one endpoint
			}
			if resp.StatusCode < 400 || resp.StatusCode >= 500 {
				t.Errorf("%s %q: status %d", path, body, resp.StatusCode)
			}
			if e := checkErrorShape(t, data); e.Error.Type != "invalid_request_error" {
				t.Errorf("%s %q: error type %q", path, body, e.Error.Type)
			}
		}
	}
	if resp, _ := do(t, srv, http.MethodGet, "/healthz", "", nil); resp.StatusCode != http.StatusOK {
		t.Fatal("server stopped serving")
	}
}
