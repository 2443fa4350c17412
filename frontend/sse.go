package frontend

import (
	"encoding/json"
	"net/http"
)

// sseWriter writes a server-sent event stream of JSON objects, each as
// "data: <json>\n\n", ended by "data: [DONE]\n\n". The 200 status goes out
// with the first event, so a request that fails before any output still
// gets a plain JSON error with its proper status.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
	err     error // first write error; later writes are skipped
}

func newSSEWriter(w http.ResponseWriter) *sseWriter {
	return &sseWriter{w: w, rc: http.NewResponseController(w)}
}

// begin sends the status and headers once.
func (s *sseWriter) begin() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // tell proxies not to buffer the stream
	s.w.WriteHeader(http.StatusOK)
}

// send writes one event and flushes it.
func (s *sseWriter) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.write(append(append([]byte("data: "), b...), '\n', '\n'))
}

// done writes the terminating [DONE] event.
func (s *sseWriter) done() error {
	return s.write([]byte("data: [DONE]\n\n"))
}

func (s *sseWriter) write(b []byte) error {
	s.begin()
	if s.err != nil {
		return s.err
	}
	if _, err := s.w.Write(b); err != nil {
		s.err = err
		return err
	}
	if err := s.rc.Flush(); err != nil {
		s.err = err
	}
	return s.err
}
