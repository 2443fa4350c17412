//go:build !amd64 || purego

package kernels

// scanChannels runs the selective scan of channels [lo, hi).
func scanChannels(y, u, dt, z, B, C, A, dtBias, Dskip, state []float32, T, D, N, lo, hi int) {
	scanChannelsGo(y, u, dt, z, B, C, A, dtBias, Dskip, state, T, D, N, lo, hi)
}
