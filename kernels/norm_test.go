package kernels

import "testing"

// TestRMSNormMatchesRef checks RMSNorm against its reference bit for bit, serial and
// parallel, in place and not.
func TestRMSNormMatchesRef(t *testing.T) {
	for _, sh := range [][2]int{{1, 1600}, {3, 16}, {64, 3200}, {5, 100}} {
		rows, d := sh[0], sh[1]
		x, w := randVec(41, rows*d+d/2), randVec(42, d) // a trailing partial row is left alone
		want := make([]float32, len(x))
		RMSNormRef(want, x, w, 1e-6)
		for _, p := range []int{1, 2} {
			got := make([]float32, len(x))
			withProcs(p, func() { RMSNorm(got, x, w, 1e-6) })
			sameBits(t, name("%v procs=%d", sh, p), got, want)
			inPlace := append([]float32(nil), x...)
			withProcs(p, func() { RMSNorm(inPlace, inPlace, w, 1e-6) })
			sameBits(t, name("%v in place procs=%d", sh, p), inPlace[:rows*d], want[:rows*d])
		}
	}
}

// TestRMSNormPanics checks the shape panics.
func TestRMSNormPanics(t *testing.T) {
	for _, c := range []struct {
		name      string
		dst, x, w []float32
	}{
		{"empty weight", make([]float32, 4), make([]float32, 4), nil},
		{"short dst", make([]float32, 3), make([]float32, 4), make([]float32, 2)},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			RMSNorm(c.dst, c.x, c.w, 1e-6)
		})
	}
}

// TestRoPEParity compares RoPE with the float64 reference at small and large positions.
func TestRoPEParity(t *testing.T) {
	inv := InvFreq(NTKBase(10000, 8192, 4096, 64), 64)
	for _, pos := range []int{0, 1, 17, 8191} {
		x := randVec(43, 5*64)
		y := append([]float32(nil), x...)
		RoPE(x, 5, 64, pos, inv)
		RoPERef(y, 5, 64, pos, inv)
		near(t, name("pos=%d", pos), x, y, 1e-6, 1e-6)
	}
}
