package transport_test

import (
	"testing"

	"github.com/hymbaserve/hymbaserve/transport"
	"github.com/hymbaserve/hymbaserve/transport/natstest"
	"github.com/hymbaserve/hymbaserve/transport/transporttest"
)

func natsSetup(t *testing.T, opts transport.Options) transporttest.Pair {
	srv := natstest.RunServer(t, natstest.Config{MaxPayload: int32(opts.MaxPayload)})
	nca, ncb := natstest.Connect(t, srv), natstest.Connect(t, srv)
	a, err := transport.NewNATS(nca, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := transport.NewNATS(ncb, opts)
	if err != nil {
		t.Fatal(err)
	}
	return transporttest.Pair{A: a, B: b, Raw: func(subject string, data []byte) error { return nca.Publish(subject, data) }}
}

func TestNATSConformance(t *testing.T) {
	transporttest.Run(t, natsSetup)
}

func TestNewNATSRejects(t *testing.T) {
	if _, err := transport.NewNATS(nil, transport.Options{}); err == nil {
		t.Error("NewNATS(nil) succeeded")
	}
	srv := natstest.RunServer(t, natstest.Config{})
	nc := natstest.Connect(t, srv)
	c, err := transport.NewNATS(nc, transport.Options{MaxPayload: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxPayload() != 1<<20 {
		t.Errorf("MaxPayload = %d, want the server's 1 MiB", c.MaxPayload())
	}
	nc.Close()
	if _, err := transport.NewNATS(nc, transport.Options{}); err == nil {
		t.Error("NewNATS on a closed connection succeeded")
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close after the caller closed the connection: %v", err)
	}
}
