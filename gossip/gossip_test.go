package gossip

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// eventBound is a failure bound, not an expected duration.
const eventBound = 10 * time.Second

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func start(t *testing.T, name string, join ...string) *Gossip {
	t.Helper()
	g, err := Start(Config{Name: name, BindAddr: "127.0.0.1", Join: join, Meta: []byte("meta-" + name), Logger: quiet()})
	if err != nil {
		t.Fatalf("Start(%s): %v", name, err)
	}
	t.Cleanup(func() { g.Shutdown() })
	return g
}

// cluster starts n members joined through the first.
func cluster(t *testing.T, n int) []*Gossip {
	t.Helper()
	gs := []*Gossip{start(t, "n0")}
	for i := 1; i < n; i++ {
		gs = append(gs, start(t, fmt.Sprintf("n%d", i), gs[0].LocalAddr()))
	}
	for _, g := range gs {
		waitMembers(t, g, n)
	}
	return gs
}

func waitMembers(t *testing.T, g *Gossip, n int) {
	t.Helper()
	deadline := time.Now().Add(eventBound)
	for len(g.Members()) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%s sees %v; want %d members", g.Name(), g.Members(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitEvent reads g's events until one matches kind and name.
func waitEvent(t *testing.T, g *Gossip, kind EventKind, name string) Event {
	t.Helper()
	timeout := time.After(eventBound)
	for {
		select {
		case ev, ok := <-g.Events():
			if !ok {
				t.Fatalf("%s: events closed while waiting for %v of %s", g.Name(), kind, name)
			}
			if ev.Kind == kind && ev.Name == name {
				return ev
			}
		case <-timeout:
			t.Fatalf("%s: no %v event for %s within %v", g.Name(), kind, name, eventBound)
		}
	}
}

func TestJoinPropagatesMembersAndMeta(t *testing.T) {
	gs := cluster(t, 3)
	if got := strings.Join(gs[2].Members(), ","); got != "n0,n1,n2" {
		t.Fatalf("members %s; want n0,n1,n2", got)
	}
	ev := waitEvent(t, gs[0], EventJoin, "n2")
	if string(ev.Meta) != "meta-n2" || ev.Addr != gs[2].LocalAddr() {
		t.Fatalf("join event %+v; want meta-n2 at %s", ev, gs[2].LocalAddr())
	}
}

func TestFailedMemberIsDetected(t *testing.T) {
	gs := cluster(t, 3)
	killed := time.Now()
	if err := gs[2].Shutdown(); err != nil { // no Leave: looks like a crash
		t.Fatal(err)
	}
	for _, g := range gs[:2] {
		waitEvent(t, g, EventLeave, "n2")
		t.Logf("%s saw n2 fail after %v", g.Name(), time.Since(killed))
		waitMembers(t, g, 2)
	}
}

func TestGracefulLeave(t *testing.T) {
	gs := cluster(t, 3)
	if err := gs[1].Leave(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := gs[1].Shutdown(); err != nil {
		t.Fatal(err)
	}
	for _, g := range []*Gossip{gs[0], gs[2]} {
		waitEvent(t, g, EventLeave, "n1")
		waitMembers(t, g, 2)
	}
	if err := gs[1].Leave(time.Second); err != ErrShutdown {
		t.Fatalf("Leave after Shutdown: err = %v; want ErrShutdown", err)
	}
	if err := gs[1].Shutdown(); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	for range gs[1].Events() { // closed by Shutdown
	}
}

func TestSetMetaSendsUpdate(t *testing.T) {
	gs := cluster(t, 2)
	if err := gs[1].SetMeta([]byte("draining"), time.Second); err != nil {
		t.Fatal(err)
	}
	if ev := waitEvent(t, gs[0], EventUpdate, "n1"); string(ev.Meta) != "draining" {
		t.Fatalf("update meta %q; want draining", ev.Meta)
	}
	if err := gs[1].SetMeta(make([]byte, MaxMetaSize+1), time.Second); err == nil {
		t.Fatal("oversized meta accepted")
	}
}

func TestStartErrors(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no name":       {BindAddr: "127.0.0.1"},
		"big meta":      {Name: "a", BindAddr: "127.0.0.1", Meta: make([]byte, MaxMetaSize+1)},
		"bad bind addr": {Name: "a", BindAddr: "localhost:1"},
		"bad port":      {Name: "a", BindAddr: "127.0.0.1", BindPort: 70000},
		"probe timeout": {Name: "a", BindAddr: "127.0.0.1", ProbeTimeout: time.Second},
		"negative mult": {Name: "a", BindAddr: "127.0.0.1", SuspicionMult: -1},
	} {
		if _, err := Start(cfg); err == nil {
			t.Errorf("%s: Start succeeded", name)
		}
	}
	// A seed nobody listens on any more: Start fails, naming the seed.
	seed := start(t, "seed")
	addr := seed.LocalAddr()
	seed.Shutdown()
	_, err := Start(Config{Name: "lonely", BindAddr: "127.0.0.1", Join: []string{addr}, Logger: quiet()})
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("join of a dead seed: err = %v; want one naming %s", err, addr)
	}
}

func TestEventQueueDropsOldest(t *testing.T) {
	q := makeEventQueue(2) // pump not running: events pile up
	for i := 0; i < 6; i++ {
		q.push(Event{Name: fmt.Sprint(i)})
	}
	go q.pump()
	got := []string{(<-q.out).Name, (<-q.out).Name}
	if strings.Join(got, ",") != "4,5" || q.droppedCount() != 4 {
		t.Fatalf("delivered %v, dropped %d; want 4,5 and 4 dropped", got, q.droppedCount())
	}
	q.close()
	q.push(Event{Name: "late"}) // after close: ignored, no panic
	if _, ok := <-q.out; ok {
		t.Fatal("out not closed after close")
	}
}
