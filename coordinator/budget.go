package coordinator

import (
	"fmt"
	"sync"

	"github.com/hymbaserve/hymbaserve/engine"
	"github.com/hymbaserve/hymbaserve/kvshare"
	"github.com/hymbaserve/hymbaserve/model"
	"github.com/hymbaserve/hymbaserve/pipeline"
	"github.com/hymbaserve/hymbaserve/shard"
)

// ledger is the coordinator's engine.Budget: for every worker of the route, the memory it offers
// for sequence state (its capacity less its weights and its shared meta pages) and what admitted sequences may
// reach at their full length (prompt + max_tokens). A sequence is admitted to a replica only
// when every stage of it has room, and pinned there; so no running sequence ever finds a
// worker out of memory.
type ledger struct {
	cfg  *model.Config
	kv   kvshare.DType // the workers' K/V page type
	exec *pipeline.Executor

	mu     sync.Mutex
	plan   *shard.Plan
	budget map[string]int64 // worker → bytes for sequence state
	used   map[string]int64
	seqs   map[uint64]int // sequence → tokens reserved
	rep    map[uint64]int // sequence → replica
	snaps  map[[32]byte]snapHold

	// evict, when set, drops the least recently used prefix snapshot on replica r (its charge
	// with it) and reports whether there was one: sequences come before cached prefixes. It
	// must not block on the network: Reserve runs under the scheduler's lock.
	evict func(r int) bool
}

// snapHold is the memory a prefix snapshot of tokens tokens holds on every stage of a replica.
type snapHold struct{ replica, tokens int }

var _ engine.Budget = (*ledger)(nil)

func newLedger(cfg *model.Config, kv kvshare.DType, exec *pipeline.Executor) *ledger {
	return &ledger{cfg: cfg, kv: kv, exec: exec, seqs: map[uint64]int{}, rep: map[uint64]int{}, snaps: map[[32]byte]snapHold{}}
}

func (l *ledger) seqBytes(first, last, tokens int) int64 {
	return SeqBytes(l.cfg, l.kv, first, last, tokens)
}

// SeqBytes is what admission reserves for a sequence of up to tokens text tokens on a worker
// holding layers [first, last): the most state it holds there, model.MaxSeqBytes (its K/V pages
// and conv/SSM state), plus the pages a prompt chunk of up to chunkTokens rows holds on each
// window layer beyond the window until its first decode step; K/V values of type kv.
func SeqBytes(cfg *model.Config, kv kvshare.DType, first, last, tokens int) int64 {
	n := model.MaxSeqBytesDType(cfg, kv, first, last, tokens)
	if tokens > cfg.SlidingWindow {
		pages := int64((chunkTokens+kvshare.PageRows-1)/kvshare.PageRows + 1)
		n += int64(windowOwners(cfg, first, last)) * pages * pageBytes(cfg, kv)
	}
	return n
}

// chunkTokens is the scheduler's prompt chunk budget (engine default).
const chunkTokens = 256

// MetaBytes is what the shared meta pages of layers [first, last) take once per worker: a
// worker's memory for sequences is its capacity less its weights and these.
func MetaBytes(cfg *model.Config, kv kvshare.DType, first, last int) int64 {
	owners := 0
	for i := first; i < last; i++ {
		if cfg.OwnsKV(i) {
			owners++
		}
	}
	return int64(owners*((cfg.NumMemoryTokens+kvshare.PageRows-1)/kvshare.PageRows)) * pageBytes(cfg, kv)
}

func windowOwners(cfg *model.Config, first, last int) int {
	n := 0
	for i := first; i < last; i++ {
		if cfg.OwnsKV(i) && !cfg.IsGlobal(i) {
			n++
		}
	}
	return n
}

func pageBytes(cfg *model.Config, kv kvshare.DType) int64 {
	return kvshare.PageBytes(kvshare.PageRows, cfg.NumKeyValueHeads*cfg.HeadDim(), cfg.NumKeyValueHeads*cfg.VDim(), kv)
}

