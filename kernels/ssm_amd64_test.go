//go:build amd64 && !purego

package kernels

import (
	"math"
	"testing"
)

// expModel is the documented vector exp of the assembly, one lane, exactly.
func expModel(x float32) float32 {
	if x != x {
		return x
	}
	x = min(x, 88)
	under := x < -87.33654
	x = max(x, -87.33654)
	n := float32(math.RoundToEven(float64(x * 1.44269504088896341)))
	r := fma32(n, -0.693359375, x)
	r = fma32(n, 2.12194440e-4, r)
	p := float32(1.9875691500e-4)
	for _, c := range []float32{1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1} {
		p = fma32(r, p, c)
	}
	y := fma32(r*r, p, r) + 1
	y *= math.Float32frombits(uint32(int32(n)+127) << 23)
	if under {
		return 0
	}
	return y
}

// TestExpModelAccuracy checks the vector exp's documented accuracy against math.Exp.
func TestExpModelAccuracy(t *testing.T) {
	for x := float32(-87); x < 88; x += 0.01 {
		got, want := float64(expModel(x)), math.Exp(float64(x))
		if math.Abs(got-want) > 2.5e-7*want {
			t.Fatalf("exp(%v) = %v, want %v", x, got, want)
		}
	}
	if expModel(-100) != 0 || expModel(-88) != 0 {
		t.Fatal("exp below the range is not 0")
	}
}

// siluModel is the documented vector SiLU, exactly: x / (1 + exp(−x)).
func siluModel(x float32) float32 { return x / (1 + expModel(-x)) }

// scanModel is the documented assembly scan of one channel c for T steps, exactly.
func scanModel(s *scanData, st []float32, c int) []float32 {
	D, N := s.D, s.N
	y := make([]float32, s.T)
	for t := 0; t < s.T; t++ {
		d := softplusModel(s.dt[t*D+c] + s.dtBias[c])
		uc := s.u[t*D+c]
		var l [16]float32
		for n0 := 0; n0 < N; n0 += 16 {
			for j := range l {
				var a, b, cc, sv float32
				if n := n0 + j; n < N {
					a, b, cc, sv = s.A[c*N+n], s.B[t*N+n], s.C[t*N+n], st[c*N+n]
				}
				sv = fma32(expModel(d*a), sv, (d*b)*uc)
				if n := n0 + j; n < N {
					st[c*N+n] = sv
				}
				l[j] = fma32(sv, cc, l[j])
			}
		}
		for w := 8; w >= 1; w /= 2 {
			for j := 0; j < w; j++ {
				l[j] += l[j+w]
			}
		}
		y[t] = siluModel(s.z[t*D+c]) * (l[0] + float32(s.Dskip[c]*uc))
	}
	return y
}

// TestScanLaneModel checks every assembly scan bit for bit against scanModel.
func TestScanLaneModel(t *testing.T) {
	for _, k := range isas() {
		if k == isaGo {
			continue
		}
		t.Run(k.String(), func(t *testing.T) {
			defer func(old isaKind) { isa = old }(isa)
			isa = k
			for _, sh := range [][3]int{{3, 5, 16}, {2, 3, 21}, {4, 2, 7}} {
				s := newScanData(sh[0], sh[1], sh[2])
				y, st, mst := make([]float32, s.T*s.D), randVec(51, s.D*s.N), randVec(51, s.D*s.N)
				s.run(SelectiveScan, y, st, 0, s.T)
				for c := 0; c < s.D; c++ {
					want := scanModel(s, mst, c)
					for tt, w := range want {
						sameBits(t, name("%v y[%d,%d]", sh, tt, c), y[tt*s.D+c:tt*s.D+c+1], []float32{w})
					}
				}
				sameBits(t, name("%v state", sh), st, mst)
			}
		})
	}
}

// TestScanISAsAgree checks that the AVX-512 and AVX2 scans give the same bits.
func TestScanISAsAgree(t *testing.T) {
	if bestISA != isaAVX512 {
		t.Skip("this CPU has no AVX-512; TestScanLaneModel covers AVX2 alone")
	}
	defer func(old isaKind) { isa = old }(isa)
	for _, sh := range scanShapes {
		s := newScanData(sh[0], sh[1], sh[2])
		yz, yy := make([]float32, s.T*s.D), make([]float32, s.T*s.D)
		sz, sy := randVec(52, s.D*s.N), randVec(52, s.D*s.N)
		isa = isaAVX512
		s.run(SelectiveScan, yz, sz, 0, s.T)
		isa = isaAVX2
		s.run(SelectiveScan, yy, sy, 0, s.T)
		sameBits(t, name("%v y", sh), yy, yz)
		sameBits(t, name("%v state", sh), sy, sz)
	}
}

// TestSiluLaneModel checks the vector SiLU bit for bit against siluModel over a wide range.
func TestSiluLaneModel(t *testing.T) {
	x := randVec(73, 20001)
	for i := range x {
		x[i] *= 120 // beyond both ends of the exp range
	}
	want := make([]float32, len(x))
	for i, v := range x {
		want[i] = siluModel(v)
	}
	for _, k := range isas() {
		if k == isaGo {
			continue
		}
		t.Run(k.String(), func(t *testing.T) {
			defer func(old isaKind) { isa = old }(isa)
			isa = k
			got := make([]float32, len(x))
			siluMul(got, x, nil)
			sameBits(t, "silu", got, want)
		})
	}
}

// softplusModel is the documented vector softplus of x, exactly.
func softplusModel(s float32) float32 {
	e := expModel(s)
	u := 1 + e
	bits := math.Float32bits(u)
	ex := float32(int32(bits>>23) - 126)
	m := math.Float32frombits(bits&0x007fffff | 0x3f000000)
	if m < float32(0.707106781186547524) {
		m, ex = (m+m)-1, ex-1
	} else {
		m, ex = (m+0)-1, ex-0
	}
	z := m * m
	p := float32(7.0376836292e-2)
	for _, c := range []float32{-1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
		-1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1} {
		p = fma32(m, p, c)
	}
	p = (p * m) * z
	p = fma32(ex, -2.12194440e-4, p)
	p = fma32(z, -0.5, p)
	r := fma32(ex, 0.693359375, m+p)
	r *= e / (u - 1)
	if u == 1 {
		r = e
	}
	if s > 20 {
		r = s
	}
	return r
}

// TestSoftplusLaneModel checks the vector softplus bit for bit against softplusModel and its
// accuracy against Softplus over a wide range.
func TestSoftplusLaneModel(t *testing.T) {
	x, b := randVec(74, 20001), randVec(75, 20001)
	for i := range x {
		x[i] *= 110
	}
	want := make([]float32, len(x))
	for i, v := range x {
		want[i] = softplusModel(v + b[i])
		ref := Softplus(v + b[i])
		if d := math.Abs(float64(want[i] - ref)); d > 5e-7*float64(ref)+1e-37 {
			t.Fatalf("softplus(%v) = %v, want %v", v+b[i], want[i], ref)
		}
	}
	for _, k := range isas() {
		if k == isaGo {
			continue
		}
		t.Run(k.String(), func(t *testing.T) {
			defer func(old isaKind) { isa = old }(isa)
			isa = k
			got := make([]float32, len(x))
			softplusAdd(got, x, b)
			sameBits(t, "softplus", got, want)
		})
	}
}
