package wire

import (
	"encoding/binary"
	"math"
)

// Bulk little-endian conversion of payloads. On little-endian machines le_native.go copies
// the memory directly; these loops are the portable twins, used elsewhere and checked against
// the fast path by TestBulkParity. dst and src always have matching sizes.

func putI32sPortable(dst []byte, src []int32) {
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], uint32(v))
	}
}

func putF32sPortable(dst []byte, src []float32) {
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

func putU16sPortable(dst []byte, src []uint16) {
	for i, v := range src {
		binary.LittleEndian.PutUint16(dst[2*i:], v)
	}
}

func getI32sPortable(dst []int32, src []byte) {
	for i := range dst {
		dst[i] = int32(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func getF32sPortable(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func getU16sPortable(dst []uint16, src []byte) {
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint16(src[2*i:])
	}
}
