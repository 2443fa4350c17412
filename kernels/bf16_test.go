package kernels

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestF32ToBF16Rounding checks the rounding of float32 to bfloat16 on hand-picked bit patterns:
// ties to even (normal and subnormal, both signs), just off the tie, ±Inf, overflow to ±Inf, NaN
// payloads that truncation would turn into Inf, and signed zeros.
func TestF32ToBF16Rounding(t *testing.T) {
	for _, c := range []struct {
		in   uint32
		want uint16
		what string
	}{
		{0x3f800000, 0x3f80, "1 is exact"},
		{0x3f808000, 0x3f80, "tie rounds to the even 1.0"},
		{0x3f818000, 0x3f82, "tie rounds up to even"},
		{0x3f808001, 0x3f81, "just above the tie"},
		{0x3f807fff, 0x3f80, "just below the tie"},
		{0xbf808000, 0xbf80, "negative tie to even"},
		{0xbf818000, 0xbf82, "negative tie up to even"},
		{0x00008000, 0x0000, "subnormal tie to even zero"},
		{0x00018000, 0x0002, "subnormal tie up to even"},
		{0x00008001, 0x0001, "subnormal above the tie"},
		{0x00000001, 0x0000, "smallest subnormal to +0"},
		{0x80000001, 0x8000, "smallest negative subnormal to -0"},
		{0x007fffff, 0x0080, "largest subnormal up to the smallest normal"},
		{0x00000000, 0x0000, "+0"},
		{0x80000000, 0x8000, "-0"},
		{0x7f800000, 0x7f80, "+Inf"},
		{0xff800000, 0xff80, "-Inf"},
		{0x7f7fffff, 0x7f80, "MaxFloat32 overflows to +Inf"},
		{0xff7fffff, 0xff80, "-MaxFloat32 overflows to -Inf"},
		{0x7f7f7fff, 0x7f7f, "largest value below the overflow tie"},
	} {
		if got := F32ToBF16(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("%s: F32ToBF16(%#08x) = %#04x, want %#04x", c.what, c.in, got, c.want)
		}
	}
	for _, in := range []uint32{0x7f800001, 0xff800001, 0x7fc00000, 0xffffffff, 0x7f80ffff, 0x7fbf0000} {
		got := F32ToBF16(math.Float32frombits(in))
		if w := BF16ToF32(got); !math.IsNaN(float64(w)) || got>>15 != uint16(in>>31) {
			t.Errorf("NaN %#08x became %#04x (%v): want a NaN of the same sign", in, got, w)
		}
	}
}

// TestF32ToBF16Nearest checks random finite float32 values against an exact round-to-nearest-
// even reference (math/big picks the nearer of the two bf16 neighbours, the even one on a tie),
// and that every bf16 value widens exactly and rounds back to itself.
func TestF32ToBF16Nearest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		u := rng.Uint32()
		if u&0x7f800000 == 0x7f800000 {
			continue // Inf and NaN: TestF32ToBF16Rounding
		}
		if got, want := F32ToBF16(math.Float32frombits(u)), nearestBF16(u); got != want {
			t.Fatalf("F32ToBF16(%#08x) = %#04x, want %#04x", u, got, want)
		}
	}
	src := make([]uint16, 0, 1<<16)
	for b := range 1 << 16 {
		if f := BF16ToF32(uint16(b)); !math.IsNaN(float64(f)) {
			src = append(src, uint16(b))
		}
	}
	wide := make([]float32, len(src))
	BF16ToF32Row(wide, src)
	back := make([]uint16, len(src))
	F32ToBF16Row(back, wide)
	for i, b := range src {
		if math.Float32bits(wide[i]) != uint32(b)<<16 || back[i] != b {
			t.Fatalf("bf16 %#04x widened to %#08x, rounded back to %#04x", b, math.Float32bits(wide[i]), back[i])
		}
	}
}

// nearestBF16 rounds the finite float32 with bits u to bf16 by comparing exact distances.
func nearestBF16(u uint32) uint16 {
	lo := uint16(u >> 16) // truncation: the neighbour towards zero
	hi := lo + 1          // the neighbour away from zero (may be Inf)
	x := new(big.Float).SetFloat64(float64(math.Float32frombits(u)))
	dlo := new(big.Float).Sub(x, big.NewFloat(float64(BF16ToF32(lo))))
	dhi := new(big.Float).Sub(big.NewFloat(float64(bf16Or(hi))), x)
	switch dlo.Abs(dlo).Cmp(dhi.Abs(dhi)) {
	case -1:
		return lo
	case 1:
		return hi
	}
	if lo&1 == 0 {
		return lo
	}
	return hi
}

// bf16Or widens b, reading the Inf just past the largest finite value as 2^128 in magnitude
// (where the rounding boundary lies).
func bf16Or(b uint16) float64 {
	if b&0x7fff == 0x7f80 {
		return math.Copysign(math.Ldexp(1, 128), float64(BF16ToF32(b)))
	}
	return float64(BF16ToF32(b))
}
