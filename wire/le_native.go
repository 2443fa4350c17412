//go:build 386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm

package wire

import "unsafe"

// On little-endian machines the in-memory layout of a payload is its wire layout: one copy.

func bytesOf[T int32 | float32 | uint16](s []T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(*new(T))))
}

func putI32s(dst []byte, src []int32)   { copy(dst, bytesOf(src)) }
func putF32s(dst []byte, src []float32) { copy(dst, bytesOf(src)) }
func putU16s(dst []byte, src []uint16)  { copy(dst, bytesOf(src)) }
func getI32s(dst []int32, src []byte)   { copy(bytesOf(dst), src) }
func getF32s(dst []float32, src []byte) { copy(bytesOf(dst), src) }
func getU16s(dst []uint16, src []byte)  { copy(bytesOf(dst), src) }
