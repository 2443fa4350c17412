package frontend

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func newHTTPServer(t *testing.T, b Backend, cfg HTTPConfig) *httptest.Server {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLog
	}
	srv := httptest.NewServer(NewHTTPHandler(b, cfg))
	t.Cleanup(srv.Close)
	return srv
}

// do sends one request and returns the response with its whole body.
func do(t *testing.T, srv *httptest.Server, method, path, body string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp, data
}

func post(t *testing.T, srv *httptest.Server, path, body string) (*http.Response, []byte) {
	t.Helper()
	return do(t, srv, http.MethodPost, path, body, nil)
}

// decodeStrict unmarshals data into v and fails on unknown fields.
func decodeStrict(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
}

// openAIError is the error body as a client parses it.
type openAIError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

// checkError asserts an OpenAI-shaped error: status, type, code and param
// ("" for null), with exactly the four keys and a non-empty message.
func checkError(t *testing.T, resp *http.Response, data []byte, status int, typ, code, param string) openAIError {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, data)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	e := checkErrorShape(t, data)
	if e.Error.Type != typ || deref(e.Error.Code) != code || deref(e.Error.Param) != param {
		t.Fatalf("error %s: want type %q code %q param %q", data, typ, code, param)
	}
	return e
}

// checkErrorShape asserts data is {"error":{...}} with exactly the keys
// message, type, param and code, and a non-empty message and type.
func checkErrorShape(t *testing.T, data []byte) openAIError {
	t.Helper()
	var keys struct{ Error map[string]json.RawMessage }
	if err := json.Unmarshal(data, &keys); err != nil || len(keys.Error) != 4 {
		t.Fatalf("error body %s: want exactly message, type, param, code (err %v)", data, err)
	}
	var e openAIError
	decodeStrict(t, data, &e)
	if e.Error.Message == "" || e.Error.Type == "" {
		t.Fatalf("error body %s: empty message or type", data)
	}
	return e
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// parseSSE splits a server-sent event stream into its data payloads. It
// requires every event to be a single "data: " line, the last to be
// [DONE], and nothing after it; the [DONE] is not returned.
func parseSSE(t *testing.T, body []byte) []json.RawMessage {
	t.Helper()
	text := string(body)
	if !strings.HasSuffix(text, "data: [DONE]\n\n") {
		t.Fatalf("stream does not end with data: [DONE]: %q", text)
	}
	var events []json.RawMessage
	for _, ev := range strings.Split(strings.TrimSuffix(text, "data: [DONE]\n\n"), "\n\n") {
		if ev == "" {
			continue
		}
		payload, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(payload, "\n") {
			t.Fatalf("malformed event %q", ev)
		}
		if !json.Valid([]byte(payload)) {
			t.Fatalf("event is not JSON: %q", payload)
		}
		events = append(events, json.RawMessage(payload))
	}
	return events
}

// flushRecorder is a ResponseWriter that counts flushes.
type flushRecorder struct {
	header  http.Header
	body    bytes.Buffer
	status  int
	flushes int
}

func newFlushRecorder() *flushRecorder { return &flushRecorder{header: http.Header{}} }

func (r *flushRecorder) Header() http.Header         { return r.header }
func (r *flushRecorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *flushRecorder) WriteHeader(status int)      { r.status = status }
func (r *flushRecorder) Flush()                      { r.flushes++ }
