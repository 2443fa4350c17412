package kernels

// MatMul sets dst = x·Wᵀ: dst[t, r] = Σ_c x[t, c]·W[r, c] for t < n, r < w.Rows, using every
// core. Each element is summed in the same order whatever n and the split between goroutines.
//
//	x: [n, w.Cols]  dst: [n, w.Rows]
func MatMul(dst, x []float32, n int, w *Matrix) {
	parallelRows(w.Rows, func(lo, hi int) {
		row := make([]float32, w.Cols)
		for r := lo; r < hi; r++ {
			w.Row(row, r)
			for t := 0; t < n; t++ {
				dst[t*w.Rows+r] = dot(row, x[t*w.Cols:(t+1)*w.Cols])
			}
		}
	})
}

// dot sums a·b in 8 interleaved float32 lanes, then folds the lanes in a fixed order.
func dot(a, b []float32) float32 {
	var l [8]float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		for j := 0; j < 8; j++ {
			l[j] += a[i+j] * b[i+j]
		}
	}
	for ; i < len(a); i++ {
		l[i&7] += a[i] * b[i]
	}
	return ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]))
}
