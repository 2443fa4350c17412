//go:build amd64 && !purego

package kernels

import "unsafe"

// tileSet is one instruction set's family of MatMul tile kernels: r rows × 1..len(k)-1 tokens.
type tileSet struct {
	r    int
	bf16 []func(*tileArgs) // indexed by tokens per tile
	f32  []func(*tileArgs)
}

var (
	tilesZ = tileSet{r: 4, bf16: mmZbf16[:], f32: mmZf32[:]}
	tilesY = tileSet{r: 2, bf16: mmYbf16[:], f32: mmYf32[:]}
)

// matmulArch runs MatMul on the assembly tile kernels when the CPU has them.
func matmulArch(dst, x []float32, n int, w *Matrix) bool {
	var ts *tileSet
	switch isa {
	case isaAVX512:
		ts = &tilesZ
	case isaAVX2:
		ts = &tilesY
	default:
		return false
	}
	m := newTileMatMul(dst, x, n, w, ts)
	tiles := (w.Rows + ts.r - 1) / ts.r
	cost := int64(ts.r) * int64(w.Cols) * int64(n+1) // multiply-adds, plus the weight stream
	parallelFor(tiles, grainFor(tiles, cost, 1<<18), m.run)
	return true
}

// tileMatMul is one MatMul call cut into tiles of ts.r rows × up to tmax tokens.
type tileMatMul struct {
	dst, x []float32
	n      int
	w      *Matrix
	ts     *tileSet
	kern   []func(*tileArgs)
	nb     int       // full 16-column blocks
	rem    int       // columns in the last partial block
	xtail  []float32 // [n][16]: each token's last partial block, zero-padded
}

func newTileMatMul(dst, x []float32, n int, w *Matrix, ts *tileSet) *tileMatMul {
	m := &tileMatMul{dst: dst, x: x, n: n, w: w, ts: ts, nb: w.Cols / 16, rem: w.Cols % 16}
	m.kern = ts.f32
	if w.BF16 != nil {
		m.kern = ts.bf16
	}
	if m.rem > 0 {
		m.xtail = make([]float32, 16*n)
		for t := 0; t < n; t++ {
			copy(m.xtail[16*t:], x[t*w.Cols+16*m.nb:(t+1)*w.Cols])
		}
	}
	return m
}

// run computes the row tiles [lo, hi) for all tokens: the tile's rows stay in cache while
// the tokens stream past them, so the weights are read from memory once per call.
func (m *tileMatMul) run(lo, hi int) {
	var a tileArgs
	var wt16 [4 * 16]uint16
	var wt32 [4 * 16]float32
	a.nb = m.nb
	if m.rem > 0 {
		a.tail = 1
	}
	R, tmax, rows := m.ts.r, len(m.kern)-1, m.w.Rows
	chunks := (m.n + tmax - 1) / tmax // token tiles of even size: 32 tokens are 6+6+5+5+5+5, not 6·5+2
	for tile := lo; tile < hi; tile++ {
		r0 := tile * R
		nr := min(R, rows-r0)
		m.setRows(&a, &wt16, &wt32, r0, nr)
		for c, t0 := 0, 0; c < chunks; c++ {
			nt := m.n / chunks
			if c < m.n%chunks {
				nt++
			}
			m.setTokens(&a, t0, nt)
			m.kern[nt](&a)
			for t := 0; t < nt; t++ {
				copy(m.dst[(t0+t)*rows+r0:(t0+t)*rows+r0+nr], a.out[t*R:t*R+nr])
			}
			t0 += nt
		}
	}
}

// setRows points the tile at rows r0..r0+nr-1; a short last tile repeats its last row, whose
// duplicate sums are discarded.
func (m *tileMatMul) setRows(a *tileArgs, wt16 *[64]uint16, wt32 *[64]float32, r0, nr int) {
	C, full := m.w.Cols, 16*m.nb
	for r := 0; r < m.ts.r; r++ {
		row := r0 + min(r, nr-1)
		if m.w.BF16 != nil {
			src := m.w.BF16[row*C : (row+1)*C]
			a.w[r] = unsafe.Pointer(unsafe.SliceData(src))
			if m.rem > 0 {
				tail := wt16[16*r : 16*r+16]
				clear(tail[copy(tail, src[full:]):])
				a.wt[r] = unsafe.Pointer(&tail[0])
			}
			continue
		}
		src := m.w.F32[row*C : (row+1)*C]
		a.w[r] = unsafe.Pointer(unsafe.SliceData(src))
		if m.rem > 0 {
			tail := wt32[16*r : 16*r+16]
			clear(tail[copy(tail, src[full:]):])
			a.wt[r] = unsafe.Pointer(&tail[0])
		}
	}
}

// setTokens points the tile at tokens t0..t0+nt-1.
func (m *tileMatMul) setTokens(a *tileArgs, t0, nt int) {
	C := m.w.Cols
	for t := 0; t < nt; t++ {
		a.x[t] = unsafe.Pointer(unsafe.SliceData(m.x[(t0+t)*C : (t0+t+1)*C]))
		if m.rem > 0 {
			a.xt[t] = unsafe.Pointer(&m.xtail[16*(t0+t)])
		}
	}
}
