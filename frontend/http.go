package frontend

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// HTTPConfig configures the OpenAI-compatible HTTP API.
type HTTPConfig struct {
	// Logger receives request failures; nil means slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds request bodies (413 beyond); 0 means 1 MiB.
	MaxBodyBytes int64
	// APIKeys, when any is set, makes /v1/ endpoints require the header
	// "Authorization: Bearer <key>" (401 otherwise). /healthz and /readyz
	// stay open for probes.
	APIKeys []string
	// Keys, when not nil, replaces APIKeys with a set that may change while
	// the handler serves (key rotation).
	Keys *KeySet
	// ReadyTimeout bounds the Backend.Status call behind /readyz; 0 means 2s.
	ReadyTimeout time.Duration
}

const (
	defaultMaxBodyBytes = 1 << 20
	defaultReadyTimeout = 2 * time.Second
	requestIDHeader     = "X-Request-Id"
)

// httpAPI serves the OpenAI-compatible API over a Backend.
type httpAPI struct {
	b       Backend
	log     *slog.Logger
	maxBody int64
	keys    *KeySet
	ready   time.Duration
	created int64 // unix seconds, reported as the model's creation time
	mux     *http.ServeMux
}

// NewHTTPHandler returns the OpenAI-compatible HTTP API over b:
// GET /v1/models, GET /v1/models/{model}, POST /v1/completions,
// POST /v1/chat/completions, GET /healthz and GET /readyz. Serve it with a
// net/http server whose WriteTimeout is 0 or longer than the longest stream.
func NewHTTPHandler(b Backend, cfg HTTPConfig) http.Handler {
	h := &httpAPI{
		b: b, log: cfg.Logger, maxBody: cfg.MaxBodyBytes, keys: keySetOf(cfg.Keys, cfg.APIKeys),
		ready: cfg.ReadyTimeout, created: time.Now().Unix(), mux: http.NewServeMux(),
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.maxBody <= 0 {
		h.maxBody = defaultMaxBodyBytes
	}
	if h.ready <= 0 {
		h.ready = defaultReadyTimeout
	}
	h.routes()
	return h
}

func (h *httpAPI) routes() {
	h.mux.Handle("/v1/models", h.v1(http.MethodGet, h.listModels))
	h.mux.Handle("/v1/models/{model...}", h.v1(http.MethodGet, h.getModel))
	h.mux.Handle("/v1/completions", h.v1(http.MethodPost, h.completions))
	h.mux.Handle("/v1/chat/completions", h.v1(http.MethodPost, h.chat))
	h.mux.Handle("/healthz", h.only(http.MethodGet, h.healthz))
	h.mux.Handle("/readyz", h.only(http.MethodGet, h.readyz))
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, &Error{Kind: ErrNotFound, Code: "unknown_url",
			Msg: "no such endpoint: " + r.Method + " " + r.URL.Path})
	})
}

func (h *httpAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// only admits one method (GET also admits HEAD); others get 405.
func (h *httpAPI) only(method string, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			h.fail(w, r, &Error{Kind: errMethodNotAllowed,
				Msg: r.Method + " is not allowed on " + r.URL.Path + "; use " + method})
			return
		}
		next(w, r)
	})
}

// v1 is only plus the API key check and the body size limit.
func (h *httpAPI) v1(method string, next http.HandlerFunc) http.Handler {
	return h.only(method, func(w http.ResponseWriter, r *http.Request) {
		if !h.keys.admits(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hymbaserve"`)
			h.fail(w, r, &Error{Kind: errUnauthenticated,
				Msg: "missing or invalid API key; send Authorization: Bearer <key>"})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
		next(w, r)
	})
}

// requestID takes a valid X-Request-Id from the client or makes one up, and
// echoes it in the response headers.
func (h *httpAPI) requestID(w http.ResponseWriter, r *http.Request) string {
	id := r.Header.Get(requestIDHeader)
	if !validRequestID(id) {
		id = newRequestID()
	}
	w.Header().Set(requestIDHeader, id)
	return id
}

// fail writes err as an OpenAI error response.
func (h *httpAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	ae := describe(err)
	h.logFailure(r, ae, err, w.Header().Get(requestIDHeader))
	if ae.class.retryable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, ae.class.status, errorBody(ae))
}

func (h *httpAPI) logFailure(r *http.Request, ae apiError, err error, id string) {
	level := slog.LevelDebug
	if ae.class.status >= http.StatusInternalServerError {
		level = slog.LevelError
	}
	h.log.Log(r.Context(), level, "http request failed", "method", r.Method, "path", r.URL.Path,
		"status", ae.class.status, "request_id", id, "err", err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only our own response types reach here; they always marshal
		status, b = http.StatusInternalServerError, []byte(`{"error":{"message":"internal server error","type":"server_error","param":null,"code":"internal_error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
