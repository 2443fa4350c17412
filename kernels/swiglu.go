package kernels

// SwiGLU sets dst[i] = SiLU(gate[i])·up[i], the gated activation of the Hymba MLP, on every
// core for long rows. dst may alias gate or up; each element depends only on its inputs. On
// amd64 SiLU uses the vector exp (see the package doc), elsewhere math.Exp.
func SwiGLU(dst, gate, up []float32) {
	n := len(dst)
	if len(gate) < n || len(up) < n {
		panic("kernels: SwiGLU: gate or up shorter than dst")
	}
	parallelFor(n, grainFor(n, 16, 1<<17), func(lo, hi int) {
		siluMul(dst[lo:hi], gate[lo:hi], up[lo:hi])
	})
}

// siluMulGo sets y[i] = SiLU(x[i])·m[i], or SiLU(x[i]) when m is nil.
func siluMulGo(y, x, m []float32) {
	x = x[:len(y)]
	if m == nil {
		for i, v := range x {
			y[i] = SiLU(v)
		}
		return
	}
	m = m[:len(y)]
	for i, v := range x {
		y[i] = SiLU(v) * m[i]
	}
}

// softplusAddGo sets y[i] = Softplus(x[i] + m[i]).
func softplusAddGo(y, x, m []float32) {
	x, m = x[:len(y)], m[:len(y)]
	for i, v := range x {
		y[i] = Softplus(v + m[i])
	}
}
