//go:build !amd64 || purego

package kernels

// sumStream sums x (len a multiple of 64).
func sumStream(x []float32) float32 { return sumStreamGo(x) }
