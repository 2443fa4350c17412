package devstack

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func startNATS(t *testing.T, dir string, opts NATSOptions) *NATS {
	t.Helper()
	n, err := StartNATS(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	return n
}

func connect(t *testing.T, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func TestNATSPublishSubscribe(t *testing.T) {
	n := startNATS(t, t.TempDir(), NATSOptions{})
	nc := connect(t, n.ClientURL())
	sub, err := nc.SubscribeSync("hello")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("hello", []byte("world")); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.NextMsg(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if string(msg.Data) != "world" {
		t.Fatalf("got %q, want world", msg.Data)
	}
}

func TestNATSMaxPayload(t *testing.T) {
	n := startNATS(t, t.TempDir(), NATSOptions{})
	nc := connect(t, n.ClientURL())
	if got := nc.MaxPayload(); got != DefaultMaxPayload {
		t.Fatalf("default max payload %d, want %d", got, DefaultMaxPayload)
	}
	if err := nc.Publish("big", make([]byte, DefaultMaxPayload+1)); !errors.Is(err, nats.ErrMaxPayload) {
		t.Fatalf("oversized publish: err %v, want ErrMaxPayload", err)
	}

	n2 := startNATS(t, t.TempDir(), NATSOptions{MaxPayload: 4 << 20})
	if got := connect(t, n2.ClientURL()).MaxPayload(); got != 4<<20 {
		t.Fatalf("max payload %d, want %d", got, 4<<20)
	}
}

func TestNATSRejectsBadOptions(t *testing.T) {
	for _, o := range []NATSOptions{{MaxPayload: -1}, {MaxPayload: MaxMaxPayload + 1}, {Port: 70000}} {
		if _, err := StartNATS(t.TempDir(), o); err == nil {
			t.Errorf("StartNATS(%+v) succeeded", o)
		}
	}
	if _, err := StartNATS("", NATSOptions{}); err == nil {
		t.Error("StartNATS with empty dir succeeded")
	}
}

func TestNATSRestartKeepsPortAndJetStream(t *testing.T) {
	n := startNATS(t, t.TempDir(), NATSOptions{})
	url := n.ClientURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, err := jetstream.New(connect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "s.1", []byte("kept")); err != nil {
		t.Fatal(err)
	}

	n.Stop()
	if n.Server() != nil {
		t.Fatal("Server() non-nil after Stop")
	}
	if err := n.Restart(); err != nil {
		t.Fatal(err)
	}
	if n.ClientURL() != url {
		t.Fatalf("URL changed across restart: %s -> %s", url, n.ClientURL())
	}
	js2, err := jetstream.New(connect(t, url))
	if err != nil {
		t.Fatal(err)
	}
	s, err := js2.Stream(ctx, "S")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(msg.Data) != "kept" {
		t.Fatalf("stream message after restart %q, want kept", msg.Data)
	}
}

func TestNATSCloseIdempotent(t *testing.T) {
	n := startNATS(t, t.TempDir(), NATSOptions{})
	n.Close()
	n.Close()
	if err := n.Restart(); err == nil {
		t.Fatal("Restart after Close succeeded")
	}
}
