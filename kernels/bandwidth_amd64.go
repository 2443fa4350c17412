//go:build amd64 && !purego

package kernels

import "unsafe"

// sumStream sums x (len a multiple of 64) with the widest vector loads available.
func sumStream(x []float32) float32 {
	a := sumArgs{p: unsafe.Pointer(unsafe.SliceData(x)), n: len(x)}
	switch isa {
	case isaAVX512:
		sumF32Z(&a)
	case isaAVX2:
		sumF32Y(&a)
	default:
		return sumStreamGo(x)
	}
	return a.out
}
