package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// idleExit is how long a pool worker waits for work before it exits. Decode steps call the
// kernels hundreds of times per token, so the workers stay up while a model runs, and leak
// checkers that retry for a few hundred milliseconds (goleak) see none after a test.
const idleExit = 100 * time.Millisecond

// job is one parallelFor call: chunks of grain items handed out by an atomic counter.
type job struct {
	f      func(lo, hi int)
	n      int
	grain  int
	chunks int
	next   atomic.Int64
	wg     sync.WaitGroup
}

// work runs chunks until none is left.
func (j *job) work() {
	for {
		c := int(j.next.Add(1) - 1)
		if c >= j.chunks {
			return
		}
		lo := c * j.grain
		j.f(lo, min(lo+j.grain, j.n))
		j.wg.Done()
	}
}

// pool is the persistent set of helper goroutines shared by all kernels.
type pool struct {
	jobs chan *job
	mu   sync.Mutex
	live int
}

var workers = &pool{jobs: make(chan *job, 256)}

// offer hands j to up to k helpers, starting helpers when fewer than k are alive. A job no
// helper takes is finished by its caller, so offer never blocks and nested calls cannot
// deadlock.
func (p *pool) offer(j *job, k int) {
	p.mu.Lock()
	for ; p.live < k; p.live++ {
		go p.worker()
	}
	p.mu.Unlock()
	for i := 0; i < k; i++ {
		select {
		case p.jobs <- j:
		default:
			return
		}
	}
}

// worker runs offered jobs until it has been idle for idleExit.
func (p *pool) worker() {
	t := time.NewTimer(idleExit)
	for {
		select {
		case j := <-p.jobs:
			j.work()
			t.Reset(idleExit)
		case <-t.C:
			p.mu.Lock()
			p.live--
			p.mu.Unlock()
			return
		}
	}
}

// parallelFor runs f over [0, n) in chunks of grain items on the calling goroutine and up to
// GOMAXPROCS−1 pool helpers, and returns when all chunks are done. Chunks are contiguous and
// handed out dynamically, so a core slowed by other load simply takes fewer of them; callers
// must make each item's result independent of the chunking (the exactness contract).
func parallelFor(n, grain int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	chunks := (n + grain - 1) / grain
	p := runtime.GOMAXPROCS(0)
	if chunks == 1 || p == 1 {
		f(0, n)
		return
	}
	j := &job{f: f, n: n, grain: grain, chunks: chunks}
	j.wg.Add(chunks)
	workers.offer(j, min(p, chunks)-1)
	j.work()
	j.wg.Wait()
}

// grainFor picks a chunk size for n items of cost work each (any unit, e.g. bytes or
// multiply-adds): at least minWork per chunk, and about four chunks per core when there is
// enough work, so that dynamic hand-out can balance a loaded machine.
func grainFor(n int, cost, minWork int64) int {
	p := int64(runtime.GOMAXPROCS(0))
	cost = max(cost, 1)
	g := max(int64(n)/(4*p), (minWork+cost-1)/cost, 1)
	return int(min(g, int64(max(n, 1))))
}
