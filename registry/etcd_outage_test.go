package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hymbaserve/hymbaserve/registry"
)

func worker(id string) registry.Member {
	return registry.Member{ID: id, Addr: "127.0.0.1:9000", Capacity: registry.Capacity{MemBytes: 1 << 30, Speed: 1}}
}

func nextChange(t *testing.T, reg *registry.Registration, d time.Duration) registry.RegChange {
	t.Helper()
	select {
	case c, ok := <-reg.Changes():
		if !ok {
			t.Fatal("registration changes closed")
		}
		return c
	case <-time.After(d):
		t.Fatalf("no registration change within %v (state %v)", d, reg.State())
	}
	return registry.RegChange{}
}

// TestEtcdOutage stops the etcd server under a live registration,
// leadership and plan watch: the registration keeps retrying (never
// closing), leadership ends, the plan watch stays open; after a restart the
// member key comes back and watches resume.
func TestEtcdOutage(t *testing.T) {
	srv := startEtcd(t)
	r := newEtcdRegistry(t, newClient(t, srv), "outage")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	reg, err := r.Register(ctx, worker("w1"))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	nextChange(t, reg, 10*time.Second) // active
	lead, err := r.Campaign(ctx, "coord")
	if err != nil {
		t.Fatal(err)
	}
	p1, err := r.CASPlan(ctx, 0, []byte(`{"v":1}`))
	if err != nil {
		t.Fatal(err)
	}
	plans := r.WatchPlan(ctx)
	if got := <-plans; got.Epoch != p1.Epoch {
		t.Fatalf("plan watch started at epoch %d; want %d", got.Epoch, p1.Epoch)
	}

	stopped := time.Now()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, reg, 30*time.Second); c.State != registry.RegLost {
		t.Fatalf("change during outage %+v; want lost", c)
	}
	t.Logf("registration lost %v after the stop", time.Since(stopped))
	select {
	case <-lead.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("leadership not ended during the outage")
	}
	// The registration keeps retrying: no further change, no close.
	select {
	case c, ok := <-reg.Changes():
		t.Fatalf("change %+v (open %v) while etcd is down; want none", c, ok)
	case p, ok := <-plans:
		t.Fatalf("plan watch delivered %+v (open %v) while etcd is down", p, ok)
	case <-time.After(1500 * time.Millisecond):
	}

	restarted := time.Now()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, reg, 60*time.Second); c.State != registry.RegActive || c.Lease == 0 {
		t.Fatalf("change after restart %+v; want active", c)
	}
	t.Logf("registered again %v after the restart began", time.Since(restarted))
	ms, _, err := r.Members(ctx)
	if err != nil || len(ms) != 1 || ms[0].ID != "w1" {
		t.Fatalf("Members after restart = %+v, %v; want w1", ms, err)
	}
	p2, err := r.CASPlan(ctx, p1.Epoch, []byte(`{"v":2}`))
	if err != nil {
		t.Fatalf("CASPlan after restart: %v (plan must survive the outage)", err)
	}
	select {
	case got := <-plans:
		if got.Epoch != p2.Epoch {
			t.Fatalf("plan watch after restart: epoch %d; want %d", got.Epoch, p2.Epoch)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("plan watch did not resume after restart")
	}
	l2, err := r.Campaign(ctx, "coord")
	if err != nil {
		t.Fatalf("Campaign after restart: %v", err)
	}
	l2.Resign(ctx)
}

// TestEtcdCorruptMemberRecord: a record that does not decode fails Members
// with its key named, and watchers skip it.
func TestEtcdCorruptMemberRecord(t *testing.T) {
	srv := startEtcd(t)
	cli := newClient(t, srv)
	r := newEtcdRegistry(t, cli, "corrupt")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reg, err := r.Register(ctx, worker("good"))
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	for key, val := range map[string]string{
		"/hymbaserve/corrupt/members/info/bad":   "{not json",
		"/hymbaserve/corrupt/members/info/other": `{"id":"someone-else"}`,
	} {
		if _, err := cli.Put(ctx, key, val); err != nil {
			t.Fatal(err)
		}
		_, _, err := r.Members(ctx)
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Fatalf("Members with corrupt %s: err = %v; want an error naming the key", key, err)
		}
		if _, err := cli.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cli.Put(ctx, "/hymbaserve/corrupt/members/info/bad", "{not json"); err != nil {
		t.Fatal(err)
	}
	ev := <-r.WatchMembers(ctx, 0)
	if ev.Kind != registry.MembersSync || len(ev.Members) != 1 || ev.Members[0].ID != "good" {
		t.Fatalf("watch sync %+v; want only the good member", ev)
	}
}

func TestNewEtcdValidation(t *testing.T) {
	srv := startEtcd(t)
	cli := newClient(t, srv)
	if _, err := registry.NewEtcd(nil, "c", registry.Options{}); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("nil client: err = %v; want ErrInvalid", err)
	}
	for _, name := range []string{"", "a/b", "-x", strings.Repeat("c", registry.MaxIDLen+1)} {
		if _, err := registry.NewEtcd(cli, name, registry.Options{}); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("cluster %q: err = %v; want ErrInvalid", name, err)
		}
	}
	if _, err := registry.NewEtcd(cli, "c", registry.Options{TTL: -time.Second}); err == nil || !strings.Contains(err.Error(), "Options.TTL") {
		t.Errorf("negative TTL: err = %v; want one naming Options.TTL", err)
	}
}
