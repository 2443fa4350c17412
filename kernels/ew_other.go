//go:build !amd64 || purego

package kernels

// siluMul sets y[i] = SiLU(x[i])·m[i], or SiLU(x[i]) when m is nil.
func siluMul(y, x, m []float32) { siluMulGo(y, x, m) }

// softplusAdd sets y[i] = Softplus(x[i] + m[i]).
func softplusAdd(y, x, m []float32) { softplusAddGo(y, x, m) }
