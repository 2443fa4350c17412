package kernels

import "math"

// RMSNorm normalises each row of x (rows of len(w)) as w ⊙ x / sqrt(mean(x²) + eps) into dst.
// The mean of squares is summed in float64; dst may alias x.
func RMSNorm(dst, x, w []float32, eps float32) {
	d := len(w)
	for off := 0; off+d <= len(x); off += d {
		xr, yr := x[off:off+d], dst[off:off+d]
		var ss float64
		for _, v := range xr {
			ss += float64(v) * float64(v)
		}
		inv := float32(1 / math.Sqrt(ss/float64(d)+float64(eps)))
		for i, v := range xr {
			yr[i] = (v * inv) * w[i]
		}
	}
}

// SiLU returns x·σ(x).
func SiLU(x float32) float32 { return x / (1 + float32(math.Exp(float64(-x)))) }

// Softplus returns log(1+eˣ) for x ≤ 20 and x otherwise, as the Mamba kernels do.
func Softplus(x float32) float32 {
	if x > 20 {
		return x
	}
	return float32(math.Log1p(math.Exp(float64(x))))
}
