package frontend

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	`{"model":"nvidia/Hymba-1.5B-Instruct","prompt":"Hello","max_tokens":4,"stream":true}`,
	`{"prompt":[1,2,3],"temperature":0,"top_k":-1,"seed":7,"stop":["\n"]}`,
	`{"prompt":[[5,6]],"top_p":0.5,"repetition_penalty":1.2,"stream_options":{"include_usage":true}}`,
	`{"prompt":["one"],"n":1,"user":{"id":1},"logprobs":null,"echo":false}`,
	`{"messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"t"}]}]}`,
	`{"messages":[{"role":"assistant","content":null,"tool_calls":[]}],"max_completion_tokens":2,"tools":[]}`,
	`{"messages":[{"role":"developer","content":"d"}],"response_format":{"type":"text"},"stream":true}`,
	`{"prompt":"x","max_tokens":1e3}`, `{"prompt":"\u0000"}`, `[`, `{"prompt":[-1]}`, `{"stop":[""]}`,
}

func fuzzInfo() ModelInfo {
	return ModelInfo{Name: "nvidia/Hymba-1.5B-Instruct", ContextLength: 64, VocabSize: 32001, MaxTokens: 48}
}

// checkDecoded asserts the decoder's contract: a client error of a known
// kind, or a request that meets every guarantee documented on Request.
func checkDecoded(t *testing.T, call httpCall, err error, chat bool) {
	var e *Error
	if err != nil {
		if !errors.As(err, &e) || describe(err).class.status >= 500 || e.Msg == "" {
			t.Fatalf("decoder error %v (%T) is not a client-facing *Error", err, err)
		}
		return
	}
	r := call.req
	if verr := validateRequest(&r, fuzzInfo()); verr != nil {
		t.Fatalf("accepted request fails validation: %v", verr)
	}
	if r.Chat != chat || (chat && len(r.Messages) == 0) || r.MaxTokens < 1 || r.MaxTokens > 48 {
		t.Fatalf("accepted request %+v", r)
	}
}

func FuzzDecodeCompletion(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		call, err := decodeCompletion(bytes.NewReader(body), fuzzInfo(), "fuzz")
		checkDecoded(t, call, err, false)
	})
}

func FuzzDecodeChat(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		call, err := decodeChat(bytes.NewReader(body), fuzzInfo(), "fuzz")
		checkDecoded(t, call, err, true)
	})
}

// FuzzHTTPHandler sends arbitrary bodies through the whole handler: the
// answer is a 200 (JSON or a well-formed event stream) or a 4xx OpenAI
// error, never a 5xx or a panic.
func FuzzHTTPHandler(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(false, []byte(s))
		f.Add(true, []byte(s))
	}
	h := NewHTTPHandler(newTestBackend(), HTTPConfig{Logger: quietLog, MaxBodyBytes: 4096})
	f.Fuzz(func(t *testing.T, chat bool, body []byte) {
		path := "/v1/completions"
		if chat {
			path = "/v1/chat/completions"
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
		checkHandlerOutput(t, rec)
	})
}

func checkHandlerOutput(t *testing.T, rec *httptest.ResponseRecorder) {
	out := rec.Body.Bytes()
	switch {
	case rec.Code == http.StatusOK && rec.Header().Get("Content-Type") == "text/event-stream":
		if !bytes.HasSuffix(out, []byte("data: [DONE]\n\n")) {
			t.Fatalf("stream without [DONE]: %q", out)
		}
	case rec.Code == http.StatusOK:
		if !json.Valid(out) {
			t.Fatalf("200 with invalid JSON: %q", out)
		}
	case rec.Code >= 400 && rec.Code < 500:
		var e openAIError
		if err := json.Unmarshal(out, &e); err != nil || e.Error.Message == "" || !strings.HasSuffix(e.Error.Type, "_error") {
			t.Fatalf("%d with body %q", rec.Code, out)
		}
	default:
		t.Fatalf("status %d: %q", rec.Code, out)
	}
}
