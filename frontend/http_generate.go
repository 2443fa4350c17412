package frontend

import (
	"context"
	"io"
	"net/http"
	"strings"
)

func (h *httpAPI) completions(w http.ResponseWriter, r *http.Request) {
	h.serveGeneration(w, r, false, decodeCompletion)
}

func (h *httpAPI) chat(w http.ResponseWriter, r *http.Request) {
	h.serveGeneration(w, r, true, decodeChat)
}

type decodeFunc func(r io.Reader, info ModelInfo, id string) (httpCall, error)

func (h *httpAPI) serveGeneration(w http.ResponseWriter, r *http.Request, chat bool, decode decodeFunc) {
	id := h.requestID(w, r)
	info := h.b.Model()
	call, err := decode(r.Body, info, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s := newShape(chat, id, info.Name, h.created)
	if call.stream {
		h.stream(w, r, &call, s)
		return
	}
	var text strings.Builder
	res, err := h.b.Generate(r.Context(), &call.req, func(c Chunk) error {
		text.WriteString(c.Text)
		return nil
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.whole(text.String(), res.normalized()))
}

// stream runs the request and writes its output as server-sent events. If
// the client goes away, the write fails and the backend's context is
// cancelled.
func (h *httpAPI) stream(w http.ResponseWriter, r *http.Request, call *httpCall, s shape) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	run := &streamRun{h: h, r: r, sse: newSSEWriter(w), shape: s, call: call, cancel: cancel}
	res, err := h.b.Generate(ctx, &call.req, run.emit)
	run.end(res.normalized(), err)
}

// streamRun is one streamed response.
type streamRun struct {
	h      *httpAPI
	r      *http.Request
	sse    *sseWriter
	shape  shape
	call   *httpCall
	cancel context.CancelFunc
}

// open starts the stream with its opening chunk, once.
func (st *streamRun) open() error {
	if st.sse.started {
		return nil
	}
	st.sse.begin()
	if first, ok := st.shape.opening(); ok {
		return st.sse.send(first)
	}
	return nil
}

// emit is the backend's callback: one text chunk per event; chunks without
// text (an incomplete character) only open the stream.
func (st *streamRun) emit(c Chunk) error {
	err := st.open()
	if err == nil && c.Text != "" {
		err = st.sse.send(st.shape.text(c.Text))
	}
	if err != nil {
		st.cancel()
	}
	return err
}

// end writes the stream's tail: the finish chunk, the usage chunk when asked
// for, and [DONE]; after a failure, the error as an event and [DONE]. A
// failure before any output is a plain JSON error with its status instead.
func (st *streamRun) end(res Result, err error) {
	switch {
	case err != nil && !st.sse.started:
		st.h.fail(st.sse.w, st.r, err)
		return
	case err != nil:
		ae := describe(err)
		st.h.logFailure(st.r, ae, err, st.call.req.ID)
		st.sse.send(errorBody(ae))
	default:
		st.open()
		st.sse.send(st.shape.finish(res.FinishReason))
		if st.call.includeUsage {
			st.sse.send(st.shape.usage(res))
		}
	}
	if err := st.sse.done(); err != nil {
		st.h.log.Debug("stream ended early", "request_id", st.call.req.ID, "err", err)
	}
}
