package kernels

// MatMul sets dst = x·Wᵀ: dst[t, r] = Σ_c x[t, c]·W[r, c] for t < n, r < w.Rows, using every
// core. Each element is computed from its own row and token alone, in an order fixed by Cols,
// whatever n, the tiling of rows and tokens and the split between goroutines.
//
//	x: [n, w.Cols]  dst: [n, w.Rows]
//
// On amd64 with AVX-512 or AVX2 every element is a 16-lane fused multiply-add sum (lane l
// takes columns c ≡ l mod 16 in increasing order, the last partial block zero-padded) folded
// in a fixed tree, identical on both instruction sets; the pure-Go kernel uses 8 lanes with
// separately rounded products. MatMul panics if a slice is too short for the shapes.
func MatMul(dst, x []float32, n int, w *Matrix) {
	checkMatMul(dst, x, n, w)
	if n == 0 || w.Rows == 0 {
		return
	}
	if w.Cols == 0 {
		clear(dst[:n*w.Rows])
		return
	}
	if matmulArch(dst, x, n, w) {
		return
	}
	matmulGo(dst, x, n, w)
}

// checkMatMul panics on inconsistent shapes (a programming error in the caller).
func checkMatMul(dst, x []float32, n int, w *Matrix) {
	switch {
	case n < 0 || w.Rows < 0 || w.Cols < 0:
		panic("kernels: MatMul: negative size")
	case w.BF16 != nil && len(w.BF16) < w.Rows*w.Cols, w.BF16 == nil && len(w.F32) < w.Rows*w.Cols:
		panic("kernels: MatMul: weights shorter than Rows*Cols")
	case len(x) < n*w.Cols:
		panic("kernels: MatMul: x shorter than n*Cols")
	case len(dst) < n*w.Rows:
		panic("kernels: MatMul: dst shorter than n*Rows")
	}
}

// matmulGo is the portable kernel: each row is widened once and dotted with every token.
func matmulGo(dst, x []float32, n int, w *Matrix) {
	cost := int64(n) * int64(w.Cols)
	parallelFor(w.Rows, grainFor(w.Rows, cost, 1<<18), func(lo, hi int) {
		row := make([]float32, w.Cols)
		for r := lo; r < hi; r++ {
			w.Row(row, r)
			for t := 0; t < n; t++ {
				dst[t*w.Rows+r] = dot(row, x[t*w.Cols:(t+1)*w.Cols])
			}
		}
	})
}

// dot sums a·b in 8 interleaved float32 lanes, then folds the lanes in a fixed order. The
// explicit conversions keep the compiler from fusing multiply and add (it may on arm64 or
// GOAMD64=v3), so the result is the same on every architecture.
func dot(a, b []float32) float32 {
	var l [8]float32
	b = b[:len(a)]
	i := 0
	for ; i+8 <= len(a); i += 8 {
		for j := 0; j < 8; j++ {
			l[j] += float32(a[i+j] * b[i+j])
		}
	}
	for ; i < len(a); i++ {
		l[i&7] += float32(a[i] * b[i])
	}
	return ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]))
}
