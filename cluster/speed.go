package cluster

import (
	"time"

	"github.com/hymbaserve/hymbaserve/kernels"
)

// MeasureSpeed returns this machine's matrix-product speed in GFLOP/s (a BF16 matrix of the
// real model's width against 8 rows, best of a few runs), the Speed a worker advertises.
func MeasureSpeed() float64 {
	const rows, cols, n = 1024, 1600, 8
	w := &kernels.Matrix{Rows: rows, Cols: cols, BF16: make([]uint16, rows*cols)}
	for i := range w.BF16 {
		w.BF16[i] = kernels.F32ToBF16(float32(i%7) * 0.01)
	}
	x := make([]float32, n*cols)
	dst := make([]float32, n*rows)
	best := time.Duration(1 << 62)
	for range 5 {
		t := time.Now()
		kernels.MatMul(dst, x, n, w)
		best = min(best, time.Since(t))
	}
	return 2 * rows * cols * n / best.Seconds() / 1e9
}
