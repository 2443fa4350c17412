package frontend

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestCompletionStream(t *testing.T) {
	b := newTestBackend()
	srv := newHTTPServer(t, b, HTTPConfig{})
	resp, data := post(t, srv, "/v1/completions",
		`{"prompt":"Hi","max_tokens":6,"stream":true,"stream_options":{"include_usage":true}}`)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, Content-Type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	events := parseSSE(t, data)
	var text strings.Builder
	var ids []string
	for i, ev := range events {
		var c completionResp
		decodeStrict(t, ev, &c)
		ids = append(ids, c.ID)
		if c.Object != "text_completion" || c.Model != b.info.Name {
			t.Errorf("event %d envelope: %s", i, ev)
		}
		switch {
		case i == len(events)-1: // usage chunk
			if len(c.Choices) != 0 || c.Usage == nil || *c.Usage != (usageResp{3, 6, 9}) {
				t.Errorf("usage chunk %s", ev)
			}
		case i == len(events)-2: // finish chunk
			if len(c.Choices) != 1 || deref(c.Choices[0].FinishReason) != "length" || c.Choices[0].Text != "" {
				t.Errorf("finish chunk %s", ev)
			}
		default:
			if len(c.Choices) != 1 || c.Choices[0].FinishReason != nil || c.Choices[0].Text == "" || c.Usage != nil {
				t.Errorf("text chunk %s", ev)
			}
			text.WriteString(c.Choices[0].Text)
		}
	}
	if text.String() != wordsText(6) {
		t.Errorf("streamed text %q, want %q", text.String(), wordsText(6))
	}
	for _, id := range ids {
		if id != ids[0] || !strings.HasPrefix(id, "cmpl-") {
			t.Errorf("chunk ids %v differ or lack cmpl-", ids)
			break
		}
	}
}

func TestChatStream(t *testing.T) {
	b := newTestBackend()
	b.eos = 3
	srv := newHTTPServer(t, b, HTTPConfig{})
	resp, data := post(t, srv, "/v1/chat/completions", `{"messages":[{"role":"user","content":"Hi"}],"stream":true}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	events := parseSSE(t, data)
	var chunks []chatResp
	for _, ev := range events {
		var c chatResp
		decodeStrict(t, ev, &c)
		if c.Object != "chat.completion.chunk" || len(c.Choices) != 1 || c.Choices[0].Message != nil || c.Usage != nil {
			t.Fatalf("chunk %s", ev)
		}
		chunks = append(chunks, c)
	}
	first, last := chunks[0].Choices[0], chunks[len(chunks)-1].Choices[0]
	if first.Delta.Role != "assistant" || first.Delta.Content == nil || *first.Delta.Content != "" || first.FinishReason != nil {
		t.Errorf("first chunk %s, want the assistant role with empty content", events[0])
	}
	if deref(last.FinishReason) != "stop" || last.Delta == nil || last.Delta.Content != nil || last.Delta.Role != "" {
		t.Errorf("last chunk %s, want an empty delta with finish_reason stop", events[len(events)-1])
	}
	var text strings.Builder
	for _, c := range chunks[1 : len(chunks)-1] {
		d := c.Choices[0]
		if d.Delta.Role != "" || d.Delta.Content == nil || *d.Delta.Content == "" || d.FinishReason != nil {
			t.Errorf("content chunk %+v", d)
			continue
		}
		text.WriteString(*d.Delta.Content)
	}
	if text.String() != wordsText(3) {
		t.Errorf("streamed %q, want %q", text.String(), wordsText(3))
	}
}

// A stream that ends before any output still opens with the role chunk
// and closes with the finish chunk.
func TestChatStreamNoOutput(t *testing.T) {
	srv := newHTTPServer(t, newTestBackend(), HTTPConfig{})
	_, data := post(t, srv, "/v1/chat/completions",
		`{"messages":[{"role":"user","content":"Hi"}],"stream":true,"stop":"w0"}`)
	events := parseSSE(t, data)
	if len(events) != 2 {
		t.Fatalf("events %s, want the role chunk and the finish chunk", data)
	}
	var last chatResp
	decodeStrict(t, events[1], &last)
	if deref(last.Choices[0].FinishReason) != "stop" {
		t.Errorf("finish chunk %s", events[1])
	}
}

// Errors after output has started arrive as an error event before [DONE].
func TestStreamErrorAfterOutput(t *testing.T) {
	b := newTestBackend()
	b.genErr, b.errAfter = Errorf(ErrUnavailable, "", "stage 2 lost"), 3
	srv := newHTTPServer(t, b, HTTPConfig{})
	resp, data := post(t, srv, "/v1/completions", `{"prompt":"Hi","max_tokens":8,"stream":true}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 (the stream had started)", resp.StatusCode)
	}
	events := parseSSE(t, data)
	var e openAIError
	decodeStrict(t, events[len(events)-1], &e)
	if e.Error.Type != "service_unavailable_error" || deref(e.Error.Code) != "unavailable" || e.Error.Message != "stage 2 lost" {
		t.Errorf("error event %s", events[len(events)-1])
	}
	for _, ev := range events[:len(events)-1] {
		var c completionResp
		decodeStrict(t, ev, &c)
		if c.Choices[0].FinishReason != nil {
			t.Errorf("finish_reason before the error: %s", ev)
		}
	}
}

// Errors before any output keep their status even when streaming.
func TestStreamErrorBeforeOutput(t *testing.T) {
	b := newTestBackend()
	b.genErr = ErrOverloaded
	srv := newHTTPServer(t, b, HTTPConfig{})
	resp, data := post(t, srv, "/v1/chat/completions", `{"messages":[{"role":"user","content":"Hi"}],"stream":true}`)
	checkError(t, resp, data, http.StatusTooManyRequests, "rate_limit_error", "overloaded", "")
	long := `"` + strings.Repeat("a", 80) + `"`
	resp, data = post(t, newHTTPServer(t, newTestBackend(), HTTPConfig{}), "/v1/completions", `{"stream":true,"prompt":`+long+`}`)
	checkError(t, resp, data, http.StatusBadRequest, "invalid_request_error", "context_length_exceeded", "prompt")
}

func TestSSEWriterFraming(t *testing.T) {
	rec := newFlushRecorder()
	w := newSSEWriter(rec)
	if err := w.send(map[string]string{"a": "line1\nline2"}); err != nil {
		t.Fatal(err)
	}
	w.done()
	got := rec.body.String()
	want := "data: {\"a\":\"line1\\nline2\"}\n\ndata: [DONE]\n\n"
	if got != want || rec.flushes != 2 {
		t.Errorf("wrote %q with %d flushes, want %q with 2", got, rec.flushes, want)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(strings.TrimPrefix(strings.Split(got, "\n\n")[0], "data: ")), &v); err != nil {
		t.Error(err)
	}
}
