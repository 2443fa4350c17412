// Package registry is the cluster's coordination seam: membership under
// leases, the versioned layer plan, cordons and coordinator leadership.
//
// Registry has two implementations that pass the same conformance suite
// (package registrytest): Etcd, backed by etcd v3 (go.etcd.io/etcd/client/v3),
// and Mem, an in-memory twin for unit tests.
//
// # Key schema (etcd)
//
// Every key of one cluster lives under /hymbaserve/<cluster>/:
//
//	key                                       value                       lease
//	/hymbaserve/<c>/members/info/<id>         Member as JSON              the member's registration lease
//	/hymbaserve/<c>/members/cordon/<id>       {"since": RFC 3339 time}    none (operator intent, persists)
//	/hymbaserve/<c>/plan                      plan document (JSON)        none
//	/hymbaserve/<c>/leader/<lease id, hex>    candidate id                the candidate's election lease
//
// Member IDs and cluster names are 1-128 characters of [A-Za-z0-9._-]
// starting with a letter or digit, so they never contain '/'. Member JSON
// fields are id, addr, gossip_addr, capacity {mem_bytes, speed}, labels and
// started_at; readers ignore unknown fields so that newer members can add
// some. The cordon flag is not part of the member record: it is a separate
// key, so it survives re-registration and restarts, and Members merges it
// into Member.Cordoned.
//
// # Epochs
//
// The plan's epoch is the etcd mod revision of the plan key. CASPlan is a
// transaction comparing that mod revision with the expected epoch (0: the
// key must not exist), so epochs strictly increase and a writer holding a
// stale epoch gets ErrEpochConflict together with the current record. The
// registry treats the plan as opaque JSON of at most MaxPlanBytes.
//
// # Leases and outages
//
// Register writes the member key under a lease of Options.TTL (etcd rounds
// up to whole seconds) and keeps it alive. When the lease is lost (etcd
// down or unreachable for a TTL, the lease revoked, the server restarted
// after it expired) the Registration reports RegLost, and re-registers with
// jittered exponential backoff (Options.Backoff) until it succeeds or is
// closed: a lost lease never ends the registration or the process, and the
// process keeps serving on the plan it has. A lease counts as lost when the
// client gives up on it or when no renewal arrived for its TTL, whichever
// is first.
//
// A member ID held by another live lease is not taken over: Register keeps
// retrying (ErrMemberExists) until that lease expires or ctx ends. So two
// processes configured with the same ID do not silently share it, and a
// restarted process waits at most one TTL for its previous incarnation.
//
// # Watches
//
// WatchMembers and WatchPlan resume on their own after errors. If the
// history they need was compacted, WatchMembers re-lists and sends a
// MembersSync with the complete set, and WatchPlan re-reads the plan and
// sends it if it is newer than the last one sent (epochs may be skipped,
// never repeated or reordered). A member record that does not decode makes
// Members fail with an error naming its key (so operators see it), while
// watches log it and skip it (so serving continues).
//
// # Election
//
// Campaign uses etcd's concurrency.Election under /hymbaserve/<c>/leader
// with its own lease (Options.ElectionTTL): the oldest live candidate
// leads. Leadership.Done closes on Resign, on lease loss, or on Close; a
// coordinator must then stop acting as leader. Writes a leader makes to the
// plan are fenced by CASPlan, so a deposed leader that has not noticed yet
// cannot overwrite a newer plan.
//
// # In-memory twin
//
// Mem keeps the same semantics in process: revisions start at 1, leases
// expire, watches replay history and re-list after Compact. Peer gives a
// second handle on the same cluster; Crash and ExpireLeases simulate a
// process death and a lease loss.
package registry
