//go:build !amd64 || purego

package kernels

// siluMul sets y[i] = SiLU(x[i])·m[i], or SiLU(x[i]) when m is nil.
func siluMul(y, x, m []float32) { siluMulGo(y, x, m) }
