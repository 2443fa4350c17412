package coordinator

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hymbaserve/hymbaserve/engine"
	"github.com/hymbaserve/hymbaserve/pipeline"
)

// prefixCache is the coordinator's engine.PrefixCache. When a prompt reaches its last page
// boundary (the last multiple of the page size before its end), every stage of its replica keeps
// a snapshot of the sequence's state there; a later prompt that starts with the same tokens, on
// the same replica, starts from a copy of that snapshot and skips their prefill. The snapshot
// holds the SSM and conv state at the boundary, which a recurrent layer cannot recompute from
// the KV rows alone.
//
// Snapshots hold memory on the stages, so the ledger charges each one like a sequence of its
// length: a snapshot is taken only where there is room, and a sequence that finds no room
// drops the snapshots of the replica it could then use, least recently used first
// (ledger.evict → evictOn). At most max are kept.
//
// Its operations may be called from several scheduler lanes at once: op runs Attach, Boundary
// and reset one at a time. evictOn runs under the scheduler's lock, so it takes no op and sends
// nothing synchronously: it skips a snapshot a sequence is forking from (busy) and has the
// stages drop the one it evicts in the background.
type prefixCache struct {
	c    *Coordinator
	page int
	max  int

	op        sync.Mutex // held for a whole Attach, Boundary or reset
	mu        sync.Mutex // guards entries
	entries   map[[32]byte]*prefixEntry
	hits      atomic.Int64
	saved     atomic.Int64 // prompt tokens not recomputed
	evictions atomic.Int64 // snapshots dropped to make room for a sequence
}

type prefixEntry struct {
	src     uint64 // the sequence the snapshot was taken of
	pos     int
	replica int
	used    time.Time
	busy    int // forks from it in flight: not evicted meanwhile
}

var _ engine.PrefixCache = (*prefixCache)(nil)

func newPrefixCache(c *Coordinator, page, max int) *prefixCache {
	return &prefixCache{c: c, page: page, max: max, entries: map[[32]byte]*prefixEntry{}}
}

func prefixKey(replica int, ids []int) [32]byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(replica))
	for _, id := range ids {
		b = binary.LittleEndian.AppendUint32(b, uint32(id))
	}
	return sha256.Sum256(b)
}

// lastBoundary is the last page boundary strictly inside the prompt (the last token's logits
// must be computed).
func (p *prefixCache) lastBoundary(prompt []int) int { return (len(prompt) - 1) / p.page * p.page }

// Attach implements engine.PrefixCache: the longest cached prefix of the prompt on the
// sequence's replica is forked on every stage.
func (p *prefixCache) Attach(seq uint64, prompt []int) int {
	p.op.Lock()
	defer p.op.Unlock()
	r, ok := p.c.exec.ReplicaOf(seq)
	if !ok {
		return 0
	}
	for pos := p.lastBoundary(prompt); pos >= p.page; pos -= p.page {
		key := prefixKey(r, prompt[:pos])
		p.mu.Lock()
		e, hit := p.entries[key]
		if hit {
			e.busy++
		}
		p.mu.Unlock()
		if !hit {
			continue
		}
		req := pipeline.CtlRequest{Op: "fork", Seqs: []uint64{e.src, seq}, First: pos}
		err := p.onStages(r, req)
		p.mu.Lock()
		e.busy--
		e.used = time.Now()
		p.mu.Unlock()
		if err != nil {
			p.c.log.Warn("prefix snapshot unusable; dropping it", "err", err)
			p.forget(key)
			return 0
		}
		p.c.exec.SetPos(seq, pos)
		p.hits.Add(1)
		p.saved.Add(int64(pos))
		return pos
	}
	return 0
}

