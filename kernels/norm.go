package kernels

import "math"

// RMSNorm normalises each row of x (rows of len(w)) as w ⊙ x / sqrt(mean(x²) + eps) into dst.
// The mean of squares is summed in float64 in column order; dst may alias x. Rows are spread
// over the cores when there are many; each row's result does not depend on that. A trailing
// partial row of x is left alone, as before.
func RMSNorm(dst, x, w []float32, eps float32) {
	d := len(w)
	if d == 0 {
		if len(x) > 0 {
			panic("kernels: RMSNorm: empty weight")
		}
		return
	}
	rows := len(x) / d
	if len(dst) < rows*d {
		panic("kernels: RMSNorm: dst shorter than x")
	}
	if rows*d < 1<<15 {
		rmsRows(dst, x, w, eps, 0, rows)
		return
	}
	parallelFor(rows, grainFor(rows, int64(d), 1<<14), func(lo, hi int) {
		rmsRows(dst, x, w, eps, lo, hi)
	})
}

// rmsRows normalises rows [lo, hi).
func rmsRows(dst, x, w []float32, eps float32, lo, hi int) {
	d := len(w)
	for off := lo * d; off < hi*d; off += d {
		xr, yr := x[off:off+d], dst[off:off+d]
		var ss float64
		for _, v := range xr {
			ss += float64(v) * float64(v) // exact product: fusing cannot change it
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
