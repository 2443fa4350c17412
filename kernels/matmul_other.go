//go:build !amd64 || purego

package kernels

// matmulArch reports that no assembly kernel exists here.
func matmulArch(dst, x []float32, n int, w *Matrix) bool { return false }