// setRoute installs the budgets of a new plan and re-counts the admitted sequences on it.
func (l *ledger) setRoute(plan *shard.Plan, budget map[string]int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.plan, l.budget, l.used = plan, budget, map[string]int64{}
	clear(l.snaps) // the stages' snapshots went with the old plan (the prefix cache resets too)
	where := l.exec.Seqs()
	for id, tokens := range l.seqs {
		r, ok := l.rep[id]
		if s, moved := where[id]; moved {
			r, ok = s[0], true
		}
		if ok && r < len(plan.Replicas) {
			l.rep[id] = r
			l.charge(r, tokens, +1)
		}
	}
}

// charge adds (sign +1) or removes (−1) a sequence's bytes on every stage of replica r.
func (l *ledger) charge(r, tokens int, sign int64) {
	l.add(r, sign, func(st shard.Stage) int64 { return l.seqBytes(st.First, st.Last, tokens) })
}

// add adds sign·bytes(stage) to every stage of replica r.
func (l *ledger) add(r int, sign int64, bytes func(shard.Stage) int64) {
	for _, st := range l.plan.Replicas[r].Stages {
		l.used[st.Worker] += sign * bytes(st)
	}
}

// fits reports whether every stage of replica r has room for bytes(stage) more.
func (l *ledger) fits(r int, bytes func(shard.Stage) int64) bool {
	for _, st := range l.plan.Replicas[r].Stages {
		if l.used[st.Worker]+bytes(st) > l.budget[st.Worker] {
			return false
		}
	}
	return true
}

// snapBytes is what a prefix snapshot of tokens tokens holds on a stage: a sequence's state at
// that length.
func (l *ledger) snapBytes(tokens int) func(shard.Stage) int64 {
	return func(st shard.Stage) int64 { return model.MaxSeqBytesDType(l.cfg, l.kv, st.First, st.Last, tokens) }
}

// holdSnapshot charges prefix snapshot key, of tokens tokens on replica r, when every stage
// has room for it; false means the snapshot must not be taken.
func (l *ledger) holdSnapshot(key [32]byte, r, tokens int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.plan == nil || r >= len(l.plan.Replicas) || !l.fits(r, l.snapBytes(tokens)) {
		return false
	}
	l.dropSnapshotLocked(key)
	l.snaps[key] = snapHold{r, tokens}
	l.add(r, +1, l.snapBytes(tokens))
	return true
}

// clearSnapshots forgets every snapshot charge (the prefix cache was reset).
func (l *ledger) clearSnapshots() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for key := range l.snaps {
		l.dropSnapshotLocked(key)
	}
}

// dropSnapshot returns the memory of prefix snapshot key.
func (l *ledger) dropSnapshot(key [32]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropSnapshotLocked(key)
}

func (l *ledger) dropSnapshotLocked(key [32]byte) {
	h, ok := l.snaps[key]
	if !ok {
		return
	}
	delete(l.snaps, key)
	if l.plan != nil && h.replica < len(l.plan.Replicas) {
		l.add(h.replica, -1, l.snapBytes(h.tokens))
	}
}

// Fits implements engine.Budget.
func (l *ledger) Fits(tokens int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.plan == nil {
		return nil
	}
	for r, rep := range l.plan.Replicas {
		ok := true
		for _, st := range rep.Stages {
			ok = ok && l.seqBytes(st.First, st.Last, tokens) <= l.budget[st.Worker]
		}
		if ok {
			return nil
		}
		if r == len(l.plan.Replicas)-1 {
			st := rep.Stages[0]
			return fmt.Errorf("a sequence of %d tokens needs %.1f MB of state on worker %s (layers [%d,%d)), which offers %.1f MB",
				tokens, float64(l.seqBytes(st.First, st.Last, tokens))/1e6, st.Worker, st.First, st.Last, float64(l.budget[st.Worker])/1e6)
		}
	}
	return nil
}

