package devstack

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// EtcdOptions configures StartEtcd. The zero value is a usable single-node
// server with etcd's default ticks.
type EtcdOptions struct {
	// Name is the etcd member name; default "devstack".
	Name string
	// FastTicks sets TickMs=10 and ElectionMs=100 (ready in tens of ms).
	FastTicks bool
	// UnsafeNoFsync disables fsync; faster, and data may be lost on a
	// machine crash (never on Stop/Restart).
	UnsafeNoFsync bool
	// ReadyTimeout bounds the wait for the server to serve; default 30 s.
	ReadyTimeout time.Duration
	// Logger receives the server's logs; nil means zap.NewNop().
	Logger *zap.Logger
}

func (o EtcdOptions) withDefaults() EtcdOptions {
	if o.Name == "" {
		o.Name = "devstack"
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return o
}

// Etcd is an embedded single-node etcd server behind a loopback bridge.
type Etcd struct {
	dir      string
	opts     EtcdOptions
	clientPt int // the server's own client port (behind the bridge)
	peerPt   int
	bridge   *bridge

	mu     sync.Mutex
	srv    *embed.Etcd // nil while stopped
	closed bool
}

// StartEtcd starts an embedded etcd server with its data in dir and returns
// once it serves. The server and its bridge listen on free loopback ports.
func StartEtcd(dir string, opts EtcdOptions) (*Etcd, error) {
	if dir == "" {
		return nil, errors.New("devstack: etcd data dir is empty")
	}
	e := &Etcd{dir: dir, opts: opts.withDefaults()}
	var err error
	for attempt := 0; attempt < 3; attempt++ { // a free port can be taken between pick and bind
		if err = e.startFresh(); err == nil {
			return e, nil
		}
	}
	return nil, err
}

func (e *Etcd) startFresh() error {
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	e.clientPt, e.peerPt = ports[0], ports[1]
	srv, err := e.startServer()
	if err != nil {
		return err
	}
	b, err := newBridge(hostPort(e.clientPt))
	if err != nil {
		srv.Close()
		return err
	}
	e.srv, e.bridge = srv, b
	return nil
}

func hostPort(port int) string {
	return loopback + ":" + strconv.Itoa(port)
}

func (e *Etcd) config() *embed.Config {
	cfg := embed.NewConfig()
	cfg.Name = e.opts.Name
	cfg.Dir = e.dir
	cu := url.URL{Scheme: "http", Host: hostPort(e.clientPt)}
	pu := url.URL{Scheme: "http", Host: hostPort(e.peerPt)}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	if e.opts.FastTicks {
		cfg.TickMs, cfg.ElectionMs = 10, 100
	}
	cfg.UnsafeNoFsync = e.opts.UnsafeNoFsync
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(e.opts.Logger)
	return cfg
}

// startServer starts the embedded server on the recorded ports and dir and
// waits until it serves client requests.
func (e *Etcd) startServer() (*embed.Etcd, error) {
	srv, err := embed.StartEtcd(e.config())
	if err != nil {
		return nil, fmt.Errorf("devstack: start etcd in %s: %w", e.dir, err)
	}
	select {
	case <-srv.Server.ReadyNotify():
		return srv, nil
	case err := <-srv.Err():
		srv.Close()
		return nil, fmt.Errorf("devstack: etcd in %s failed while starting: %w", e.dir, err)
	case <-time.After(e.opts.ReadyTimeout):
		srv.Close()
		return nil, fmt.Errorf("devstack: etcd in %s not ready after %v", e.dir, e.opts.ReadyTimeout)
	}
}

// Endpoints returns the client URLs to give clientv3.Config.Endpoints. They
// stay the same across Stop and Restart.
func (e *Etcd) Endpoints() []string {
	return []string{"http://" + e.bridge.Addr()}
}

// Dir returns the data directory.
func (e *Etcd) Dir() string { return e.dir }

// Running reports whether the server is up (started and not stopped).
func (e *Etcd) Running() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.srv != nil
}

// Stop cuts every client connection and shuts the server down, keeping its
// data directory. Clients see connection errors until Restart. Stopping a
// stopped server is a no-op.
func (e *Etcd) Stop() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stopLocked()
}

func (e *Etcd) stopLocked() error {
	if e.srv == nil {
		return nil
	}
	err := e.bridge.close()
	e.srv.Close()
	e.srv = nil
	return err
}

// Restart starts a stopped server again on the same data directory and
// ports. Restarting a running server is a no-op; restarting a closed one is
// an error.
func (e *Etcd) Restart() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errors.New("devstack: restart of closed etcd")
	}
	if e.srv != nil {
		return nil
	}
	srv, err := e.startServer()
	if err != nil {
		return err
	}
	if err := e.bridge.open(); err != nil {
		srv.Close()
		return err
	}
	e.srv = srv
	return nil
}

// DropConnections cuts every client connection while the server keeps
// running; clients reconnect on their own.
func (e *Etcd) DropConnections() { e.bridge.dropConns() }

// Close stops the server for good. It is idempotent.
func (e *Etcd) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	return e.stopLocked()
}

// ClientConfig returns a clientv3 configuration for this server suited to
// tests: silent logger, short dial timeout, and reconnects that stay fast
// across Stop/Restart.
func (e *Etcd) ClientConfig() clientv3.Config {
	return clientv3.Config{
		Endpoints:            e.Endpoints(),
		DialTimeout:          5 * time.Second,
		DialKeepAliveTime:    2 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
		Logger:               zap.NewNop(),
		DialOptions:          fastReconnect(),
	}
}

// NewClient returns a client built from ClientConfig. Close it before Close
// on the server.
func (e *Etcd) NewClient() (*clientv3.Client, error) {
	cli, err := clientv3.New(e.ClientConfig())
	if err != nil {
		return nil, fmt.Errorf("devstack: etcd client for %v: %w", e.Endpoints(), err)
	}
	return cli, nil
}
