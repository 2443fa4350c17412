package kernels

// MatMulRef is the plain reference for MatMul: dst[t, r] = Σ_c x[t, c]·W[r, c], summed in
// float64 in column order.
//
//	x: [n, w.Cols]  dst: [n, w.Rows]
func MatMulRef(dst, x []float32, n int, w *Matrix) {
	row := make([]float32, w.Cols)
	for r := 0; r < w.Rows; r++ {
		w.Row(row, r)
		for t := 0; t < n; t++ {
			xt := x[t*w.Cols : (t+1)*w.Cols]
			var s float64
			for c, v := range row {
				s += float64(v) * float64(xt[c])
			}
			dst[t*w.Rows+r] = float32(s)
		}
	}
}
