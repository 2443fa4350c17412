package devstack

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
)

// NATS limits and defaults.
const (
	// DefaultMaxPayload is the stock NATS max_payload (1 MiB).
	DefaultMaxPayload = 1 << 20
	// MaxMaxPayload is the largest max_payload NATS accepts (64 MiB).
	MaxMaxPayload = 64 << 20
)

// NATSOptions configures StartNATS. The zero value is a JetStream server
// with stock limits on a free port.
type NATSOptions struct {
	// Port is the client port; 0 picks a free one.
	Port int
	// MaxPayload is the largest message the server accepts; 0 means
	// DefaultMaxPayload. At most MaxMaxPayload.
	MaxPayload int32
	// JetStreamMaxMemory and JetStreamMaxStore cap JetStream resources;
	// 0 means 256 MiB and 1 GiB.
	JetStreamMaxMemory int64
	JetStreamMaxStore  int64
	// ReadyTimeout bounds the wait for the server to accept clients;
	// default 10 s.
	ReadyTimeout time.Duration
}

func (o NATSOptions) withDefaults() (NATSOptions, error) {
	if o.MaxPayload < 0 || o.MaxPayload > MaxMaxPayload {
		return o, fmt.Errorf("devstack: NATSOptions.MaxPayload %d out of range (0..%d)", o.MaxPayload, MaxMaxPayload)
	}
	if o.Port < 0 || o.Port > 65535 {
		return o, fmt.Errorf("devstack: NATSOptions.Port %d out of range (0..65535)", o.Port)
	}
	if o.MaxPayload == 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	if o.JetStreamMaxMemory <= 0 {
		o.JetStreamMaxMemory = 256 << 20
	}
	if o.JetStreamMaxStore <= 0 {
		o.JetStreamMaxStore = 1 << 30
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 10 * time.Second
	}
	return o, nil
}

// NATS is an embedded NATS server with JetStream on loopback.
type NATS struct {
	dir  string
	opts NATSOptions // Port is fixed to the bound port after the first start

	mu     sync.Mutex
	srv    *natsserver.Server // nil while stopped
	closed bool
}

// StartNATS starts a NATS server with JetStream storing in dir and returns
// once it accepts clients.
func StartNATS(dir string, opts NATSOptions) (*NATS, error) {
	if dir == "" {
		return nil, errors.New("devstack: NATS store dir is empty")
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	n := &NATS{dir: dir, opts: o}
	srv, err := n.startServer()
	if err != nil {
		return nil, err
	}
	n.srv = srv
	n.opts.Port = srv.Addr().(*net.TCPAddr).Port
	return n, nil
}

func (n *NATS) serverOptions() *natsserver.Options {
	port := n.opts.Port
	if port == 0 {
		port = natsserver.RANDOM_PORT
	}
	return &natsserver.Options{
		ServerName:         "devstack",
		Host:               loopback,
		Port:               port,
		MaxPayload:         n.opts.MaxPayload,
		JetStream:          true,
		StoreDir:           n.dir,
		JetStreamMaxMemory: n.opts.JetStreamMaxMemory,
		JetStreamMaxStore:  n.opts.JetStreamMaxStore,
		NoSigs:             true,
		NoLog:              true,
	}
}

func (n *NATS) startServer() (*natsserver.Server, error) {
	srv, err := natsserver.NewServer(n.serverOptions())
	if err != nil {
		return nil, fmt.Errorf("devstack: NATS server in %s: %w", n.dir, err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(n.opts.ReadyTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("devstack: NATS on port %d not ready after %v", n.opts.Port, n.opts.ReadyTimeout)
	}
	return srv, nil
}

// ClientURL returns the nats:// URL clients connect to. It stays the same
// across Stop and Restart.
func (n *NATS) ClientURL() string {
	return fmt.Sprintf("nats://%s:%d", loopback, n.opts.Port)
}

// MaxPayload returns the server's max_payload in bytes.
func (n *NATS) MaxPayload() int32 { return n.opts.MaxPayload }

// Server returns the running server (for nats.InProcessServer), or nil
// while stopped.
func (n *NATS) Server() *natsserver.Server {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.srv
}

// Stop shuts the server down, keeping its store. Stopping a stopped server
// is a no-op.
func (n *NATS) Stop() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.stopLocked()
}

func (n *NATS) stopLocked() {
	if n.srv == nil {
		return
	}
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
	n.srv = nil
}

// Restart starts a stopped server again on the same port and store.
// Restarting a running server is a no-op; restarting a closed one is an
// error.
func (n *NATS) Restart() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return errors.New("devstack: restart of closed NATS")
	}
	if n.srv != nil {
		return nil
	}
	srv, err := n.startServer()
	if err != nil {
		return err
	}
	n.srv = srv
	return nil
}

// Close stops the server for good. It is idempotent.
func (n *NATS) Close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closed = true
	n.stopLocked()
}
