package registrytest

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hymbaserve/hymbaserve/registry"
)

func testRegisterList(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r := newRegistry(t)
	ms, rev0, err := r.Members(ctx)
	if err != nil || len(ms) != 0 {
		t.Fatalf("Members on empty cluster = %v, %v; want none", ms, err)
	}
	b, a := member("worker-b"), member("worker-a")
	a.Labels = nil
	mustRegister(t, ctx, r, b)
	reg := mustRegister(t, ctx, r, a)
	if reg.State() != registry.RegActive || reg.Lease() == 0 || reg.ID() != "worker-a" {
		t.Fatalf("registration state %v lease %x id %q; want active, a lease, worker-a", reg.State(), reg.Lease(), reg.ID())
	}
	if c := recv(t, reg.Changes(), waitShort, "first change"); c.State != registry.RegActive || c.Lease != reg.Lease() {
		t.Fatalf("first change %+v; want active with lease %x", c, reg.Lease())
	}
	ms, rev, err := r.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rev <= rev0 {
		t.Fatalf("revision did not grow: %d then %d", rev0, rev)
	}
	if d := diffMembers([]registry.Member{a, b}, ms); d != "" {
		t.Fatalf("Members mismatch (-want +got):\n%s", d)
	}
	// A second handle (another process) sees the same members.
	if d := diffMembers([]string{"worker-a", "worker-b"}, memberIDs(t, ctx, newRegistry(t))); d != "" {
		t.Fatalf("peer's Members mismatch (-want +got):\n%s", d)
	}
}

func testRegisterValidation(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r := newRegistry(t)
	bad := map[string]func(*registry.Member){
		"empty id":       func(m *registry.Member) { m.ID = "" },
		"slash in id":    func(m *registry.Member) { m.ID = "a/b" },
		"long id":        func(m *registry.Member) { m.ID = strings.Repeat("x", registry.MaxIDLen+1) },
		"bad addr":       func(m *registry.Member) { m.Addr = "no-port" },
		"bad port":       func(m *registry.Member) { m.GossipAddr = "127.0.0.1:0" },
		"negative mem":   func(m *registry.Member) { m.Capacity.MemBytes = -1 },
		"NaN speed":      func(m *registry.Member) { m.Capacity.Speed = math.NaN() },
		"empty label":    func(m *registry.Member) { m.Labels = map[string]string{"": "x"} },
		"huge label val": func(m *registry.Member) { m.Labels = map[string]string{"k": strings.Repeat("v", 2000)} },
	}
	for name, mutate := range bad {
		m := member("w")
		mutate(&m)
		if _, err := r.Register(ctx, m); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("%s: Register err = %v; want ErrInvalid", name, err)
		}
	}
	if ids := memberIDs(t, ctx, r); len(ids) != 0 {
		t.Fatalf("invalid registrations left members %v", ids)
	}
}

func testDuplicateID(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r1, r2 := newRegistry(t), newRegistry(t)
	reg := mustRegister(t, ctx, r1, member("dup"))
	memberIDs(t, ctx, r2) // connect r2 before the short deadline starts
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := r2.Register(short, member("dup")); !errors.Is(err, registry.ErrMemberExists) {
		t.Fatalf("second Register of a live id: err = %v; want ErrMemberExists", err)
	}
	// Once the holder goes, the waiting registration gets the id.
	done := make(chan error, 1)
	go func() {
		reg2, err := r2.Register(ctx, member("dup"))
		if err == nil {
			t.Cleanup(func() { reg2.Close() })
		}
		done <- err
	}()
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, done, waitShort, "Register after the holder closed"); err != nil {
		t.Fatalf("Register after holder closed: %v", err)
	}
}

