package registrytest

import (
	"context"
	"testing"
	"time"

	"github.com/hymbaserve/hymbaserve/registry"
)

func testWatchMembers(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r, peer := newRegistry(t), newRegistry(t)
	mustRegister(t, ctx, r, member("w0"))
	_, rev, err := r.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events := r.WatchMembers(ctx, rev)
	reg := mustRegister(t, ctx, peer, member("w1"))
	put := recv(t, events, waitShort, "put of w1")
	if put.Kind != registry.MemberPut || put.Revision <= rev {
		t.Fatalf("event %+v; want put after revision %d", put, rev)
	}
	if d := diffMembers(member("w1"), put.Member); d != "" {
		t.Fatalf("put member mismatch (-want +got):\n%s", d)
	}
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	del := recv(t, events, waitShort, "delete of w1")
	if del.Kind != registry.MemberDelete || del.Member.ID != "w1" || del.Revision <= put.Revision {
		t.Fatalf("event %+v; want delete of w1 after revision %d", del, put.Revision)
	}
	// A watch from an older revision replays the same history.
	replay := r.WatchMembers(ctx, rev)
	for _, want := range []registry.MembersEvent{put, del} {
		got := recv(t, replay, waitShort, "replayed event")
		if got.Kind != want.Kind || got.Member.ID != want.Member.ID || got.Revision != want.Revision {
			t.Fatalf("replayed %v %s@%d; want %v %s@%d", got.Kind, got.Member.ID, got.Revision, want.Kind, want.Member.ID, want.Revision)
		}
	}
}

func testWatchFromZeroSyncs(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r := newRegistry(t)
	mustRegister(t, ctx, r, member("s1"))
	mustRegister(t, ctx, r, member("s2"))
	ev := recv(t, r.WatchMembers(ctx, 0), waitShort, "sync")
	if ev.Kind != registry.MembersSync || ev.Revision == 0 {
		t.Fatalf("first event %v@%d; want sync", ev.Kind, ev.Revision)
	}
	if d := diffMembers([]registry.Member{member("s1"), member("s2")}, ev.Members); d != "" {
		t.Fatalf("sync members mismatch (-want +got):\n%s", d)
	}
}

func testWatchAfterCompaction(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r := newRegistry(t)
	_, old, err := r.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gone := mustRegister(t, ctx, r, member("gone"))
	mustRegister(t, ctx, r, member("kept"))
	if err := gone.Close(); err != nil {
		t.Fatal(err)
	}
	faults(t, r).Compact()
	events := r.WatchMembers(ctx, old)
	ev := recv(t, events, waitShort, "sync after compaction")
	if ev.Kind != registry.MembersSync {
		t.Fatalf("event %v; want sync (history before %d was compacted)", ev.Kind, old)
	}
	if d := diffMembers([]registry.Member{member("kept")}, ev.Members); d != "" {
		t.Fatalf("sync members mismatch (-want +got):\n%s", d)
	}
	mustRegister(t, ctx, r, member("later"))
	if ev := recv(t, events, waitShort, "put after sync"); ev.Kind != registry.MemberPut || ev.Member.ID != "later" {
		t.Fatalf("event %+v; want put of later", ev)
	}
}

// drainClosed checks that ch is closed within the short bound.
func drainClosed[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitShort)
	defer cancel()
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-ctx.Done():
			t.Fatalf("%s not closed", what)
		}
	}
}

// waitClosed waits for a done channel to close, within the lease bound.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitLease):
		t.Fatalf("timed out after %v waiting for %s", waitLease, what)
	}
}
