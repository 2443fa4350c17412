package kernels

import "math"

// CausalConv runs the depthwise causal convolution with kernel width K over T rows of x,
// continuing from state, and applies SiLU:
//
//	u[t, c] = silu(bias[c] + Σ_k w[c, k]·x[t−K+1+k, c])
//
// where inputs before the first row come from state [D, K] (oldest first, zeros for a fresh
// sequence). On return state holds the last K inputs. x, u: [T, D]; w: [D, K]; bias: [D].
// Channels are spread over the cores; each channel's sums run in k order in float32 with
// rounded products, so T calls with T=1 give the same bits as one call with T rows. SiLU is
// the vector one on amd64 (see SwiGLU). u must not overlap x.
func CausalConv(u, x, state, w, bias []float32, T, D, K int) {
	checkConv(u, x, state, w, bias, T, D, K)
	parallelFor(D, grainFor(D, int64(T*K+T*16), 1<<17), func(lo, hi int) {
		convChannels(u, x, state, w, bias, T, D, K, lo, hi)
	})
}

// convChannels convolves channels [lo, hi) and applies SiLU row by row. Both loop orders
// below form the same products and sums in the same order.
func convChannels(u, x, state, w, bias []float32, T, D, K, lo, hi int) {
	if T <= K {
		convStep(u, x, state, w, bias, T, D, K, lo, hi)
	} else {
		convRows(u, x, state, w, bias, T, D, K, lo, hi)
	}
	for t := 0; t < T; t++ {
		row := u[t*D+lo : t*D+hi]
		siluMul(row, row, nil)
	}
}

// convStep steps each channel through its state (decode and short chunks).
func convStep(u, x, state, w, bias []float32, T, D, K, lo, hi int) {
	for c := lo; c < hi; c++ {
		st, wc := state[c*K:(c+1)*K], w[c*K:(c+1)*K]
		for t := 0; t < T; t++ {
			for k := 0; k+1 < K; k++ { // K is tiny: a loop beats a copy call
				st[k] = st[k+1]
			}
			st[K-1] = x[t*D+c]
			var s float32
			for k, wk := range wc {
				s += float32(wk * st[k])
			}
			u[t*D+c] = s + bias[c]
		}
	}
}

// convRows runs long chunks row by row (contiguous in x and u), reading the window from state
// before the first row, then keeps the last K inputs in state.
func convRows(u, x, state, w, bias []float32, T, D, K, lo, hi int) {
	for t := 0; t < T; t++ {
		for c := lo; c < hi; c++ {
			var s float32
			for k, wk := range w[c*K : (c+1)*K] {
				in := t - K + 1 + k // input row; negative rows are in state
				var v float32
				if in >= 0 {
					v = x[in*D+c]
				} else {
					v = state[c*K+K+in]
				}
				s += float32(wk * v)
			}
			u[t*D+c] = s + bias[c]
		}
	}
	for c := lo; c < hi; c++ {
		for k := 0; k < K; k++ { // T > K: the window is all new rows
			state[c*K+k] = x[(T-K+k)*D+c]
		}
	}
}

// checkConv panics when a CausalConv slice is too short for T, D, K.
func checkConv(u, x, state, w, bias []float32, T, D, K int) {
	switch {
	case T < 0 || D < 0 || K <= 0:
		panic("kernels: CausalConv: negative size or K < 1")
	case len(x) < T*D || len(u) < T*D:
		panic("kernels: CausalConv: x or u shorter than T*D")
	case len(state) < D*K || len(w) < D*K || len(bias) < D:
		panic("kernels: CausalConv: state, w or bias too short for D and K")
	}
}

// SelectiveScan runs the Mamba recurrence for T steps over D channels with state size N,
// continuing from state [D, N] (updated in place):
//
//	Δ = softplus(dt[t, c] + dtBias[c])
//	s[c, n] = exp(Δ·A[c, n])·s[c, n] + Δ·B[t, n]·u[t, c]
//	y[t, c] = (Σ_n s[c, n]·C[t, n] + Dskip[c]·u[t, c]) · silu(z[t, c])
//
// u, dt, z, y: [T, D]; B, C: [T, N]; A: [D, N] (= −exp(A_log)); dtBias, Dskip: [D].
// Channels are spread over the cores and every step of a channel is computed the same way
// whatever T, so T calls with T=1 give the same bits as one call of T steps. The pure-Go kernel
// rounds every product and sums over n in order; the AVX-512/AVX2 kernel (identical bits on
// both) computes softplus, exp and SiLU with vector polynomials (a few ulp; softplus is
// log(1+e)·e/((1+e)−1) with Cephes logf), s = fma(e, s, (Δ·B)·u), and sums s·C in 16 fused
// lanes folded in a fixed tree, like MatMul.
func SelectiveScan(y, u, dt, z, B, C, A, dtBias, Dskip, state []float32, T, D, N int) {
	checkScan(y, u, dt, z, B, C, A, dtBias, Dskip, state, T, D, N)
	parallelFor(D, grainFor(D, int64(T*N*24), 1<<17), func(lo, hi int) {
		scanChannels(y, u, dt, z, B, C, A, dtBias, Dskip, state, T, D, N, lo, hi)
	})
}

// scanChannelsGo is the portable scan of channels [lo, hi).
func scanChannelsGo(y, u, dt, z, B, C, A, dtBias, Dskip, state []float32, T, D, N, lo, hi int) {
	for c := lo; c < hi; c++ {
		s := state[c*N : (c+1)*N]
		a := A[c*N : (c+1)*N]
		for t := 0; t < T; t++ {
			d := Softplus(dt[t*D+c] + dtBias[c])
			uc := u[t*D+c]
			bt, ct := B[t*N:(t+1)*N], C[t*N:(t+1)*N]
			var acc float32
			for n := 0; n < N; n++ {
				e := float32(math.Exp(float64(d * a[n])))
				s[n] = float32(e*s[n]) + float32(float32(d*bt[n])*uc)
				acc += float32(s[n] * ct[n])
			}
			y[t*D+c] = (acc + float32(Dskip[c]*uc)) * SiLU(z[t*D+c])
		}
	}
}

// checkScan panics when a SelectiveScan slice is too short for T, D, N.
func checkScan(y, u, dt, z, B, C, A, dtBias, Dskip, state []float32, T, D, N int) {
	switch {
	case T < 0 || D < 0 || N < 0:
		panic("kernels: SelectiveScan: negative size")
	case len(y) < T*D || len(u) < T*D || len(dt) < T*D || len(z) < T*D:
		panic("kernels: SelectiveScan: y, u, dt or z shorter than T*D")
	case len(B) < T*N || len(C) < T*N:
		panic("kernels: SelectiveScan: B or C shorter than T*N")
	case len(A) < D*N || len(state) < D*N || len(dtBias) < D || len(Dskip) < D:
		panic("kernels: SelectiveScan: A, state, dtBias or Dskip too short for D and N")
	}
}
