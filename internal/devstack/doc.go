// Package devstack starts real embedded control-plane servers on loopback:
// an etcd v3 server (go.etcd.io/etcd/server/v3/embed) and a NATS server with
// JetStream (github.com/nats-io/nats-server/v2/server). Tests use it for
// integration runs and `coordinator --dev` uses it to run a whole cluster in
// one process without installing anything.
//
// Both servers bind 127.0.0.1 only, on free ports chosen at start, and keep
// their data in the directory the caller passes (usually t.TempDir()).
//
// # etcd
//
// Clients never talk to the embedded etcd directly: they connect to a small
// TCP bridge in front of it (Endpoints returns the bridge address). The
// bridge exists for two reasons:
//
//   - embed.Etcd.Close waits about 7 s for connected clients (graceful gRPC
//     stop of watch and keepalive streams). Stop cuts every bridged
//     connection first, so stopping a server that still has clients takes
//     milliseconds. Tests that kill etcd "under load" rely on this.
//   - DropConnections cuts every client connection while the server keeps
//     running, which is how tests simulate a network blip.
//
// Stop and Restart bring the same server down and up again on the same data
// directory and the same ports, so clients reconnect to the address they
// already have and find their data (plans, revisions, unexpired leases).
// Close is idempotent and safe after Stop; embed.Etcd.Close itself panics when
// called twice, which devstack never does.
//
// FastTicks selects TickMs=10 and ElectionMs=100, which makes a single-node
// server ready in tens of milliseconds; it is meant for tests. The server
// logs through zap.NewNop unless EtcdOptions.Logger is set.
//
// # NATS
//
// StartNATS runs a NATS server with JetStream enabled and its store in the
// given directory. MaxPayload defaults to 1 MiB, the NATS default, so code
// tested here meets the same limit as a stock deployment. Restart brings the
// server back on the same port and store directory; JetStream file-backed
// streams survive it.
//
// Usage:
//
//	e, err := devstack.StartEtcd(t.TempDir(), devstack.EtcdOptions{FastTicks: true})
//	if err != nil { ... }
//	defer e.Close()
//	cli, err := e.NewClient() // close it before e.Close
//
//	n, err := devstack.StartNATS(t.TempDir(), devstack.NATSOptions{})
//	if err != nil { ... }
//	defer n.Close()
//	nc, err := nats.Connect(n.ClientURL())
package devstack