// Boundary implements engine.PrefixCache: at the prompt's last page boundary, snapshot it.
func (p *prefixCache) Boundary(seq uint64, prompt []int, pos int) {
	if pos != p.lastBoundary(prompt) {
		return
	}
	p.op.Lock()
	defer p.op.Unlock()
	r, ok := p.c.exec.ReplicaOf(seq)
	if !ok {
		return
	}
	key := prefixKey(r, prompt[:pos])
	p.mu.Lock()
	_, have := p.entries[key]
	p.mu.Unlock()
	if have || !p.c.ledger.holdSnapshot(key, r, pos) {
		return
	}
	if err := p.onStages(r, pipeline.CtlRequest{Op: "snapshot", Seqs: []uint64{seq}}); err != nil {
		p.c.ledger.dropSnapshot(key)
		p.c.log.Warn("prefix snapshot not taken", "err", err)
		return
	}
	p.mu.Lock()
	p.entries[key] = &prefixEntry{src: seq, pos: pos, replica: r, used: time.Now()}
	evict := p.oldest()
	p.mu.Unlock()
	if evict != nil {
		p.forget(*evict)
	}
}

// oldest returns the least recently used key when there are too many entries. p.mu is held.
func (p *prefixCache) oldest() *[32]byte {
	if len(p.entries) <= p.max {
		return nil
	}
	return p.lru(func(*prefixEntry) bool { return true })
}

// lru returns the least recently used key among the entries ok accepts, nil when there is
// none. p.mu is held.
func (p *prefixCache) lru(ok func(*prefixEntry) bool) *[32]byte {
	var key *[32]byte
	var at time.Time
	for k, e := range p.entries {
		if ok(e) && (key == nil || e.used.Before(at)) {
			key, at = &k, e.used
		}
	}
	return key
}

// evictOn drops the least recently used snapshot of replica r that no sequence is forking
// from (ledger.evict) and reports whether there was one. Its charge is returned at once; the
// stages drop it in the background.
func (p *prefixCache) evictOn(r int) bool {
	p.mu.Lock()
	key := p.lru(func(e *prefixEntry) bool { return e.replica == r && e.busy == 0 })
	var e *prefixEntry
	if key != nil {
		e = p.entries[*key]
		delete(p.entries, *key)
	}
	p.mu.Unlock()
	if key == nil {
		return false
	}
	p.c.ledger.dropSnapshot(*key)
	p.evictions.Add(1)
	go p.unsnap(e)
	return true
}

// forget drops an entry, its snapshots on the stages and its charge in the ledger.
func (p *prefixCache) forget(key [32]byte) {
	p.mu.Lock()
	e, ok := p.entries[key]
	delete(p.entries, key)
	p.mu.Unlock()
	p.c.ledger.dropSnapshot(key)
	if ok {
		p.unsnap(e)
	}
}

// unsnap has the stages of e's replica drop its snapshot.
func (p *prefixCache) unsnap(e *prefixEntry) {
	if err := p.onStages(e.replica, pipeline.CtlRequest{Op: "unsnap", Seqs: []uint64{e.src}, First: e.pos}); err != nil {
		p.c.log.Warn("prefix snapshot not dropped on its stages", "err", err)
	}
}

// reset forgets every entry and its charge (a plan change: workers drop their snapshots with
// every new plan epoch). It waits for an Attach or Boundary in flight, so none of them leaves an
// entry or a charge of the old plan behind.
func (p *prefixCache) reset() {
	p.op.Lock()
	defer p.op.Unlock()
	p.mu.Lock()
	clear(p.entries)
	p.mu.Unlock()
	p.c.ledger.clearSnapshots()
}

// onStages sends a control request to every stage worker of replica r.
func (p *prefixCache) onStages(r int, req pipeline.CtlRequest) error {
	route, ok := p.c.exec.Route()
	if !ok || r >= len(route.Plan.Replicas) {
		return pipeline.ErrNoRoute
	}
	var ws []string
	for _, st := range route.Plan.Replicas[r].Stages {
		ws = append(ws, st.Worker)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.c.ctlAll(ctx, ws, func(string) pipeline.CtlRequest { return req })
}
