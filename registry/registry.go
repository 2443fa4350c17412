package registry

import (
	"context"
	"errors"
	"time"
)

// Errors returned by every Registry implementation. Callers branch on them
// with errors.Is; the returned errors wrap them with the key or field at
// fault.
var (
	// ErrNoPlan: no layer plan has been written yet.
	ErrNoPlan = errors.New("registry: no plan")
	// ErrEpochConflict: CASPlan's expected epoch is not the current one.
	ErrEpochConflict = errors.New("registry: plan epoch conflict")
	// ErrNoLeader: no coordinator holds leadership.
	ErrNoLeader = errors.New("registry: no leader")
	// ErrUnknownMember: the member is not registered.
	ErrUnknownMember = errors.New("registry: unknown member")
	// ErrMemberExists: the member ID is held by another live registration.
	ErrMemberExists = errors.New("registry: member id held by another registration")
	// ErrLeaseLost: a lease expired or was revoked while it was needed.
	ErrLeaseLost = errors.New("registry: lease lost")
	// ErrInvalid: an argument failed validation.
	ErrInvalid = errors.New("registry: invalid argument")
	// ErrClosed: the registry (or its client) is closed.
	ErrClosed = errors.New("registry: closed")
)

// Capacity is what a member offers to the planner.
type Capacity struct {
	// MemBytes is the memory available for weights and state, in bytes.
	MemBytes int64 `json:"mem_bytes"`
	// Speed is a relative compute speed (1.0 = the reference machine).
	Speed float64 `json:"speed"`
}

// Member is one worker or coordinator process as recorded in the registry.
type Member struct {
	// ID names the member: 1 to 128 of [A-Za-z0-9._-], starting with a
	// letter or digit. It is the key suffix in etcd.
	ID string `json:"id"`
	// Addr is the member's gRPC/admin address (host:port), if any.
	Addr string `json:"addr,omitempty"`
	// GossipAddr is the member's memberlist address (host:port), if any.
	GossipAddr string            `json:"gossip_addr,omitempty"`
	Capacity   Capacity          `json:"capacity"`
	Labels     map[string]string `json:"labels,omitempty"`
	// Cordoned is set by operators through SetCordon; it is stored apart
	// from the member record, so it survives re-registration and restarts.
	// Register ignores it.
	Cordoned bool `json:"-"`
	// StartedAt is when the member process started; Register fills it
	// with the current time when zero.
	StartedAt time.Time `json:"started_at"`
}

// PlanRecord is one version of the layer plan.
type PlanRecord struct {
	// Epoch is the revision at which this plan was written (the etcd mod
	// revision of the plan key). Epochs only grow.
	Epoch int64
	// Data is the plan document, JSON, opaque to the registry.
	Data []byte
}

// MembersEventKind tells what a MembersEvent reports.
type MembersEventKind int

const (
	// MemberPut: a member registered, re-registered or changed
	// (including its cordon flag). Member holds the new record.
	MemberPut MembersEventKind = iota + 1
	// MemberDelete: a member's key is gone (lease expired or revoked).
	// Member holds the last record the watcher saw, or just the ID.
	MemberDelete
	// MembersSync: the watch (re)started from a fresh listing, at start
	// with fromRev 0 or after the requested history was compacted.
	// Members holds the complete set; consumers replace their view.
	MembersSync
)

func (k MembersEventKind) String() string {
	switch k {
	case MemberPut:
		return "put"
	case MemberDelete:
		return "delete"
	case MembersSync:
		return "sync"
	}
	return "unknown"
}

// MembersEvent is one change to the member set.
type MembersEvent struct {
	Kind     MembersEventKind
	Member   Member   // MemberPut, MemberDelete
	Members  []Member // MembersSync, sorted by ID
	Revision int64    // store revision of the change (or of the listing)
}

// Registry is the coordination seam: membership under leases, the
// versioned layer plan, cordons and coordinator leadership.
//
// Channels returned by the Watch methods are closed when ctx is done or the
// registry is closed. They are unbuffered: a slow reader delays its own
// watch, never the registry.
type Registry interface {
	// Register writes m under a lease and keeps it alive until the
	// Registration is closed. It retries with jittered backoff until the
	// first registration succeeds or ctx is done (for example while an
	// earlier incarnation's lease on the same ID has not expired yet).
	// Later lease losses are repaired in the background forever; they
	// never end the registration or the process.
	Register(ctx context.Context, m Member) (*Registration, error)
	// Members lists registered members sorted by ID, with the store
	// revision of the listing.
	Members(ctx context.Context) ([]Member, int64, error)
	// WatchMembers streams changes after revision fromRev (from Members).
	// fromRev 0 starts with a MembersSync of the current set.
	WatchMembers(ctx context.Context, fromRev int64) <-chan MembersEvent
	// Plan returns the current plan, or ErrNoPlan.
	Plan(ctx context.Context) (PlanRecord, error)
	// CASPlan writes data if the current epoch is expectEpoch (0: no
	// plan may exist). On mismatch it returns the current record and an
	// error wrapping ErrEpochConflict.
	CASPlan(ctx context.Context, expectEpoch int64, data []byte) (PlanRecord, error)
	// WatchPlan streams the current plan (if any), then every newer one,
	// in increasing epoch order.
	WatchPlan(ctx context.Context) <-chan PlanRecord
	// SetCordon marks a member cordoned (no new work) or clears the mark.
	// Cordoning needs a registered member (ErrUnknownMember otherwise);
	// uncordoning always succeeds.
	SetCordon(ctx context.Context, id string, cordoned bool) error
	// Campaign blocks until id is the leader or ctx is done.
	Campaign(ctx context.Context, id string) (*Leadership, error)
	// Leader returns the current leader's id, or ErrNoLeader.
	Leader(ctx context.Context) (string, error)
	// Close revokes this registry's registrations, resigns its
	// leaderships and ends its watches. It does not close the client the
	// registry was built on.
	Close() error
}