func testRegistrationClose(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r := newRegistry(t)
	reg := mustRegister(t, ctx, r, member("w1"))
	if err := reg.Close(); err != nil {
		t.Fatal(err)
	}
	if hasMember(t, ctx, r, "w1") {
		t.Fatal("member key still present right after Close")
	}
	if reg.State() != registry.RegClosed || reg.Lease() != 0 {
		t.Fatalf("after Close: state %v lease %x; want closed, 0", reg.State(), reg.Lease())
	}
	var last registry.RegChange
	for c := range reg.Changes() { // closed after the RegClosed change
		last = c
	}
	if last.State != registry.RegClosed {
		t.Fatalf("last change %+v; want closed", last)
	}
	if err := reg.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func testLeaseExpiry(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	observer, doomed := newRegistry(t), newRegistry(t)
	_, rev, err := observer.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events := observer.WatchMembers(ctx, rev)
	mustRegister(t, ctx, doomed, member("doomed"))
	if ev := recv(t, events, waitShort, "put of doomed"); ev.Kind != registry.MemberPut || ev.Member.ID != "doomed" {
		t.Fatalf("event %+v; want put of doomed", ev)
	}
	faults(t, doomed).Crash()
	ev := recv(t, events, waitLease, "delete after lease expiry")
	if ev.Kind != registry.MemberDelete || ev.Member.ID != "doomed" {
		t.Fatalf("event %+v; want delete of doomed", ev)
	}
	if hasMember(t, ctx, observer, "doomed") {
		t.Fatal("expired member still listed")
	}
}

func testReRegister(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r := newRegistry(t)
	_, rev, err := r.Members(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events := r.WatchMembers(ctx, rev)
	reg := mustRegister(t, ctx, r, member("phoenix"))
	recv(t, reg.Changes(), waitShort, "active")
	recv(t, events, waitShort, "first put")
	first := reg.Lease()

	faults(t, r).ExpireLeases()
	if c := recv(t, reg.Changes(), waitLease, "lost"); c.State != registry.RegLost || !errors.Is(c.Err, registry.ErrLeaseLost) {
		t.Fatalf("change %+v; want lost with ErrLeaseLost", c)
	}
	if c := recv(t, reg.Changes(), waitLease, "active again"); c.State != registry.RegActive || c.Lease == 0 || c.Lease == first {
		t.Fatalf("change %+v; want active on a new lease (old %x)", c, first)
	}
	if ev := recv(t, events, waitShort, "delete"); ev.Kind != registry.MemberDelete {
		t.Fatalf("event %+v; want delete", ev)
	}
	ev := recv(t, events, waitShort, "put after re-registration")
	if ev.Kind != registry.MemberPut || ev.Member.ID != "phoenix" {
		t.Fatalf("event %+v; want put of phoenix", ev)
	}
	if d := diffMembers(member("phoenix"), ev.Member); d != "" {
		t.Fatalf("re-registered record changed (-want +got):\n%s", d)
	}
	if reg.State() != registry.RegActive || !hasMember(t, ctx, r, "phoenix") {
		t.Fatalf("after re-registration: state %v; member listed %v", reg.State(), hasMember(t, ctx, r, "phoenix"))
	}
}

func testCordon(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r := newRegistry(t)
	if err := r.SetCordon(ctx, "ghost", true); !errors.Is(err, registry.ErrUnknownMember) {
		t.Fatalf("cordon of unknown member: err = %v; want ErrUnknownMember", err)
	}
	if err := r.SetCordon(ctx, "ghost", false); err != nil {
		t.Fatalf("uncordon of unknown member: %v", err)
	}
	if err := r.SetCordon(ctx, "bad/id", true); !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("cordon of invalid id: err = %v; want ErrInvalid", err)
	}
	mustRegister(t, ctx, r, member("c1"))
	_, rev, _ := r.Members(ctx)
	events := r.WatchMembers(ctx, rev)
	if err := r.SetCordon(ctx, "c1", true); err != nil {
		t.Fatal(err)
	}
	if ev := recv(t, events, waitShort, "cordon put"); ev.Kind != registry.MemberPut || !ev.Member.Cordoned {
		t.Fatalf("event %+v; want put with Cordoned", ev)
	}
	ms, _, _ := r.Members(ctx)
	if len(ms) != 1 || !ms[0].Cordoned {
		t.Fatalf("Members = %+v; want c1 cordoned", ms)
	}
	// The mark outlives a lease loss and re-registration.
	faults(t, r).ExpireLeases()
	recv(t, events, waitLease, "delete")
	if ev := recv(t, events, waitLease, "re-registration"); !ev.Member.Cordoned {
		t.Fatalf("re-registered member %+v lost its cordon", ev.Member)
	}
	if err := r.SetCordon(ctx, "c1", false); err != nil {
		t.Fatal(err)
	}
	if ev := recv(t, events, waitShort, "uncordon put"); ev.Kind != registry.MemberPut || ev.Member.Cordoned {
		t.Fatalf("event %+v; want put without Cordoned", ev)
	}
}
