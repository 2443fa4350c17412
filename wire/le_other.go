//go:build !(386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm)

package wire

func putI32s(dst []byte, src []int32)   { putI32sPortable(dst, src) }
func putF32s(dst []byte, src []float32) { putF32sPortable(dst, src) }
func putU16s(dst []byte, src []uint16)  { putU16sPortable(dst, src) }
func getI32s(dst []int32, src []byte)   { getI32sPortable(dst, src) }
func getF32s(dst []float32, src []byte) { getF32sPortable(dst, src) }
func getU16s(dst []uint16, src []byte)  { getU16sPortable(dst, src) }
