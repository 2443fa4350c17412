//go:build amd64 && !purego

package kernels

import "unsafe"

// siluMul sets y[i] = silu(x[i])·m[i], or silu(x[i]) when m is nil, with the vector exp.
func siluMul(y, x, m []float32) {
	n := len(y)
	if isa == isaGo || n == 0 {
		siluMulGo(y, x, m)
		return
	}
	a := siluArgs{
		x: unsafe.Pointer(&x[:n][0]), y: unsafe.Pointer(&y[0]),
		ymask: unsafe.Pointer(&laneMasks[16-n%8]), n: n, kmask: 1<<(n%16) - 1,
	}
	if m != nil {
		a.m = unsafe.Pointer(&m[:n][0])
	}
	if isa == isaAVX512 {
		siluMulZ(&a)
	} else {
		siluMulY(&a)
	}
}

// softplusAdd sets y[i] = softplus(x[i] + m[i]) with the vector exp and log (see the
// SelectiveScan doc).
func softplusAdd(y, x, m []float32) {
	n := len(y)
	if isa == isaGo || n == 0 {
		softplusAddGo(y, x, m)
		return
	}
	a := siluArgs{
		x: unsafe.Pointer(&x[:n][0]), m: unsafe.Pointer(&m[:n][0]), y: unsafe.Pointer(&y[0]),
		ymask: unsafe.Pointer(&laneMasks[16-n%8]), n: n, kmask: 1<<(n%16) - 1,
	}
	if isa == isaAVX512 {
		softplusAddZ(&a)
	} else {
		softplusAddY(&a)
	}
}
