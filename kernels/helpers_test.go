package kernels

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"runtime"
	"testing"
)

// randVec returns n values uniform in [-1, 1) from a fixed seed.
func randVec(seed uint64, n int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b9))
	v := make([]float32, n)
	for i := range v {
		v[i] = rng.Float32()*2 - 1
	}
	return v
}

// randMatrix returns a rows×cols matrix of the given dtype with values in [-1, 1).
func randMatrix(seed uint64, rows, cols int, dt DType) *Matrix {
	v := randVec(seed, rows*cols)
	m := &Matrix{Rows: rows, Cols: cols}
	if dt == F32 {
		m.F32 = v
		return m
	}
	m.BF16 = make([]uint16, len(v))
	for i, x := range v {
		m.BF16[i] = F32ToBF16(x)
	}
	return m
}

// isas lists the instruction sets this machine runs, fastest first, down to pure Go.
func isas() []isaKind {
	var ks []isaKind
	for k := bestISA; ; k-- {
		ks = append(ks, k)
		if k == isaGo {
			return ks
		}
	}
}

// eachISA runs f as a subtest on every instruction set this machine has.
func eachISA(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, k := range isas() {
		t.Run(k.String(), func(t *testing.T) {
			defer func(old isaKind) { isa = old }(isa)
			isa = k
			f(t)
		})
	}
}

// withProcs runs f with GOMAXPROCS set to p.
func withProcs(p int, f func()) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(p))
	f()
}

// sameBits reports the first index where got and want differ in any bit.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v (%#08x), want %v (%#08x)", what, i,
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// near fails unless |got−want| ≤ atol + rtol·|want| everywhere.
func near(t *testing.T, what string, got, want []float32, atol, rtol float64) {
	t.Helper()
	for i := range want {
		d, lim := math.Abs(float64(got[i])-float64(want[i])), atol+rtol*math.Abs(float64(want[i]))
		if !(d <= lim) {
			t.Fatalf("%s: element %d = %v, want %v (|diff| %g > %g)", what, i, got[i], want[i], d, lim)
		}
	}
}

// fma32 is the exactly rounded float32 a·b + c (what VFMADD231PS computes), for finite inputs.
func fma32(a, b, c float32) float32 {
	var p, s big.Float
	p.SetPrec(1000).Mul(big.NewFloat(float64(a)), big.NewFloat(float64(b)))
	s.SetPrec(1000).Add(&p, big.NewFloat(float64(c)))
	f, _ := s.Float32()
	return f
}

// laneDot16 is the documented lane structure of the assembly dot products: lane l sums
// a[c]·b[c] for c ≡ l (mod 16) in order with fused multiply-adds, the last partial block
// zero-padded, then the lanes fold (l, l+8) → (l, l+4) → (l, l+2) → (0, 1).
func laneDot16(a, b []float32) float32 {
	var l [16]float32
	for c0 := 0; c0 < len(a); c0 += 16 {
		for j := range l {
			var x, y float32
			if c0+j < len(a) {
				x, y = a[c0+j], b[c0+j]
			}
			l[j] = fma32(x, y, l[j])
		}
	}
	for w := 8; w >= 1; w /= 2 {
		for j := 0; j < w; j++ {
			l[j] += l[j+w]
		}
	}
	return l[0]
}

// name formats a subtest name from shape values.
func name(format string, a ...any) string { return fmt.Sprintf(format, a...) }
