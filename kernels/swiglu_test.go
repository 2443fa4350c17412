package kernels

import "testing"

// TestSwiGLU compares SwiGLU with SiLU(gate)·up, in place and not, at GOMAXPROCS 1 and 2.
func TestSwiGLU(t *testing.T) {
	eachISA(t, func(t *testing.T) {
		for _, n := range []int{0, 1, 7, 8, 15, 16, 17, 5504, 70001} {
			g, u := randVec(71, n), randVec(72, n)
			for i := range g {
				g[i] *= 40
			}
			want := make([]float32, n)
			for i := range want {
				want[i] = SiLU(g[i]) * u[i]
			}
			var one []float32
			for _, p := range []int{1, 2} {
				got := make([]float32, n)
				withProcs(p, func() { SwiGLU(got, g, u) })
				near(t, name("n=%d", n), got, want, 1e-30, 6e-7) // exp ≤ 2 ulp, then ÷ and ×
				if one == nil {
					one = got
				}
				sameBits(t, name("n=%d procs=%d", n, p), got, one)
				inPlace := append([]float32(nil), u...)
				withProcs(p, func() { SwiGLU(inPlace, g, inPlace) })
				sameBits(t, name("n=%d in place procs=%d", n, p), inPlace, one)
			}
		}
	})
}
