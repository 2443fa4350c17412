package kernels

import "math"

// CausalConvRef is the plain reference for CausalConv: one channel after the other, the
// window sum in float64.
func CausalConvRef(u, x, state, w, bias []float32, T, D, K int) {
	for c := 0; c < D; c++ {
		st := state[c*K : (c+1)*K]
		for t := 0; t < T; t++ {
			copy(st, st[1:])
			st[K-1] = x[t*D+c]
			s := float64(bias[c])
			for k := 0; k < K; k++ {
				s += float64(w[c*K+k]) * float64(st[k])
			}
			u[t*D+c] = float32(s / (1 + math.Exp(-s)))
		}
	}
}

// SelectiveScanRef is the plain reference for SelectiveScan: each step in float64, the state
// stored back as float32 after every step as the fast kernel stores it.
func SelectiveScanRef(y, u, dt, z, B, C, A, dtBias, Dskip, state []float32, T, D, N int) {
	for c := 0; c < D; c++ {
		for t := 0; t < T; t++ {
			x := float64(dt[t*D+c]) + float64(dtBias[c])
			d := x
			if x <= 20 {
				d = math.Log1p(math.Exp(x))
			}
			uc := float64(u[t*D+c])
			var acc float64
			for n := 0; n < N; n++ {
				s := math.Exp(d*float64(A[c*N+n]))*float64(state[c*N+n]) + d*float64(B[t*N+n])*uc
				state[c*N+n] = float32(s)
				acc += s * float64(C[t*N+n])
			}
			zz := float64(z[t*D+c])
			y[t*D+c] = float32((acc + float64(Dskip[c])*uc) * zz / (1 + math.Exp(-zz)))
		}
	}
}
