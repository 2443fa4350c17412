package kernels

import "math"

// CausalConv runs the depthwise causal convolution with kernel width K over T rows of x,
// continuing from state, and applies SiLU:
//
//	u[t, c] = silu(bias[c] + Σ_k w[c, k]·x[t−K+1+k, c])
//
// where inputs before the first row come from state [D, K] (oldest first, zeros for a fresh
// sequence). On return state holds the last K inputs. x, u: [T, D]; w: [D, K]; bias: [D].
func CausalConv(u, x, state, w, bias []float32, T, D, K int) {
	parallelRows(D, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			st := state[c*K : (c+1)*K]
			wc := w[c*K : (c+1)*K]
			for t := 0; t < T; t++ {
				copy(st, st[1:])
				st[K-1] = x[t*D+c]
				var s float32
				for k := 0; k < K; k++ {
					s += wc[k] * st[k]
				}
				u[t*D+c] = SiLU(s + bias[c])
			}
		}
	})
}

// SelectiveScan runs the Mamba recurrence for T steps over D channels with state size N,
// continuing from state [D, N] (updated in place):
//
//	Δ = softplus(dt[t, c] + dtBias[c])
//	s[c, n] = exp(Δ·A[c, n])·s[c, n] + Δ·B[t, n]·u[t, c]
//	y[t, c] = (Σ_n s[c, n]·C[t, n] + Dskip[c]·u[t, c]) · silu(z[t, c])
//
// u, dt, z, y: [T, D]; B, C: [T, N]; A: [D, N] (= −exp(A_log)); dtBias, Dskip: [D].
func SelectiveScan(y, u, dt, z, B, C, A, dtBias, Dskip, state []float32, T, D, N int) {
	parallelRows(D, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			s := state[c*N : (c+1)*N]
			a := A[c*N : (c+1)*N]
			for t := 0; t < T; t++ {
				d := Softplus(dt[t*D+c] + dtBias[c])
				uc := u[t*D+c]
				bt, ct := B[t*N:(t+1)*N], C[t*N:(t+1)*N]
				var acc float32
				for n := 0; n < N; n++ {
					s[n] = float32(math.Exp(float64(d*a[n])))*s[n] + d*bt[n]*uc
					acc += s[n] * ct[n]
				}
				y[t*D+c] = (acc + Dskip[c]*uc) * SiLU(z[t*D+c])
			}
		}
	})
}
