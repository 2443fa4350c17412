package cluster

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/hymbaserve/hymbaserve/coordinator"
	"github.com/hymbaserve/hymbaserve/frontend"
)

// ServeOptions configure the public API servers of a coordinator.
type ServeOptions struct {
	GRPCAddr, HTTPAddr string // listen addresses; ":0" picks a free port
	// AdvertiseGRPC is the gRPC address other coordinators reach this one at (standbys forward
	// to the leader's). "" means the gRPC listen address once bound, unless its host is a
	// wildcard (0.0.0.0, [::], none): then no address is advertised.
	AdvertiseGRPC string
	// Keys, when it holds any key, makes the Inference and Admin calls and the /v1/ endpoints
	// require "Authorization: Bearer KEY". Health (gRPC health, /healthz, /readyz) and
	// /metrics stay open (docs/security.md says why). The set may change while serving.
	Keys *frontend.KeySet
	// TLS, when not nil, makes both servers speak TLS only (ServerTLSConfig builds one that
	// follows a renewed certificate).
	TLS *tls.Config
	// Metrics, when not nil, is served on GET /metrics of the HTTP server.
	Metrics http.Handler
	Log     *slog.Logger
}

// Servers are the public API servers of a coordinator: gRPC (Inference, Admin, health) and the
// OpenAI-compatible HTTP API.
type Servers struct {
	GRPCAddr, HTTPAddr string
	TLS                bool // both servers speak TLS
	grpc               *frontend.GRPCServer
	http               *http.Server
}

// Serve listens on opt.GRPCAddr and opt.HTTPAddr and serves b on both.
func Serve(b frontend.Backend, opt ServeOptions) (*Servers, error) {
	l, err := listen(opt)
	if err != nil {
		return nil, err
	}
	return l.serve(b, opt), nil
}

// listeners are a coordinator's two bound sockets, not served yet.
type listeners struct{ grpc, http net.Listener }

func listen(opt ServeOptions) (*listeners, error) {
	gl, err := net.Listen("tcp", opt.GRPCAddr)
	if err != nil {
		return nil, err
	}
	hl, err := net.Listen("tcp", opt.HTTPAddr)
	if err != nil {
		gl.Close()
		return nil, err
	}
	return &listeners{gl, hl}, nil
}

func (l *listeners) close() {
	l.grpc.Close()
	l.http.Close()
}

// advertise is the gRPC address to register: opt.AdvertiseGRPC, else the bound address when
// its host is not a wildcard.
func (l *listeners) advertise(opt ServeOptions) string {
	if opt.AdvertiseGRPC != "" {
		return opt.AdvertiseGRPC
	}
	if host, _, err := net.SplitHostPort(opt.GRPCAddr); err != nil || host == "" || net.ParseIP(host).IsUnspecified() {
		return ""
	}
	return l.grpc.Addr().String()
}

// serve serves b on the listeners.
func (l *listeners) serve(b frontend.Backend, opt ServeOptions) *Servers {
	s := &Servers{GRPCAddr: l.grpc.Addr().String(), HTTPAddr: l.http.Addr().String(), TLS: opt.TLS != nil}
	gcfg := frontend.GRPCConfig{Keys: opt.Keys, Logger: opt.Log}
	if opt.TLS != nil {
		gcfg.ServerOptions = []grpc.ServerOption{grpc.Creds(credentials.NewTLS(opt.TLS.Clone()))}
	}
	s.grpc = frontend.NewGRPCServer(b, gcfg)
	s.http = &http.Server{Handler: httpHandler(b, opt), ReadHeaderTimeout: 10 * time.Second}
	if opt.Log != nil { // TLS handshake failures and the like, at warning level
		s.http.ErrorLog = slog.NewLogLogger(opt.Log.Handler(), slog.LevelWarn)
	}
	hl := l.http
	serveHTTP := func() error { return s.http.Serve(hl) }
	if opt.TLS != nil {
		s.http.TLSConfig = opt.TLS.Clone() // ServeTLS adds HTTP/2 and HTTP/1.1 to NextProtos
		serveHTTP = func() error { return s.http.ServeTLS(hl, "", "") }
	}
	go s.grpc.Serve(l.grpc)
	go func() {
		if err := serveHTTP(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			hl.Close()
		}
	}()
	return s
}

// httpHandler is the OpenAI API over b, with /metrics when opt.Metrics is set. Each request's
// Authorization header rides in its context, for a standby that forwards it to the leader.
func httpHandler(b frontend.Backend, opt ServeOptions) http.Handler {
	handler := frontend.NewHTTPHandler(b, frontend.HTTPConfig{Keys: opt.Keys, Logger: opt.Log})
	if opt.Metrics != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", opt.Metrics)
		mux.Handle("/", handler)
		handler = mux
	}
	return coordinator.CarryAuthorization(handler)
}

// Close stops both servers, cutting open streams.
func (s *Servers) Close() {
	s.grpc.Stop()
	s.http.Close()
}
