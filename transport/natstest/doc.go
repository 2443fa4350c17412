// Package natstest starts a real NATS server inside a test process, on an ephemeral loopback
// port, and connects clients to it. Everything it starts is stopped by t.Cleanup.
//
//	srv := natstest.RunServer(t, natstest.Config{MaxPayload: 1 << 20})
//	nc := natstest.Connect(t, srv)
package natstest
