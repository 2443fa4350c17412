package registrytest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hymbaserve/hymbaserve/registry"
)

type campaignResult struct {
	l   *registry.Leadership
	err error
}

// campaignAsync campaigns in the background.
func campaignAsync(ctx context.Context, r registry.Registry, id string) <-chan campaignResult {
	ch := make(chan campaignResult, 1)
	go func() {
		l, err := r.Campaign(ctx, id)
		ch <- campaignResult{l, err}
	}()
	return ch
}

func mustCampaign(t *testing.T, ctx context.Context, r registry.Registry, id string) *registry.Leadership {
	t.Helper()
	l, err := r.Campaign(ctx, id)
	if err != nil {
		t.Fatalf("Campaign(%s): %v", id, err)
	}
	if l.ID() != id || l.Lease() == 0 {
		t.Fatalf("leadership id %q lease %x; want %s and a lease", l.ID(), l.Lease(), id)
	}
	return l
}

func wantLeader(t *testing.T, ctx context.Context, r registry.Registry, id string) {
	t.Helper()
	got, err := r.Leader(ctx)
	if err != nil || got != id {
		t.Fatalf("Leader = %q, %v; want %q", got, err, id)
	}
}

// notYet checks that a campaign is still waiting.
func notYet(t *testing.T, ch <-chan campaignResult, id string) {
	t.Helper()
	select {
	case res := <-ch:
		t.Fatalf("%s won (%v) while another candidate leads", id, res.err)
	case <-time.After(100 * time.Millisecond):
	}
}

func testElectionResign(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r1, r2 := newRegistry(t), newRegistry(t)
	if _, err := r1.Leader(ctx); !errors.Is(err, registry.ErrNoLeader) {
		t.Fatalf("Leader with no candidates: err = %v; want ErrNoLeader", err)
	}
	l1 := mustCampaign(t, ctx, r1, "coord-1")
	wantLeader(t, ctx, r2, "coord-1")
	second := campaignAsync(ctx, r2, "coord-2")
	notYet(t, second, "coord-2")
	if err := l1.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, l1.Done(), "Done after Resign")
	res := recv(t, second, waitShort, "second candidate to win")
	if res.err != nil {
		t.Fatalf("coord-2 campaign: %v", res.err)
	}
	wantLeader(t, ctx, r1, "coord-2")
	if err := res.l.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r1.Leader(ctx); !errors.Is(err, registry.ErrNoLeader) {
		t.Fatalf("Leader after both resigned: err = %v; want ErrNoLeader", err)
	}
}

func testElectionLeaderDies(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	doomed, r2 := newRegistry(t), newRegistry(t)
	mustCampaign(t, ctx, doomed, "coord-1")
	second := campaignAsync(ctx, r2, "coord-2")
	notYet(t, second, "coord-2")
	faults(t, doomed).Crash()
	res := recv(t, second, waitLease, "takeover after the leader died")
	if res.err != nil {
		t.Fatalf("coord-2 campaign: %v", res.err)
	}
	wantLeader(t, ctx, r2, "coord-2")
	res.l.Resign(ctx)
}

func testElectionLeaseLoss(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r := newRegistry(t)
	l := mustCampaign(t, ctx, r, "coord-1")
	faults(t, r).ExpireLeases()
	waitClosed(t, l.Done(), "Done after the lease was lost")
	// The coordinator may campaign again and win.
	l2 := mustCampaign(t, ctx, r, "coord-1")
	wantLeader(t, ctx, r, "coord-1")
	l2.Resign(ctx)
}

func testCampaignCancel(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r1, r2 := newRegistry(t), newRegistry(t)
	l1 := mustCampaign(t, ctx, r1, "coord-1")
	cctx, cancel := context.WithCancel(ctx)
	waiting := campaignAsync(cctx, r2, "coord-2")
	notYet(t, waiting, "coord-2")
	cancel()
	if res := recv(t, waiting, waitShort, "cancelled campaign"); !errors.Is(res.err, context.Canceled) {
		t.Fatalf("cancelled campaign: err = %v; want context.Canceled", res.err)
	}
	if err := l1.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r1.Leader(ctx); !errors.Is(err, registry.ErrNoLeader) {
		t.Fatalf("Leader after resign with the cancelled candidate gone: err = %v; want ErrNoLeader", err)
	}
	if _, err := r1.Campaign(ctx, "bad/id"); !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("Campaign with invalid id: err = %v; want ErrInvalid", err)
	}
}

func testClose(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r, observer := newRegistry(t), newRegistry(t)
	reg := mustRegister(t, ctx, r, member("closing"))
	l := mustCampaign(t, ctx, r, "coord-1")
	members := r.WatchMembers(ctx, 0)
	plans := r.WatchPlan(ctx)
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	drainClosed(t, members, "member watch after Close")
	drainClosed(t, plans, "plan watch after Close")
	waitClosed(t, l.Done(), "leadership Done after Close")
	if reg.State() != registry.RegClosed {
		t.Fatalf("registration state %v after Close; want closed", reg.State())
	}
	if hasMember(t, ctx, observer, "closing") {
		t.Fatal("member still listed after its registry closed")
	}
	if _, err := observer.Leader(ctx); !errors.Is(err, registry.ErrNoLeader) {
		t.Fatalf("Leader after the leader's registry closed: err = %v; want ErrNoLeader", err)
	}
	if _, _, err := r.Members(ctx); !errors.Is(err, registry.ErrClosed) {
		t.Fatalf("Members after Close: err = %v; want ErrClosed", err)
	}
	if _, err := r.Register(ctx, member("again")); !errors.Is(err, registry.ErrClosed) {
		t.Fatalf("Register after Close: err = %v; want ErrClosed", err)
	}
	drainClosed(t, r.WatchMembers(ctx, 0), "watch started after Close")
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
