package worker

import (
	"encoding/json"
	"net/http"
)

// HealthHandler serves /healthz (the process is up: always 200), /readyz (200 once the worker
// has adopted a plan and loaded the layers it gives it; 503 before, and after a failed load) and /status (the worker's own report, JSON).
func (w *Worker) HealthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(rw http.ResponseWriter, _ *http.Request) {
		st := w.Status()
		w.mu.Lock()
		inPlan := w.plan != nil
		w.mu.Unlock()
		if !inPlan || st.LoadError != "" {
			http.Error(rw, "not ready: no plan adopted or layers not loaded", http.StatusServiceUnavailable)
			return
		}
		rw.Write([]byte("ready\n"))
	})
	mux.HandleFunc("GET /status", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		json.NewEncoder(rw).Encode(w.Status())
	})
	return mux
}
