package kernels

import (
	"runtime"
	"sync"
)

// parallelRows splits [0, rows) into contiguous blocks, one per core, and runs f on each.
func parallelRows(rows int, f func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if p > rows {
		p = rows
	}
	if p <= 1 {
		f(0, rows)
		return
	}
	var wg sync.WaitGroup
	for i := 0; i < p; i++ {
		lo, hi := rows*i/p, rows*(i+1)/p
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}
