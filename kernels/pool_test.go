package kernels

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestParallelForCoversOnce checks that every index is visited exactly once, for many sizes,
// grains and core counts, with concurrent and nested callers.
func TestParallelForCoversOnce(t *testing.T) {
	for _, p := range []int{1, 2, 3} {
		withProcs(p, func() {
			var wg sync.WaitGroup
			for caller := 0; caller < 4; caller++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, n := range []int{0, 1, 7, 100, 1000} {
						for _, grain := range []int{0, 1, 3, 64, 5000} {
							checkCover(t, n, grain)
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

// checkCover runs one parallelFor with a nested one inside and counts the visits.
func checkCover(t *testing.T, n, grain int) {
	seen := make([]atomic.Int32, n)
	parallelFor(n, grain, func(lo, hi int) {
		parallelFor(hi-lo, 1, func(a, b int) {
			for i := lo + a; i < lo+b; i++ {
				seen[i].Add(1)
			}
		})
	})
	for i := range seen {
		if c := seen[i].Load(); c != 1 {
			t.Errorf("n=%d grain=%d: index %d visited %d times", n, grain, i, c)
			return
		}
	}
}

// TestPoolWorkersExitWhenIdle checks that idle helpers go away (no goroutine leak).
func TestPoolWorkersExitWhenIdle(t *testing.T) {
	withProcs(2, func() { parallelFor(100, 1, func(lo, hi int) {}) })
	deadline := time.Now().Add(50 * idleExit) // generous: a liveness bound, not a timing check
	for {
		workers.mu.Lock()
		live := workers.live
		workers.mu.Unlock()
		if live == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d pool workers still alive after %v idle", live, 50*idleExit)
		}
		time.Sleep(idleExit / 4)
	}
}

// TestMeasureBandwidth checks that the probe returns a plausible positive rate.
func TestMeasureBandwidth(t *testing.T) {
	bw := MeasureBandwidth(4 << 20)
	if !(bw > 1e8 && bw < 1e13) {
		t.Fatalf("MeasureBandwidth = %g B/s", bw)
	}
}
