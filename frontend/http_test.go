package frontend

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

type usageResp struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type completionResp struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int     `json:"index"`
		Text         string  `json:"text"`
		Logprobs     any     `json:"logprobs"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usageResp `json:"usage"`
}

type chatResp struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message *struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		Delta *struct {
			Role    string  `json:"role"`
			Content *string `json:"content"`
		} `json:"delta"`
		Logprobs     any     `json:"logprobs"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usageResp `json:"usage"`
}

func TestModels(t *testing.T) {
	b := newTestBackend()
	srv := newHTTPServer(t, b, HTTPConfig{})
	resp, data := do(t, srv, http.MethodGet, "/v1/models", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/models: %d %s", resp.StatusCode, data)
	}
	var list struct {
		Object string      `json:"object"`
		Data   []modelJSON `json:"data"`
	}
	decodeStrict(t, data, &list)
	if list.Object != "list" || len(list.Data) != 1 {
		t.Fatalf("models %s", data)
	}
	m := list.Data[0]
	if m.ID != b.info.Name || m.Object != "model" || m.OwnedBy != ownedBy || m.Created == 0 || m.MaxModelLen != 64 {
		t.Errorf("model %+v", m)
	}
	resp, data = do(t, srv, http.MethodGet, "/v1/models/"+b.info.Name, "", nil) // the name holds a slash
	var one modelJSON
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET model: %d %s", resp.StatusCode, data)
	}
	if decodeStrict(t, data, &one); one != m {
		t.Errorf("GET model %+v, want %+v", one, m)
	}
	resp, data = do(t, srv, http.MethodGet, "/v1/models/gpt-4", "", nil)
	checkError(t, resp, data, http.StatusNotFound, "invalid_request_error", "model_not_found", "model")
	if resp, _ = do(t, srv, http.MethodHead, "/v1/models", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD /v1/models: %d", resp.StatusCode)
	}
}

func TestCompletionPromptForms(t *testing.T) {
	tests := []struct {
		name   string
		prompt string
		text   string
		ids    []int
	}{
		{"string", `"Hello"`, "Hello", nil},
		{"empty string", `""`, "", nil},
		{"list of one string", `["Hello"]`, "Hello", nil},
		{"token ids", `[1, 15043, 0]`, "", []int{1, 15043, 0}},
		{"list of one id list", `[[1, 22]]`, "", []int{1, 22}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newTestBackend()
			srv := newHTTPServer(t, b, HTTPConfig{})
			resp, data := post(t, srv, "/v1/completions", `{"model":"nvidia/Hymba-1.5B-Instruct","prompt":`+tc.prompt+`}`)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, data)
			}
			got := b.lastRequest()
			if got.Prompt != tc.text || !reflect.DeepEqual(got.PromptIDs, tc.ids) || got.Chat {
				t.Errorf("backend got prompt %q ids %v chat %v", got.Prompt, got.PromptIDs, got.Chat)
			}
			var out completionResp
			decodeStrict(t, data, &out)
			want := len(tc.ids)
			if tc.ids == nil {
				want = len(tc.text) + 1
			}
			if out.Usage == nil || out.Usage.PromptTokens != want {
				t.Errorf("usage %+v, want %d prompt tokens", out.Usage, want)
			}
		})
	}
}

