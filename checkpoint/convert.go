package checkpoint

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// littleEndian reports whether the machine stores numbers as safetensors does, which is what
// allows zero-copy views.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// f32View reinterprets n little-endian float32 values in b, without copying when possible.
func f32View(b []byte, n int) []float32 {
	if n == 0 {
		return []float32{}
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	if littleEndian && uintptr(p)%4 == 0 {
		return unsafe.Slice((*float32)(p), n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// u16View reinterprets n little-endian uint16 values in b, without copying when possible.
func u16View(b []byte, n int) []uint16 {
	if n == 0 {
		return []uint16{}
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	if littleEndian && uintptr(p)%2 == 0 {
		return unsafe.Slice((*uint16)(p), n)
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return out
}

// widenBF16 widens n bfloat16 values exactly: a bfloat16 is the top half of a float32.
func widenBF16(b []byte, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
	}
	return out
}

// widenF16 widens n IEEE half-precision values exactly.
func widenF16(b []byte, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = f16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return out
}

// f16ToF32 widens one IEEE 754 binary16 value exactly (every half value is a float32). Infinities
// and NaNs keep their sign and payload; subnormals are renormalised.
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal: rebias 15 → 127
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0: // ±0
		return math.Float32frombits(sign)
	}
	// Subnormal mant·2⁻²⁴: shift the leading 1 up to the implicit bit, lowering the exponent.
	e := uint32(113)
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
}

func encodeF32(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func encodeU16(v []uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return b
}
