package registrytest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hymbaserve/hymbaserve/registry"
)

// Faults is what the suite needs beyond Registry to inject failures.
type Faults interface {
	registry.Registry
	// Crash simulates the death of the process holding this handle: its
	// keepalives stop, nothing is revoked, and its leases expire after
	// their TTL. The handle is not used afterwards except for Close.
	Crash()
	// ExpireLeases makes the store drop every lease this handle holds,
	// now, while the process lives on (an expiry during an outage).
	ExpireLeases()
	// Compact discards the store's change history up to now.
	Compact()
}

// Factory returns a new handle on the cluster of t (see the package doc).
type Factory func(t *testing.T) registry.Registry

// Bounds on waits. They are limits for failure, not expected durations.
const (
	waitShort = 10 * time.Second
	waitLease = 30 * time.Second // lease expiry: TTL plus client and server slack
)

// Run runs the conformance suite against the registries newRegistry makes.
func Run(t *testing.T, newRegistry Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"RegisterList", testRegisterList},
		{"RegisterValidation", testRegisterValidation},
		{"DuplicateID", testDuplicateID},
		{"RegistrationClose", testRegistrationClose},
		{"WatchMembers", testWatchMembers},
		{"WatchFromZeroSyncs", testWatchFromZeroSyncs},
		{"WatchAfterCompaction", testWatchAfterCompaction},
		{"LeaseExpiryDeletesMember", testLeaseExpiry},
		{"ReRegisterAfterLeaseLoss", testReRegister},
		{"Cordon", testCordon},
		{"PlanCAS", testPlanCAS},
		{"PlanConcurrentCAS", testPlanConcurrentCAS},
		{"WatchPlan", testWatchPlan},
		{"ElectionResign", testElectionResign},
		{"ElectionLeaderDies", testElectionLeaderDies},
		{"ElectionLeaseLoss", testElectionLeaseLoss},
		{"CampaignCancel", testCampaignCancel},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newRegistry) })
	}
}

// faults returns r's fault hooks or fails the test.
func faults(t *testing.T, r registry.Registry) Faults {
	t.Helper()
	f, ok := r.(Faults)
	if !ok {
		t.Fatalf("%T does not implement registrytest.Faults", r)
	}
	return f
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// recv reads one value from ch within d.
func recv[T any](t *testing.T, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("channel closed while waiting for %s", what)
		}
		return v
	case <-time.After(d):
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
	var zero T
	return zero
}

// diffMembers compares members ignoring nil-vs-empty and time zones.
func diffMembers(want, got any) string {
	return cmp.Diff(want, got, cmpopts.EquateEmpty())
}

func member(id string) registry.Member {
	return registry.Member{
		ID:         id,
		Addr:       "127.0.0.1:7001",
		GossipAddr: "127.0.0.1:7946",
		Capacity:   registry.Capacity{MemBytes: 8 << 30, Speed: 1.5},
		Labels:     map[string]string{"zone": "a"},
		StartedAt:  time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
	}
}

func mustRegister(t *testing.T, ctx context.Context, r registry.Registry, m registry.Member) *registry.Registration {
	t.Helper()
	reg, err := r.Register(ctx, m)
	if err != nil {
		t.Fatalf("Register(%s): %v", m.ID, err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg
}

func memberIDs(t *testing.T, ctx context.Context, r registry.Registry) []string {
	t.Helper()
	ms, _, err := r.Members(ctx)
	if err != nil {
		t.Fatalf("Members: %v", err)
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids
}

func hasMember(t *testing.T, ctx context.Context, r registry.Registry, id string) bool {
	t.Helper()
	for _, got := range memberIDs(t, ctx, r) {
		if got == id {
			return true
		}
	}
	return false
}
