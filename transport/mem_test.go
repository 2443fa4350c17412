package transport_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hymbaserve/hymbaserve/transport"
	"github.com/hymbaserve/hymbaserve/transport/transporttest"
	"github.com/hymbaserve/hymbaserve/wire"
)

func memSetup(t *testing.T, opts transport.Options) transporttest.Pair {
	bus := transport.NewBus(opts.MaxPayload)
	a, err := transport.NewMem(bus, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := transport.NewMem(bus, opts)
	if err != nil {
		t.Fatal(err)
	}
	return transporttest.Pair{A: a, B: b, Raw: func(subject string, data []byte) error { return bus.PublishRaw(subject, "", data) }}
}

func TestMemConformance(t *testing.T) {
	transporttest.Run(t, memSetup)
	noLeakedGoroutines(t, "transport.(*memSub).run")
}

// noLeakedGoroutines waits until no goroutine runs a function whose name contains fn.
func noLeakedGoroutines(t *testing.T, fn string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, fn) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines still running %s after every transport closed:\n%s", fn, stacks)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNewMemRejects(t *testing.T) {
	if _, err := transport.NewMem(nil, transport.Options{}); err == nil {
		t.Error("NewMem(nil) succeeded")
	}
	bus := transport.NewBus(100)
	if _, err := transport.NewMem(bus, transport.Options{MaxFrameBytes: 64 << 20}); err == nil || !strings.Contains(err.Error(), "MaxFrameBytes") {
		t.Errorf("a 100-byte bus cannot carry 64 MiB frames in MaxChunks chunks: %v", err)
	}
	if c, err := transport.NewMem(bus, transport.Options{}); err != nil || c.MaxFrameBytes() != wire.MaxChunks*(100-wire.ChunkHeaderSize) {
		t.Errorf("default MaxFrameBytes on a 100-byte bus: %v", err)
	}
	if _, err := transport.NewMem(transport.NewBus(40), transport.Options{MaxFrameBytes: 1}); err == nil || !strings.Contains(err.Error(), "chunk header") {
		t.Errorf("a 40-byte bus: %v", err)
	}
	if _, err := transport.NewMem(bus, transport.Options{PendingMsgs: -1}); err == nil || !strings.Contains(err.Error(), "PendingMsgs") {
		t.Errorf("negative PendingMsgs: %v", err)
	}
	if _, err := transport.NewMem(transport.NewBus(0), transport.Options{MaxFrameBytes: 10, MaxBufferedBytes: 5}); err == nil || !strings.Contains(err.Error(), "MaxBufferedBytes") {
		t.Errorf("MaxBufferedBytes below MaxFrameBytes: %v", err)
	}
	c, err := transport.NewMem(transport.NewBus(0), transport.Options{MaxPayload: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxPayload() != transport.DefaultMaxPayload {
		t.Errorf("MaxPayload = %d: an option cannot raise the bus's limit", c.MaxPayload())
	}
}
