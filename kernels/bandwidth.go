package kernels

import (
	"runtime"
	"time"
)

// defaultBandwidthBytes is the buffer MeasureBandwidth reads when given no size: well above
// the last-level cache of the machines we run on.
const defaultBandwidthBytes = 512 << 20

// bandwidthSink keeps the streamed sums alive.
var bandwidthSink float32

// MeasureBandwidth returns the memory read bandwidth in bytes per second: the best of five
// passes of a streaming sum over a buffer of the given size (512 MiB when bytes ≤ 0), split in
// contiguous parts over GOMAXPROCS cores. It is the roofline of the memory-bound decode step,
// which streams every weight once per token. The buffer should be larger than the caches.
func MeasureBandwidth(bytes int) (bytesPerSecond float64) {
	if bytes <= 0 {
		bytes = defaultBandwidthBytes
	}
	p := runtime.GOMAXPROCS(0)
	part := max(bytes/4/p/64*64, 64) // floats per core, a multiple of 64
	buf := make([]float32, part*p)
	parallelFor(p, 1, func(lo, hi int) {
		for i := lo * part; i < hi*part; i++ {
			buf[i] = 1 // fault the pages in before timing
		}
	})
	sums := make([]float32, p)
	var best float64
	for range 5 {
		start := time.Now()
		parallelFor(p, 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				sums[i] = sumStream(buf[i*part : (i+1)*part])
			}
		})
		best = max(best, float64(4*len(buf))/time.Since(start).Seconds())
	}
	for _, s := range sums {
		bandwidthSink += s
	}
	return best
}

// sumStreamGo reads x (len a multiple of 64) with eight independent accumulators.
func sumStreamGo(x []float32) float32 {
	var l [8]float32
	for i := 0; i+8 <= len(x); i += 8 {
		v := x[i : i+8 : i+8]
		l[0] += v[0]
		l[1] += v[1]
		l[2] += v[2]
		l[3] += v[3]
		l[4] += v[4]
		l[5] += v[5]
		l[6] += v[6]
		l[7] += v[7]
	}
	return ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]))
}
