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

	"github.com/hymbaserve/hymbaserve/frontend"
)

// ServeOptions configure the public API servers of a coordinator.
type ServeOptions struct {
	GRPCAddr, HTTPAddr string // listen addresses; ":0" picks a free port
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
	gl, err := net.Listen("tcp", opt.GRPCAddr)
	if err != nil {
		return nil, err
	}
	hl, err := net.Listen("tcp", opt.HTTPAddr)
	if err != nil {
		gl.Close()
		return nil, err
	}
	s := &Servers{GRPCAddr: gl.Addr().String(), HTTPAddr: hl.Addr().String(), TLS: opt.TLS != nil}
	gcfg := frontend.GRPCConfig{Keys: opt.Keys, Logger: opt.Log}
	if opt.TLS != nil {
		gcfg.ServerOptions = []grpc.ServerOption{grpc.Creds(credentials.NewTLS(opt.TLS.Clone()))}
	}
	s.grpc = frontend.NewGRPCServer(b, gcfg)
	handler := frontend.NewHTTPHandler(b, frontend.HTTPConfig{Keys: opt.Keys, Logger: opt.Log})
	if opt.Metrics != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", opt.Metrics)
		mux.Handle("/", handler)
		handler = mux
	}
	s.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	if opt.Log != nil { // TLS handshake failures and the like, at warning level
		s.http.ErrorLog = slog.NewLogLogger(opt.Log.Handler(), slog.LevelWarn)
	}
	serveHTTP := func() error { return s.http.Serve(hl) }
	if opt.TLS != nil {
		s.http.TLSConfig = opt.TLS.Clone() // ServeTLS adds HTTP/2 and HTTP/1.1 to NextProtos
		serveHTTP = func() error { return s.http.ServeTLS(hl, "", "") }
	}
	go s.grpc.Serve(gl)
	go func() {
		if err := serveHTTP(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			hl.Close()
		}
	}()
	return s, nil
}

// Close stops both servers, cutting open streams.
func (s *Servers) Close() {
	s.grpc.Stop()
	s.http.Close()
}
