package natstest

import (
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Config is what a test may change about the server; zero values keep the NATS defaults.
type Config struct {
	MaxPayload int32 // max_payload in bytes (NATS default 1 MiB)
	MaxPending int64 // per-client pending bytes before the server cuts a slow client
}

// readyTimeout bounds the server's start; it is far above the tens of milliseconds it takes.
const readyTimeout = 10 * time.Second

// RunServer starts a NATS server on 127.0.0.1 with a random port, JetStream off, no signal
// handlers and no logging, and shuts it down when the test ends.
func RunServer(t testing.TB, cfg Config) *server.Server {
	t.Helper()
	opts := &server.Options{
		Host:       "127.0.0.1",
		Port:       -1,
		NoSigs:     true,
		NoLog:      true,
		MaxPayload: cfg.MaxPayload,
		MaxPending: cfg.MaxPending,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("natstest: new server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(readyTimeout) {
		s.Shutdown()
		t.Fatalf("natstest: server not ready after %v", readyTimeout)
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// Connect opens a client connection to s over TCP loopback and closes it when the test ends.
// No reconnects: a test sees a lost server as an error at once. Asynchronous connection errors
// (such as slow-consumer notices, which transports report themselves) are discarded instead of
// printed; pass nats.ErrorHandler to see them.
func Connect(t testing.TB, s *server.Server, opts ...nats.Option) *nats.Conn {
	t.Helper()
	quiet := nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})
	opts = append([]nats.Option{nats.NoReconnect(), nats.Name(t.Name()), quiet}, opts...)
	nc, err := nats.Connect(s.ClientURL(), opts...)
	if err != nil {
		t.Fatalf("natstest: connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}
