package frontend

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	pb "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
)

// GRPCConfig configures the gRPC server.
type GRPCConfig struct {
	// Logger receives request failures and health changes; nil means
	// slog.Default().
	Logger *slog.Logger
	// APIKeys, when any is set, makes Inference and Admin calls require the
	// metadata "authorization: Bearer <key>". The health service stays open.
	APIKeys []string
	// Keys, when not nil, replaces APIKeys with a set that may change while
	// the server runs (key rotation).
	Keys *KeySet
	// HealthInterval is how often the health service asks the backend
	// whether it is ready; 0 means 1s.
	HealthInterval time.Duration
	// ServerOptions are passed to grpc.NewServer after the server's own
	// interceptors.
	ServerOptions []grpc.ServerOption
}

// Service names reported by the gRPC health service, besides "" (the
// whole server).
var healthServices = []string{"", pb.Inference_ServiceDesc.ServiceName, pb.Admin_ServiceDesc.ServiceName}

// GRPCServer is a *grpc.Server with the Inference, Admin, standard
// grpc.health.v1 and server reflection services registered over a Backend. Health follows the
// backend's readiness: NOT_SERVING until Backend.Status reports ready.
// More services may be registered on it before Serve.
type GRPCServer struct {
	*grpc.Server
	b        Backend
	log      *slog.Logger
	health   *health.Server
	interval time.Duration

	startOnce sync.Once
	stopOnce  sync.Once
	life      context.Context // cancelled at shutdown; stops the health watcher
	end       context.CancelFunc
	watcher   sync.WaitGroup
}

// NewGRPCServer returns a gRPC server for b; call Serve to start it.
func NewGRPCServer(b Backend, cfg GRPCConfig) *GRPCServer {
	s := &GRPCServer{b: b, log: cfg.Logger, health: health.NewServer(),
		interval: cfg.HealthInterval}
	s.life, s.end = context.WithCancel(context.Background())
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.interval <= 0 {
		s.interval = time.Second
	}
	keys := keySetOf(cfg.Keys, cfg.APIKeys)
	opts := append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(recoverUnary(s.log), authUnary(keys)),
		grpc.ChainStreamInterceptor(recoverStream(s.log), authStream(keys)),
		// Standby coordinators ping the leader every 10 s during forwarded calls
		// (client.WithKeepalive); the default policy would answer pings under 5 min with GOAWAY.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second}),
	}, cfg.ServerOptions...)
	s.Server = grpc.NewServer(opts...)
	pb.RegisterInferenceServer(s.Server, &inferenceServer{b: b, log: s.log})
	pb.RegisterAdminServer(s.Server, &adminServer{b: b, log: s.log})
	healthpb.RegisterHealthServer(s.Server, s.health)
	reflection.Register(s.Server) // lets grpcurl and other tools list and call the services
	for _, svc := range healthServices {
		s.health.SetServingStatus(svc, healthpb.HealthCheckResponse_NOT_SERVING)
	}
	return s
}

// Serve starts the health watcher (once) and serves lis until Stop or
// GracefulStop.
func (s *GRPCServer) Serve(lis net.Listener) error {
	s.startOnce.Do(func() {
		s.watcher.Add(1)
		go s.watchHealth()
	})
	return s.Server.Serve(lis)
}

// GracefulStop reports NOT_SERVING, stops the health watcher, and waits for
// running calls to finish.
func (s *GRPCServer) GracefulStop() {
	s.shutdown()
	s.Server.GracefulStop()
}

// Stop reports NOT_SERVING, stops the health watcher and closes every
// connection, cancelling running calls.
func (s *GRPCServer) Stop() {
	s.shutdown()
	s.Server.Stop()
}

func (s *GRPCServer) shutdown() {
	s.stopOnce.Do(func() {
		s.end()
		s.health.Shutdown()
		s.watcher.Wait()
	})
}

// watchHealth polls the backend's readiness until shutdown.
func (s *GRPCServer) watchHealth() {
	defer s.watcher.Done()
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	serving := false
	for s.life.Err() == nil {
		serving = s.updateHealth(serving)
		select {
		case <-s.life.Done():
		case <-tick.C:
		}
	}
}

// updateHealth sets every service's status from one readiness check and
// returns whether the server is serving.
func (s *GRPCServer) updateHealth(wasServing bool) bool {
	err := backendReady(s.life, s.b, s.interval)
	status := healthpb.HealthCheckResponse_SERVING
	if err != nil {
		status = healthpb.HealthCheckResponse_NOT_SERVING
	}
	for _, svc := range healthServices {
		s.health.SetServingStatus(svc, status)
	}
	if err == nil != wasServing {
		s.log.Info("grpc health changed", "status", status.String(), "err", err)
	}
	return err == nil
}