// Reserve implements engine.Budget: the least loaded replica with room takes the sequence.
// When none has room but one would without its prefix snapshots, that replica's snapshots are
// dropped, least recently used first, until it has room; snapshots that cannot make room stay.
func (l *ledger) Reserve(seq uint64, tokens int) bool {
	return l.evicting(func() (bool, int) { return l.reserve(seq, tokens) })
}

// evicting runs try until it succeeds; after each failure that names a replica whose snapshots
// stand in the way, it drops one of them, until none is left there.
func (l *ledger) evicting(try func() (ok bool, evictOn int)) bool {
	for {
		ok, r := try()
		if ok || r < 0 || l.evict == nil || !l.evict(r) {
			return ok
		}
	}
}

// reserve places seq on the least loaded replica with room, or returns the least loaded
// replica that would have room without its snapshots (−1: none).
func (l *ledger) reserve(seq uint64, tokens int) (ok bool, evictOn int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.plan == nil {
		l.seqs[seq] = tokens // counted once a route exists; the step waits for it
		return true, -1
	}
	need := func(st shard.Stage) int64 { return l.seqBytes(st.First, st.Last, tokens) }
	best, evictOn := -1, -1
	for r := range l.plan.Replicas {
		if l.fits(r, need) && (best < 0 || l.load(r) < l.load(best)) {
			best = r
		}
		if l.fitsWithoutSnapshots(r, need) && (evictOn < 0 || l.load(r) < l.load(evictOn)) {
			evictOn = r
		}
	}
	if best < 0 {
		return false, evictOn
	}
	l.seqs[seq], l.rep[seq] = tokens, best
	l.charge(best, tokens, +1)
	l.exec.Pin(seq, best)
	return true, -1
}

// fitsWithoutSnapshots reports whether replica r would have room for bytes(stage) more if its
// prefix snapshots were dropped.
func (l *ledger) fitsWithoutSnapshots(r int, bytes func(shard.Stage) int64) bool {
	give := map[string]int64{}
	for _, h := range l.snaps {
		if h.replica == r {
			for _, st := range l.plan.Replicas[r].Stages {
				give[st.Worker] += l.snapBytes(h.tokens)(st)
			}
		}
	}
	for _, st := range l.plan.Replicas[r].Stages {
		if l.used[st.Worker]-give[st.Worker]+bytes(st) > l.budget[st.Worker] {
			return false
		}
	}
	return true
}

// Grow implements engine.Budget: seq's reservation on its replica grows to tokens, dropping
// prefix snapshots for it when there is no room.
func (l *ledger) Grow(seq uint64, tokens int) bool {
	return l.evicting(func() (bool, int) { return l.grow(seq, tokens) })
}

func (l *ledger) grow(seq uint64, tokens int) (ok bool, evictOn int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	old, ok := l.seqs[seq]
	if !ok || tokens <= old {
		return ok, -1
	}
	r, placed := l.rep[seq]
	if l.plan == nil || !placed || r >= len(l.plan.Replicas) {
		l.seqs[seq] = tokens // counted once a route exists
		return true, -1
	}
	more := func(st shard.Stage) int64 {
		return l.seqBytes(st.First, st.Last, tokens) - l.seqBytes(st.First, st.Last, old)
	}
	if !l.fits(r, more) {
		if l.fitsWithoutSnapshots(r, more) {
			return false, r
		}
		return false, -1
	}
	l.add(r, +1, more)
	l.seqs[seq] = tokens
	return true, -1
}

func (l *ledger) load(r int) int64 {
	var n int64
	for _, st := range l.plan.Replicas[r].Stages {
		n += l.used[st.Worker]
	}
	return n
}

// Free implements engine.Budget.
func (l *ledger) Free(seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	tokens, ok := l.seqs[seq]
	if !ok {
		return
	}
	if r, ok := l.rep[seq]; ok && l.plan != nil && r < len(l.plan.Replicas) {
		l.charge(r, tokens, -1)
	}
	delete(l.seqs, seq)
	delete(l.rep, seq)
}

// reserved returns the bytes reserved on each worker.
func (l *ledger) reserved() map[string]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int64{}
	for w, n := range l.used {
		out[w] = n
	}
	return out
}
