package kernels

import "math"

// RMSNormRef is the plain reference for RMSNorm: one row after the other, the mean of squares
// in float64. RMSNorm must match it bit for bit.
func RMSNormRef(dst, x, w []float32, eps float32) {
	d := len(w)
	for off := 0; d > 0 && off+d <= len(x); off += d {
		var ss float64
		for _, v := range x[off : off+d] {
			ss += float64(v) * float64(v)
		}
		inv := float32(1 / math.Sqrt(ss/float64(d)+float64(eps)))
		for i, v := range x[off : off+d] {
			dst[off+i] = (v * inv) * w[i]
		}
	}
}
