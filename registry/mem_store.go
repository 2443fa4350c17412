package registry

import (
	"sort"
	"sync"
	"time"
)

// memLogLimit is how many changes the in-memory store keeps for watchers
// before it compacts the older half (etcd compacts too).
const memLogLimit = 4096

// memStore is the shared state behind every Mem handle of one in-memory
// cluster: a revisioned store with leases, like a tiny etcd.
type memStore struct {
	mu        sync.Mutex
	rev       int64
	compacted int64 // entries at or below this revision are gone
	nextLease int64
	set       *memberSet
	owner     map[string]int64 // member id -> lease holding its record
	plan      PlanRecord       // Epoch 0: none
	cands     []memCand        // election queue, oldest first
	leases    map[int64]*memLease
	log       []memEntry
	changed   chan struct{} // closed and replaced on every change
}

type memLease struct {
	id    int64
	owner *Mem
	ttl   time.Duration
	lost  chan struct{}
	timer *time.Timer // set once keepalive stopped: expiry pending
}

type memCand struct {
	id    string
	lease int64
}

type memEntry struct {
	rev    int64
	member *MembersEvent
	plan   *PlanRecord
}

func newMemStore() *memStore {
	return &memStore{rev: 1, set: newMemberSet(), owner: map[string]int64{}, // etcd starts at 1
		leases: map[int64]*memLease{}, changed: make(chan struct{})}
}

// bumpLocked advances the revision and wakes every waiter.
func (s *memStore) bumpLocked() int64 {
	s.rev++
	close(s.changed)
	s.changed = make(chan struct{})
	return s.rev
}

func (s *memStore) appendLocked(e memEntry) {
	s.log = append(s.log, e)
	if len(s.log) > memLogLimit {
		half := len(s.log) / 2
		s.compacted = s.log[half-1].rev
		s.log = append([]memEntry(nil), s.log[half:]...)
	}
}

// entriesAfterLocked returns the logged changes with revision > rev.
func (s *memStore) entriesAfterLocked(rev int64) []memEntry {
	i := sort.Search(len(s.log), func(i int) bool { return s.log[i].rev > rev })
	return append([]memEntry(nil), s.log[i:]...)
}

func (s *memStore) grantLocked(owner *Mem, ttl time.Duration) *memLease {
	s.nextLease++
	l := &memLease{id: s.nextLease, owner: owner, ttl: ttl, lost: make(chan struct{})}
	s.leases[l.id] = l
	return l
}

// expireLocked ends a lease: its member records and candidacy go, as in
// etcd when a lease expires or is revoked.
func (s *memStore) expireLocked(id int64) {
	l, ok := s.leases[id]
	if !ok {
		return
	}
	delete(s.leases, id)
	if l.timer != nil {
		l.timer.Stop()
	}
	close(l.lost)
	for mid, lid := range s.owner {
		if lid == id {
			s.deleteMemberLocked(mid)
		}
	}
	kept := s.cands[:0]
	for _, c := range s.cands {
		if c.lease != id {
			kept = append(kept, c)
		}
	}
	s.cands = kept
	s.bumpLocked()
}

func (s *memStore) deleteMemberLocked(id string) {
	delete(s.owner, id)
	m := s.set.remove(id)
	rev := s.bumpLocked()
	s.appendLocked(memEntry{rev: rev, member: &MembersEvent{Kind: MemberDelete, Member: m, Revision: rev}})
}

// stopKeepAlive lets a lease run out: it expires after its TTL, as an etcd
// lease does when its holder stops refreshing it.
func (s *memStore) stopKeepAlive(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopKeepAliveLocked(id)
}

func (s *memStore) stopKeepAliveLocked(id int64) {
	l, ok := s.leases[id]
	if !ok || l.timer != nil {
		return
	}
	l.timer = time.AfterFunc(l.ttl, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.expireLocked(id)
	})
}

// ownedLocked returns the ids of the leases held by handle m.
func (s *memStore) ownedLocked(m *Mem) []int64 {
	var ids []int64
	for id, l := range s.leases {
		if l.owner == m {
			ids = append(ids, id)
		}
	}
	return ids
}
