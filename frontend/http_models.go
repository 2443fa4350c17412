package frontend

import (
	"context"
	"net/http"
	"time"
)

const ownedBy = "hymbaserve"

func (h *httpAPI) modelObject(info ModelInfo) modelJSON {
	return modelJSON{ID: info.Name, Object: "model", Created: h.created, OwnedBy: ownedBy, MaxModelLen: info.ContextLength}
}

func (h *httpAPI) listModels(w http.ResponseWriter, r *http.Request) {
	info := h.b.Model()
	writeJSON(w, http.StatusOK, modelListJSON{Object: "list", Data: []modelJSON{h.modelObject(info)}})
}

func (h *httpAPI) getModel(w http.ResponseWriter, r *http.Request) {
	info := h.b.Model()
	if name := r.PathValue("model"); name != info.Name {
		h.fail(w, r, modelNotFound(name, info.Name))
		return
	}
	writeJSON(w, http.StatusOK, h.modelObject(info))
}

type probeJSON struct {
	Status string `json:"status"`
}

// healthz reports liveness: the process serves HTTP.
func (h *httpAPI) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, probeJSON{Status: "ok"})
}

// readyz reports readiness: the backend answers Status and says it is ready.
func (h *httpAPI) readyz(w http.ResponseWriter, r *http.Request) {
	if err := backendReady(r.Context(), h.b, h.ready); err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, probeJSON{Status: "ready"})
}

// backendReady returns nil when b reports ready within timeout, else an
// ErrUnavailable error with code not_ready.
func backendReady(ctx context.Context, b Backend, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	st, err := b.Status(ctx)
	switch {
	case err != nil:
		return &Error{Kind: ErrUnavailable, Code: "not_ready", Msg: "not ready: backend status: " + err.Error()}
	case st == nil || !st.Ready:
		return &Error{Kind: ErrUnavailable, Code: "not_ready", Msg: "not ready: the cluster cannot serve requests yet"}
	}
	return nil
}
