package kernels

import (
	"testing"
)

// matmulShapes are odd sizes: Cols not a multiple of 8/16/32, Rows not a multiple of a tile.
var matmulShapes = [][2]int{{1, 1}, {3, 5}, {7, 16}, {9, 17}, {5, 31}, {33, 33}, {6, 100}, {13, 129}, {517, 67}}

// TestMatMulParity compares MatMul with the float64 reference on every instruction set.
func TestMatMulParity(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, dt := range []DType{F32, BF16} {
			for _, sh := range matmulShapes {
				w := randMatrix(1, sh[0], sh[1], dt)
				x := randVec(2, 13*sh[1])
				got, want := make([]float32, 13*sh[0]), make([]float32, 13*sh[0])
				MatMul(got, x, 13, w)
				MatMulRef(want, x, 13, w)
				// 16 or 8 float32 lanes of up to Cols/8 terms each: error ≲ Cols·2⁻²⁴ relative to Σ|w·x|.
				near(t, name("%v %dx%d", dt, sh[0], sh[1]), got, want, float64(sh[1])*2e-7, 1e-5)
			}
		}
	})
}

// TestMatMulContract checks the exactness contract: n tokens in one call equal each token
// alone, bit for bit, at GOMAXPROCS 1 and 2.
func TestMatMulContract(t *testing.T) {
	const n = 13
	eachISA(t, func(t *testing.T) {
		for _, dt := range []DType{F32, BF16} {
			for _, sh := range matmulShapes {
				w := randMatrix(3, sh[0], sh[1], dt)
				x := randVec(4, n*sh[1])
				one := make([]float32, n*sh[0])
				withProcs(1, func() {
					for tok := 0; tok < n; tok++ {
						MatMul(one[tok*sh[0]:], x[tok*sh[1]:(tok+1)*sh[1]], 1, w)
					}
				})
				for _, p := range []int{1, 2} {
					for _, m := range []int{2, 5, 8, n} { // batch sizes hitting every tile width
						all := make([]float32, m*sh[0])
						withProcs(p, func() { MatMul(all, x, m, w) })
						sameBits(t, name("%v %dx%d n=%d procs=%d", dt, sh[0], sh[1], m, p), all, one[:m*sh[0]])
					}
				}
			}
		}
	})
}

// TestMatMulEdges covers empty sizes and the shape panics.
func TestMatMulEdges(t *testing.T) {
	w := &Matrix{Rows: 3, Cols: 0, F32: []float32{}}
	dst := []float32{7, 7, 7, 7, 7, 7}
	MatMul(dst, nil, 2, w)
	sameBits(t, "Cols=0", dst, make([]float32, 6))
	MatMul(nil, nil, 0, randMatrix(1, 4, 4, BF16))
	MatMul(nil, make([]float32, 8), 2, &Matrix{Rows: 0, Cols: 4, F32: []float32{}})
	for _, c := range []struct {
		name   string
		dst, x []float32
		n      int
		w      *Matrix
	}{
		{"short dst", make([]float32, 5), make([]float32, 8), 2, randMatrix(1, 3, 4, F32)},
		{"short x", make([]float32, 6), make([]float32, 7), 2, randMatrix(1, 3, 4, F32)},
		{"short weights", make([]float32, 6), make([]float32, 8), 2, &Matrix{Rows: 3, Cols: 4, BF16: make([]uint16, 11)}},
		{"negative n", nil, nil, -1, randMatrix(1, 3, 4, F32)},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			MatMul(c.dst, c.x, c.n, c.w)
		})
	}
}
