package cluster

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/hymbaserve/hymbaserve/frontend"
)

// Servers are the public API servers of a coordinator: gRPC (Inference, Admin, health) and the
// OpenAI-compatible HTTP API.
type Servers struct {
	GRPCAddr, HTTPAddr string
	grpc               *frontend.GRPCServer
	http               *http.Server
}

// Serve listens on grpcAddr and httpAddr (":0" picks a free port) and serves b on both; the
// HTTP server also serves metrics (Prometheus text) on /metrics when given.
func Serve(b frontend.Backend, grpcAddr, httpAddr string, metrics http.Handler) (*Servers, error) {
	gl, err := net.Listen("tcp", grpcAddr)
	if err != nil {
		return nil, err
	}
	hl, err := net.Listen("tcp", httpAddr)
	if err != nil {
		gl.Close()
		return nil, err
	}
	s := &Servers{GRPCAddr: gl.Addr().String(), HTTPAddr: hl.Addr().String()}
	s.grpc = frontend.NewGRPCServer(b, frontend.GRPCConfig{})
	handler := frontend.NewHTTPHandler(b, frontend.HTTPConfig{})
	if metrics != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics)
		mux.Handle("/", handler)
		handler = mux
	}
	s.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go s.grpc.Serve(gl)
	go func() {
		if err := s.http.Serve(hl); err != nil && !errors.Is(err, http.ErrServerClosed) {
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
