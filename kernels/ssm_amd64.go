//go:build amd64 && !purego

package kernels

import "unsafe"

// scanChannels runs the selective scan of channels [lo, hi): Δ = softplus(dt + dtBias) into
// y with the vector softplus, the vector state update (y becomes Σ s·C), then the skip and
// the gate with the vector SiLU.
func scanChannels(y, u, dt, z, B, C, A, dtBias, Dskip, state []float32, T, D, N, lo, hi int) {
	if isa == isaGo || N == 0 || T == 0 {
		scanChannelsGo(y, u, dt, z, B, C, A, dtBias, Dskip, state, T, D, N, lo, hi)
		return
	}
	for t := 0; t < T; t++ {
		softplusAdd(y[t*D+lo:t*D+hi], dt[t*D+lo:t*D+hi], dtBias[lo:hi])
	}
	a := scanArgs{
		s: unsafe.Pointer(&state[lo*N]), a: unsafe.Pointer(&A[lo*N]),
		y: unsafe.Pointer(&y[lo]), u: unsafe.Pointer(&u[lo]),
		b: unsafe.Pointer(&B[0]), c: unsafe.Pointer(&C[0]),
		ymask: unsafe.Pointer(&laneMasks[16-N%16]),
		n:     N, ld: D, t: T, nc: hi - lo, kmask: 1<<(N%16) - 1,
	}
	if isa == isaAVX512 {
		scanChanZ(&a)
	} else {
		scanChanY(&a)
	}
	for t := 0; t < T; t++ {
		for c := lo; c < hi; c++ {
			i := t*D + c
			y[i] += float32(Dskip[c] * u[i])
		}
		siluMul(y[t*D+lo:t*D+hi], z[t*D+lo:t*D+hi], y[t*D+lo:t*D+hi])
	}
}
