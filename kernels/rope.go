package kernels

import "math"

// NTKBase returns the fixed-NTK RoPE base of the official code:
// theta · (2·maxPos/origMaxPos − 1)^(headDim/(headDim−2)).
func NTKBase(theta float64, maxPos, origMaxPos, headDim int) float64 {
	return theta * math.Pow(2*float64(maxPos)/float64(origMaxPos)-1, float64(headDim)/float64(headDim-2))
}

// InvFreq returns the headDim/2 inverse frequencies 1/base^(2i/headDim), computed as float32
// like torch does.
func InvFreq(base float64, headDim int) []float32 {
	f := make([]float32, headDim/2)
	b := float32(base)
	for i := range f {
		e := float32(2*i) / float32(headDim)
		f[i] = 1 / float32(math.Pow(float64(b), float64(e)))
	}
	return f
}

// RoPE rotates nHeads consecutive head vectors of x (each headDim long) in place at position pos,
// half-split convention: element i pairs with element i+headDim/2 at frequency invFreq[i].
// The angle is float32(pos)·invFreq[i] in float32, its cosine and sine are rounded from
// float64, and each product is rounded before the sum (no fused multiply-add), so the result
// is the same on every architecture.
func RoPE(x []float32, nHeads, headDim, pos int, invFreq []float32) {
	half := headDim / 2
	if len(x) < nHeads*headDim || len(invFreq) < half {
		panic("kernels: RoPE: x or invFreq too short")
	}
	for i := 0; i < half; i++ {
		ang := float32(pos) * invFreq[i]
		c := float32(math.Cos(float64(ang)))
		s := float32(math.Sin(float64(ang)))
		for h := 0; h < nHeads; h++ {
			v := x[h*headDim : (h+1)*headDim]
			a, b := v[i], v[i+half]
			v[i] = float32(a*c) - float32(b*s)
			v[i+half] = float32(b*c) + float32(a*s)
		}
	}
}

// RoPERef is the plain reference for RoPE: the rotation in float64 from the same float32
// angle.
func RoPERef(x []float32, nHeads, headDim, pos int, invFreq []float32) {
	half := headDim / 2
	for h := 0; h < nHeads; h++ {
		v := x[h*headDim : (h+1)*headDim]
		for i := 0; i < half; i++ {
			ang := float64(float32(pos) * invFreq[i])
			c, s := math.Cos(ang), math.Sin(ang)
			a, b := float64(v[i]), float64(v[i+half])
			v[i], v[i+half] = float32(a*c-b*s), float32(b*c+a*s)
		}
	}
}