func TestCompletionWhole(t *testing.T) {
	b := newTestBackend()
	srv := newHTTPServer(t, b, HTTPConfig{})
	resp, data := do(t, srv, http.MethodPost, "/v1/completions",
		`{"model":"nvidia/Hymba-1.5B-Instruct","prompt":"Hi","max_tokens":5,"temperature":0.5,"top_p":0.9,
		  "top_k":40,"repetition_penalty":1.1,"seed":42,"stop":"zz","n":1,"user":"u1","presence_penalty":0}`,
		http.Header{"X-Request-Id": {"trace-1"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	var out completionResp
	decodeStrict(t, data, &out)
	if out.ID != "cmpl-trace-1" || out.Object != "text_completion" || out.Model != b.info.Name || out.Created == 0 {
		t.Errorf("envelope %+v", out)
	}
	if resp.Header.Get("X-Request-Id") != "trace-1" {
		t.Errorf("X-Request-Id %q", resp.Header.Get("X-Request-Id"))
	}
	if len(out.Choices) != 1 || out.Choices[0].Text != wordsText(5) || deref(out.Choices[0].FinishReason) != "length" {
		t.Fatalf("choices %s", data)
	}
	if *out.Usage != (usageResp{3, 5, 8}) {
		t.Errorf("usage %+v", *out.Usage)
	}
	seed := uint64(42)
	want := Request{Prompt: "Hi", MaxTokens: 5, Temperature: 0.5, TopP: 0.9, TopK: 40, RepetitionPenalty: 1.1,
		Seed: &seed, Stop: []string{"zz"}, ID: "trace-1"}
	if got := b.lastRequest(); !reflect.DeepEqual(*got, want) {
		t.Errorf("backend request\n got %+v\nwant %+v", *got, want)
	}
}

func TestDefaults(t *testing.T) {
	b := newTestBackend()
	srv := newHTTPServer(t, b, HTTPConfig{})
	post(t, srv, "/v1/completions", `{"prompt":"x"}`)
	got := b.lastRequest()
	if got.MaxTokens != defaultCompletionMaxTokens || got.Temperature != 1 || got.TopP != 1 || got.TopK != 0 ||
		got.RepetitionPenalty != 1 || got.Seed != nil || len(got.ID) != 24 {
		t.Errorf("completion defaults %+v", *got)
	}
	resp, _ := do(t, srv, http.MethodPost, "/v1/completions", `{"prompt":"x"}`, http.Header{"X-Request-Id": {"bad id;drop"}})
	if id := b.lastRequest().ID; !validRequestID(id) || resp.Header.Get("X-Request-Id") != id {
		t.Errorf("malformed X-Request-Id: backend id %q, echoed %q", id, resp.Header.Get("X-Request-Id"))
	}
	post(t, srv, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"top_k":-1}`)
	if got = b.lastRequest(); got.MaxTokens != b.info.MaxTokens || got.TopK != 0 {
		t.Errorf("chat defaults %+v", *got)
	}
	post(t, srv, "/v1/chat/completions", `{"messages":[{"role":"user","content":"x"}],"max_completion_tokens":3}`)
	if got = b.lastRequest(); got.MaxTokens != 3 {
		t.Errorf("max_completion_tokens: MaxTokens %d", got.MaxTokens)
	}
}

func TestChatWhole(t *testing.T) {
	b := newTestBackend()
	b.eos = 4
	srv := newHTTPServer(t, b, HTTPConfig{})
	resp, data := post(t, srv, "/v1/chat/completions", `{"model":"nvidia/Hymba-1.5B-Instruct","messages":[
		{"role":"system","content":"Be brief."},
		{"role":"developer","content":"No emoji."},
		{"role":"user","content":[{"type":"text","text":"Hi"},{"type":"text","text":"there"}]},
		{"role":"assistant","content":null},
		{"role":"tool","content":"42","tool_call_id":"c1"}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	var out chatResp
	decodeStrict(t, data, &out)
	if !strings.HasPrefix(out.ID, "chatcmpl-") || out.Object != "chat.completion" || out.Model != b.info.Name {
		t.Errorf("envelope %s", data)
	}
	c := out.Choices
	if len(c) != 1 || c[0].Message == nil || c[0].Message.Role != "assistant" || c[0].Message.Content != wordsText(4) ||
		deref(c[0].FinishReason) != "stop" || c[0].Delta != nil {
		t.Fatalf("choices %s", data)
	}
	want := []Message{{"system", "Be brief."}, {"system", "No emoji."}, {"user", "Hi\nthere"}, {"assistant", ""}, {"tool", "42"}}
	if got := b.lastRequest(); !got.Chat || !reflect.DeepEqual(got.Messages, want) || got.Prompt != "" || got.PromptIDs != nil {
		t.Errorf("backend request %+v", *got)
	}
	if out.Usage == nil || out.Usage.CompletionTokens != 4 || out.Usage.TotalTokens != out.Usage.PromptTokens+4 {
		t.Errorf("usage %+v", out.Usage)
	}
}

func TestStopString(t *testing.T) {
	b := newTestBackend()
	srv := newHTTPServer(t, b, HTTPConfig{})
	_, data := post(t, srv, "/v1/completions", `{"prompt":"x","max_tokens":10,"stop":["nope","w3"]}`)
	var out completionResp
	decodeStrict(t, data, &out)
	if out.Choices[0].Text != wordsText(3) || deref(out.Choices[0].FinishReason) != "stop" {
		t.Errorf("stop: %s", data)
	}
}

func TestHealthAndReady(t *testing.T) {
	b := newTestBackend()
	srv := newHTTPServer(t, b, HTTPConfig{})
	for _, path := range []string{"/healthz", "/readyz"} {
		if resp, data := do(t, srv, http.MethodGet, path, "", nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", path, resp.StatusCode, data)
		}
	}
	b.setReady(false)
	resp, data := do(t, srv, http.MethodGet, "/readyz", "", nil)
	checkError(t, resp, data, http.StatusServiceUnavailable, "service_unavailable_error", "not_ready", "")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if resp, data := do(t, srv, http.MethodGet, "/healthz", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz while not ready: %d %s", resp.StatusCode, data)
	}
	b.statusErr = ErrUnavailable
	resp, data = do(t, srv, http.MethodGet, "/readyz", "", nil)
	checkError(t, resp, data, http.StatusServiceUnavailable, "service_unavailable_error", "not_ready", "")
}

func TestAPIKey(t *testing.T) {
	b := newTestBackend()
	srv := newHTTPServer(t, b, HTTPConfig{APIKeys: []string{"k1", "k2"}})
	body := `{"prompt":"x","max_tokens":1}`
	for _, auth := range []string{"", "Bearer nope", "k2", "Basic k2"} {
		resp, data := do(t, srv, http.MethodPost, "/v1/completions", body, http.Header{"Authorization": {auth}})
		checkError(t, resp, data, http.StatusUnauthorized, "authentication_error", "invalid_api_key", "")
	}
	resp, data := do(t, srv, http.MethodPost, "/v1/completions", body, http.Header{"Authorization": {"Bearer k2"}})
	if resp.StatusCode != http.StatusOK {
		t.Errorf("with key: %d %s", resp.StatusCode, data)
	}
	if resp, _ := do(t, srv, http.MethodGet, "/readyz", "", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz must not need a key: %d", resp.StatusCode)
	}
}

// roundTrip checks the test helpers' JSON types match what the server writes.
func TestResponseTypesMarshal(t *testing.T) {
	s := newShape(true, "id", "m", 1)
	b, err := json.Marshal(s.whole("t", Result{FinishReason: "stop"}))
	if err != nil {
		t.Fatal(err)
	}
	var out chatResp
	decodeStrict(t, b, &out)
}
