package kernels

import "testing"

// convCase is CausalConv data for T rows of D channels, kernel width K.
type convCase struct{ T, D, K int }

var convCases = []convCase{{T: 9, D: 3200, K: 4}, {T: 5, D: 37, K: 3}, {T: 3, D: 33, K: 4}, {T: 1, D: 1, K: 1}}

// TestCausalConvParity compares CausalConv with the float64 reference.
func TestCausalConvParity(t *testing.T) {
	for _, c := range convCases {
		x, w, b := randVec(21, c.T*c.D), randVec(22, c.D*c.K), randVec(23, c.D)
		st1, st2 := randVec(24, c.D*c.K), randVec(24, c.D*c.K)
		got, want := make([]float32, c.T*c.D), make([]float32, c.T*c.D)
		CausalConv(got, x, st1, w, b, c.T, c.D, c.K)
		CausalConvRef(want, x, st2, w, b, c.T, c.D, c.K)
		near(t, name("%+v u", c), got, want, 1e-6, 1e-5)
		sameBits(t, name("%+v state", c), st1, st2)
	}
}

// TestCausalConvContract checks T steps of one row against one call of T rows, output and
// state bit for bit, at GOMAXPROCS 1 and 2.
func TestCausalConvContract(t *testing.T) {
	for _, c := range convCases {
		x, w, b := randVec(25, c.T*c.D), randVec(26, c.D*c.K), randVec(27, c.D)
		stepSt, stepU := make([]float32, c.D*c.K), make([]float32, c.T*c.D)
		withProcs(1, func() {
			for tt := 0; tt < c.T; tt++ {
				CausalConv(stepU[tt*c.D:], x[tt*c.D:], stepSt, w, b, 1, c.D, c.K)
			}
		})
		for _, p := range []int{1, 2} {
			st, u := make([]float32, c.D*c.K), make([]float32, c.T*c.D)
			withProcs(p, func() { CausalConv(u, x, st, w, b, c.T, c.D, c.K) })
			sameBits(t, name("%+v u procs=%d", c, p), u, stepU)
			sameBits(t, name("%+v state procs=%d", c, p), st, stepSt)
		}
	}
}

// scanData is SelectiveScan input for T steps, D channels, state size N.
type scanData struct {
	T, D, N                          int
	u, dt, z, B, C, A, dtBias, Dskip []float32
}

func newScanData(T, D, N int) *scanData {
	s := &scanData{T: T, D: D, N: N, u: randVec(31, T*D), dt: randVec(32, T*D), z: randVec(33, T*D),
		B: randVec(34, T*N), C: randVec(35, T*N), A: randVec(36, D*N), dtBias: randVec(37, D), Dskip: randVec(38, D)}
	for i, a := range s.A {
		s.A[i] = -1 - 8*a*a // A = −exp(A_log) < 0
	}
	s.dt[0] = 30 // softplus pass-through branch
	return s
}

// run calls f (SelectiveScan or its reference) on steps [t0, t1) with state st into y.
func (s *scanData) run(f func(y, u, dt, z, B, C, A, dtBias, Dskip, state []float32, T, D, N int), y, st []float32, t0, t1 int) {
	D, N := s.D, s.N
	f(y[t0*D:], s.u[t0*D:], s.dt[t0*D:], s.z[t0*D:], s.B[t0*N:], s.C[t0*N:], s.A, s.dtBias, s.Dskip, st, t1-t0, D, N)
}

var scanShapes = [][3]int{{7, 3200, 16}, {4, 33, 5}, {1, 1, 1}}

// TestSelectiveScanParity compares SelectiveScan with the float64 reference.
func TestSelectiveScanParity(t *testing.T) {
	for _, sh := range scanShapes {
		s := newScanData(sh[0], sh[1], sh[2])
		got, want := make([]float32, s.T*s.D), make([]float32, s.T*s.D)
		st1, st2 := randVec(39, s.D*s.N), randVec(39, s.D*s.N)
		s.run(SelectiveScan, got, st1, 0, s.T)
		s.run(SelectiveScanRef, want, st2, 0, s.T)
		near(t, name("%v y", sh), got, want, 1e-5, 1e-4)
		near(t, name("%v state", sh), st1, st2, 1e-5, 1e-4)
	}
}

// TestSelectiveScanContract checks single steps against one call, output and state bit for
// bit, at GOMAXPROCS 1 and 2.
func TestSelectiveScanContract(t *testing.T) {
	for _, sh := range scanShapes {
		s := newScanData(sh[0], sh[1], sh[2])
		stepY, stepSt := make([]float32, s.T*s.D), make([]float32, s.D*s.N)
		withProcs(1, func() {
			for tt := 0; tt < s.T; tt++ {
				s.run(SelectiveScan, stepY, stepSt, tt, tt+1)
			}
		})
		for _, p := range []int{1, 2} {
			y, st := make([]float32, s.T*s.D), make([]float32, s.D*s.N)
			withProcs(p, func() {
				s.run(SelectiveScan, y, st, 0, s.T/2) // chunked: two calls
				s.run(SelectiveScan, y, st, s.T/2, s.T)
			})
			sameBits(t, name("%v y procs=%d", sh, p), y, stepY)
			sameBits(t, name("%v state procs=%d", sh, p), st, stepSt)
		}
	}
}

// TestSSMPanics checks that short slices are reported, not read past.
func TestSSMPanics(t *testing.T) {
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"conv short x", func() {
			CausalConv(make([]float32, 8), make([]float32, 7), make([]float32, 8), make([]float32, 8), make([]float32, 4), 2, 4, 2)
		}},
		{"conv K=0", func() { CausalConv(nil, nil, nil, nil, nil, 1, 1, 0) }},
		{"scan short state", func() {
			v := make([]float32, 8)
			SelectiveScan(v, v, v, v, v, v, v, v, v, make([]float32, 7), 2, 4, 2)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			c.f()
		})
	}
}
