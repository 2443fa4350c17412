package devstack

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func startEtcd(t *testing.T) *Etcd {
	t.Helper()
	e, err := StartEtcd(t.TempDir(), EtcdOptions{FastTicks: true, UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func newClient(t *testing.T, e *Etcd) *clientv3.Client {
	t.Helper()
	cli, err := e.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

func mustGet(t *testing.T, cli *clientv3.Client, key string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := cli.Get(ctx, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if len(resp.Kvs) != 1 {
		t.Fatalf("get %s: %d keys, want 1", key, len(resp.Kvs))
	}
	return string(resp.Kvs[0].Value)
}

func mustPut(t *testing.T, cli *clientv3.Client, key, val string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := cli.Put(ctx, key, val)
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return resp.Header.Revision
}

func TestEtcdPutGetWatch(t *testing.T) {
	e := startEtcd(t)
	cli := newClient(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wch := cli.Watch(ctx, "k")
	rev := mustPut(t, cli, "k", "v1")
	if got := mustGet(t, cli, "k"); got != "v1" {
		t.Fatalf("get k = %q, want v1", got)
	}
	select {
	case wr := <-wch:
		if len(wr.Events) != 1 || string(wr.Events[0].Kv.Value) != "v1" || wr.Events[0].Kv.ModRevision != rev {
			t.Fatalf("watch event %+v, want put k=v1 at rev %d", wr.Events, rev)
		}
	case <-ctx.Done():
		t.Fatal("no watch event for put")
	}
}

func TestEtcdStopRestartKeepsData(t *testing.T) {
	e := startEtcd(t)
	cli := newClient(t, e)
	eps := e.Endpoints()
	rev := mustPut(t, cli, "k", "before")
	wctx, wcancel := context.WithCancel(context.Background())
	defer wcancel()
	_ = cli.Watch(wctx, "k") // an open stream must not slow Stop down

	start := time.Now()
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("stop with a connected client and an open watch took %v", time.Since(start))
	if e.Running() {
		t.Fatal("Running after Stop")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err := cli.Put(ctx, "k", "during")
	cancel()
	if err == nil {
		t.Fatal("put succeeded while etcd was stopped")
	}
	if err := e.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}

	if err := e.Restart(); err != nil {
		t.Fatal(err)
	}
	if got := e.Endpoints(); got[0] != eps[0] {
		t.Fatalf("endpoints changed across restart: %v -> %v", eps, got)
	}
	if got := mustGet(t, cli, "k"); got != "before" {
		t.Fatalf("after restart k = %q, want before", got)
	}
	if rev2 := mustPut(t, cli, "k", "after"); rev2 <= rev {
		t.Fatalf("revision went back across restart: %d then %d", rev, rev2)
	}
}

func TestEtcdDropConnections(t *testing.T) {
	e := startEtcd(t)
	cli := newClient(t, e)
	mustPut(t, cli, "k", "v")
	e.DropConnections()
	if got := mustGet(t, cli, "k"); got != "v" {
		t.Fatalf("after drop k = %q, want v", got)
	}
}

func TestEtcdCloseIdempotent(t *testing.T) {
	e := startEtcd(t)
	for i := 0; i < 2; i++ {
		if err := e.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	if err := e.Restart(); err == nil {
		t.Fatal("Restart after Close succeeded")
	}
	if err := e.Stop(); err != nil {
		t.Fatalf("Stop after Close: %v", err)
	}
}

func TestStartEtcdRejectsEmptyDir(t *testing.T) {
	if _, err := StartEtcd("", EtcdOptions{}); err == nil {
		t.Fatal("StartEtcd with empty dir succeeded")
	}
}
