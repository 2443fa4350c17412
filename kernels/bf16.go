package kernels

// F32ToBF16Row rounds src to bfloat16 into dst (len(dst) ≥ len(src)) with F32ToBF16: to
// nearest, ties to even; NaN stays NaN (quiet), ±Inf stays ±Inf, subnormals round like any
// other value, and a value past the largest bf16 becomes ±Inf.
func F32ToBF16Row(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = F32ToBF16(x)
	}
}

// BF16ToF32Row widens src exactly into dst (len(dst) ≥ len(src)).
func BF16ToF32Row(dst []float32, src []uint16) { widenRow(dst, src) }

// widenRow widens src exactly into dst and returns dst[:len(src)].
func widenRow(dst []float32, src []uint16) []float32 {
	dst = dst[:len(src)]
	for i, b := range src {
		dst[i] = BF16ToF32(b)
	}
	return dst
}
