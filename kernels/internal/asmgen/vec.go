package main

import "fmt"

// Layouts of dotArgs, pvArgs and sumArgs (see declFile).
const (
	dQ, dK, dSc, dYmask, dHd, dLdk, dLdsc, dRows, dHeads, dKmask, dScale, dTbuf = 0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 84
	pO, pP, pV, pYmask, pVd, pLdv, pLdp, pRows, pHeads, pKmask, pLdo, pTbuf     = 0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88
	sP, sN, sOut                                                                = 0, 8, 16
)

// vecZFile generates the AVX-512 attention and bandwidth kernels.
func vecZFile() string {
	f := asmFile()
	genDots(f, "Z", "f32")
	genPV(f, "Z", "f32")
	genSum(f, "Z")
	genScan(f, "Z")
	genSoftmax(f, "Z")
	genSilu(f, "Z")
	genSoftplus(f, "Z")
	genDots(f, "Z", "bf16")
	genPV(f, "Z", "bf16")
	groupFiles(f, "Z")
	expData(f)
	return f.b.String()
}

// vecYFile generates the AVX2 attention and bandwidth kernels.
func vecYFile() string {
	f := asmFile()
	genDots(f, "Y", "f32")
	genPV(f, "Y", "f32")
	genSum(f, "Y")
	genScan(f, "Y")
	genSoftmax(f, "Y")
	genSilu(f, "Y")
	genSoftplus(f, "Y")
	genDots(f, "Y", "bf16")
	genPV(f, "Y", "bf16")
	groupFiles(f, "Y")
	expData(f)
	return f.b.String()
}

// elem is the element type of the K or V rows an attention kernel reads: "f32" rows are
// read as they are, "bf16" rows are widened exactly (zero-extend, shift into the high half),
// so a bf16 kernel computes the bits of the f32 kernel on the widened rows.
type elem string

// suffix names the kernel variant: qkDotsZ reads float32 keys, qkDots16Z bfloat16 keys.
func (e elem) suffix(isa string) string {
	if e == "bf16" {
		return "16" + isa
	}
	return isa
}

// size is the bytes per element.
func (e elem) size() int {
	if e == "bf16" {
		return 2
	}
	return 4
}

// genDots writes qkDots: sc[h*ldsc+i] = dot(q_h, k_i)·scale for i < rows, h < heads, each dot
// with the 16-lane structure and reduction tree of the MatMul kernels (zero-padded tail).
func genDots(f *file, isa string, e elem) {
	name := "qkDots" + e.suffix(isa)
	f.text(name, "func "+name+"(a *dotArgs): attention scores of rows × heads, "+string(e)+" keys")
	f.i("MOVQ %d(DI), R9", dRows)
	f.i("TESTQ R9, R9")
	f.i("JZ done")
	f.i("MOVQ %d(DI), R8", dK)
	f.i("MOVQ %d(DI), R10", dLdk)
	f.i("SHLQ $%d, R10", e.size()/2)
	f.i("MOVQ %d(DI), R11", dHeads)
	f.i("MOVQ %d(DI), R12", dLdsc)
	f.i("SHLQ $2, R12")
	f.i("MOVQ %d(DI), R13", dSc)
	f.i("MOVQ %d(DI), BX", dHd)
	if e == "f32" {
		f.i("MOVQ BX, CX")
		f.i("SHRQ $4, CX")
	}
	f.i("SHLQ $2, BX")
	f.i("VMOVSS %d(DI), X15", dScale)
	if isa == "Z" {
		f.i("MOVQ %d(DI), AX", dKmask)
		f.i("KMOVW AX, K1")
	} else {
		f.i("MOVQ %d(DI), AX", dYmask)
		f.i("VMOVDQU (AX), Y12")
		f.i("VMOVDQU 32(AX), Y13")
	}
	f.label("rowloop")
	f.i("LEAQ (R8)(R10*4), AX") // prefetch the key row four rows ahead (hd = 64: 256 or 128 bytes)
	for off := 0; off < 64*e.size(); off += 64 {
		f.i("PREFETCHT0 %d(AX)", off)
	}
	f.i("MOVQ %d(DI), R14", dQ)
	f.i("MOVQ R13, R15")
	f.i("MOVQ R11, DX")
	f.label("headloop")
	zero(f, isa, 0)
	if isa == "Y" {
		zero(f, isa, 1)
	}
	f.i("XORQ SI, SI")
	if e == "f32" {
		f.i("MOVQ CX, AX")
	} else { // CX stays free for the AVX2 tail copy
		f.i("MOVQ %d(DI), AX", dHd)
		f.i("SHRQ $4, AX")
	}
	f.i("TESTQ AX, AX")
	f.i("JZ dtail")
	f.label("dloop")
	dotBlock(f, isa, e)
	f.i("ADDQ $16, SI")
	f.i("DECQ AX")
	f.i("JNZ dloop")
	f.label("dtail")
	if e == "f32" {
		dotTail(f, isa)
	} else {
		dotTail16(f, isa)
	}
	f.label("dred")
	if isa == "Z" {
		f.i("VEXTRACTF64X4 $1, Z0, Y29")
		f.i("VADDPS Y29, Y0, Y29")
		f.i("VEXTRACTF32X4 $1, Y29, X30")
		reduce4(f, "X29", "X30")
		f.i("VMULSS X15, X29, X29")
		f.i("VMOVSS X29, (R15)")
	} else {
		f.i("VADDPS Y1, Y0, Y0")
		f.i("VEXTRACTF128 $1, Y0, X14")
		reduce4(f, "X0", "X14")
		f.i("VMULSS X15, X0, X0")
		f.i("VMOVSS X0, (R15)")
	}
	f.i("ADDQ BX, R14")
	f.i("ADDQ R12, R15")
	f.i("DECQ DX")
	f.i("JNZ headloop")
	f.i("ADDQ R10, R8")
	f.i("ADDQ $4, R13")
	f.i("DECQ R9")
	f.i("JNZ rowloop")
	f.label("done")
	f.i("VZEROUPPER")
	f.i("RET")
}

// dotBlock adds one full 16-column block of q_h·k_i at element SI to the lanes.
func dotBlock(f *file, isa string, e elem) {
	switch {
	case isa == "Z" && e == "f32":
		f.i("VMOVUPS (R14)(SI*4), Z1")
		f.i("VFMADD231PS (R8)(SI*4), Z1, Z0")
	case isa == "Z":
		f.i("VMOVUPS (R14)(SI*4), Z1")
		widen(f, "(R8)(SI*2)", "Z2")
		f.i("VFMADD231PS Z2, Z1, Z0")
	case e == "f32":
		f.i("VMOVUPS (R14)(SI*4), Y2")
		f.i("VMOVUPS 32(R14)(SI*4), Y3")
		f.i("VFMADD231PS (R8)(SI*4), Y2, Y0")
		f.i("VFMADD231PS 32(R8)(SI*4), Y3, Y1")
	default:
		f.i("VMOVUPS (R14)(SI*4), Y2")
		f.i("VMOVUPS 32(R14)(SI*4), Y3")
		widen(f, "(R8)(SI*2)", "Y4")
		widen(f, "16(R8)(SI*2)", "Y5")
		f.i("VFMADD231PS Y4, Y2, Y0")
		f.i("VFMADD231PS Y5, Y3, Y1")
	}
}

// widen loads bf16 values from src (memory or a narrower register) into the float32 lanes of
// dst exactly: zero-extend each to 32 bits, then shift it into the high half.
func widen(f *file, src, dst string) {
	f.i("VPMOVZXWD %s, %s", src, dst)
	f.i("VPSLLD $16, %s, %s", dst, dst)
}

// dotTail adds the masked (zero-padded) last partial block of a dot.
func dotTail(f *file, isa string) {
	if isa == "Z" {
		f.i("KORTESTW K1, K1")
		f.i("JZ dred")
		f.i("VMOVUPS.Z (R14)(SI*4), K1, Z1")
		f.i("VMOVUPS.Z (R8)(SI*4), K1, Z2")
		f.i("VFMADD231PS Z2, Z1, Z0")
		return
	}
	f.i("CMPQ %d(DI), $0", dKmask)
	f.i("JE dred")
	f.i("VMASKMOVPS (R14)(SI*4), Y12, Y2")
	f.i("VMASKMOVPS 32(R14)(SI*4), Y13, Y3")
	f.i("VMASKMOVPS (R8)(SI*4), Y12, Y4")
	f.i("VMASKMOVPS 32(R8)(SI*4), Y13, Y5")
	f.i("VFMADD231PS Y4, Y2, Y0")
	f.i("VFMADD231PS Y5, Y3, Y1")
}

// dotTail16 adds the zero-padded last partial block of a dot with bf16 keys. AVX-512 loads the
// words under the mask; AVX2 has no 16-bit masked load, so it copies the hd mod 16 words into
// the zeroed 32-byte buffer of the argument block and widens that.
func dotTail16(f *file, isa string) {
	if isa == "Z" {
		f.i("KORTESTW K1, K1")
		f.i("JZ dred")
		f.i("VMOVUPS.Z (R14)(SI*4), K1, Z1")
		f.i("VMOVDQU16.Z (R8)(SI*2), K1, Y2")
		widen(f, "Y2", "Z2")
		f.i("VFMADD231PS Z2, Z1, Z0")
		return
	}
	f.i("MOVQ %d(DI), CX", dHd)
	f.i("ANDQ $15, CX")
	f.i("JZ dred")
	f.i("VMASKMOVPS (R14)(SI*4), Y12, Y2")
	f.i("VMASKMOVPS 32(R14)(SI*4), Y13, Y3")
	f.i("LEAQ (R8)(SI*2), AX") // SI is free from here: the next head resets it
	f.i("VPXOR Y4, Y4, Y4")
	f.i("VMOVDQU Y4, %d(DI)", dTbuf)
	f.label("ktail")
	f.i("MOVWLZX -2(AX)(CX*2), SI")
	f.i("MOVW SI, %d(DI)(CX*2)", dTbuf-2)
	f.i("DECQ CX")
	f.i("JNZ ktail")
	widen(f, fmt.Sprintf("%d(DI)", dTbuf), "Y4")
	widen(f, fmt.Sprintf("%d(DI)", dTbuf+16), "Y5")
	f.i("VFMADD231PS Y4, Y2, Y0")
	f.i("VFMADD231PS Y5, Y3, Y1")
}

// genPV writes pvAccum: o_h[c] = fma(p[h*ldp+i], v_i[c], o_h[c]) for i < rows in order, for
// every head h < heads (ldo apart) and column c < vd. Each element sees the same sequence of fused
// multiply-adds whatever the chunking, so both ISAs give the same bits; the bf16 variant
// widens each value exactly first, so it gives the bits of the f32 kernel on widened rows.
func genPV(f *file, isa string, e elem) {
	name := "pvAccum" + e.suffix(isa)
	f.text(name, "func "+name+"(a *pvArgs): weighted sum of "+string(e)+" value rows into heads")
	f.i("MOVQ %d(DI), R9", pRows)
	f.i("TESTQ R9, R9")
	f.i("JZ done")
	f.i("MOVQ %d(DI), R11", pHeads)
	f.i("MOVQ %d(DI), R14", pO)
	f.i("MOVQ %d(DI), R15", pP)
	f.i("MOVQ %d(DI), R12", pLdp)
	f.i("SHLQ $2, R12")
	f.i("MOVQ %d(DI), R10", pLdv)
	f.i("SHLQ $%d, R10", e.size()/2)
	f.i("MOVQ %d(DI), BX", pVd)
	if isa == "Z" {
		f.i("MOVQ %d(DI), AX", pKmask)
		f.i("KMOVW AX, K1")
	} else {
		f.i("MOVQ %d(DI), AX", pYmask)
		f.i("VMOVDQU (AX), Y12")
	}
	big, small := 128, 16 // floats per chunk: 8 registers, 1 register
	if isa == "Y" {
		big, small = 64, 8
	}
	f.label("headloop")
	f.i("XORQ SI, SI")
	pvChunk(f, isa, e, "cbig", big, 8)
	pvChunk(f, isa, e, "csmall", small, 1)
	if e == "f32" {
		pvTail(f, isa, small)
	} else {
		pvTail16(f, isa, small)
	}
	f.label("nexthead")
	f.i("MOVQ %d(DI), AX", pLdo)
	f.i("LEAQ (R14)(AX*4), R14")
	f.i("ADDQ R12, R15")
	f.i("DECQ R11")
	f.i("JNZ headloop")
	f.label("done")
	f.i("VZEROUPPER")
	f.i("RET")
}

// pvChunk loops over the chunks of width floats (regs registers) of the current head.
func pvChunk(f *file, isa string, e elem, name string, width, regs int) {
	vr := "Z"
	step := 64
	if isa == "Y" {
		vr, step = "Y", 32
	}
	f.i("MOVQ BX, CX")
	f.i("ANDQ $-%d, CX", width)
	f.i("CMPQ SI, CX")
	f.i("JAE %s_end", name)
	f.label(name)
	for j := 0; j < regs; j++ {
		f.i("VMOVUPS %d(R14)(SI*4), %s%d", step*j, vr, j)
	}
	f.i("MOVQ %d(DI), R8", pV)
	f.i("LEAQ (R8)(SI*%d), R8", e.size())
	f.i("MOVQ R15, R13")
	f.i("MOVQ R9, DX")
	f.label(name + "_rows")
	if regs == 8 { // prefetch the chunk of the value row four rows ahead
		f.i("LEAQ (R8)(R10*4), AX")
		for off := 0; off < width*e.size(); off += 64 {
			f.i("PREFETCHT0 %d(AX)", off)
		}
	}
	f.i("VBROADCASTSS (R13), %s8", vr)
	for j := 0; j < regs; j++ {
		if e == "f32" {
			f.i("VFMADD231PS %d(R8), %s8, %s%d", step*j, vr, vr, j)
			continue
		}
		widen(f, fmt.Sprintf("%d(R8)", step/2*j), vr+"9")
		f.i("VFMADD231PS %s9, %s8, %s%d", vr, vr, vr, j)
	}
	f.i("ADDQ R10, R8")
	f.i("ADDQ $4, R13")
	f.i("DECQ DX")
	f.i("JNZ %s_rows", name)
	for j := 0; j < regs; j++ {
		f.i("VMOVUPS %s%d, %d(R14)(SI*4)", vr, j, step*j)
	}
	f.i("ADDQ $%d, SI", width)
	f.i("CMPQ SI, CX")
	f.i("JB %s", name)
	f.label(name + "_end")
}

// pvTail handles the last vd mod small columns with masked loads and stores.
func pvTail(f *file, isa string, small int) {
	f.i("MOVQ BX, AX")
	f.i("ANDQ $%d, AX", small-1)
	f.i("JZ nexthead")
	load, store := "VMOVUPS.Z (R14)(SI*4), K1, Z0", "VMOVUPS Z0, K1, (R14)(SI*4)"
	vload := "VMOVUPS.Z (R8), K1, Z9"
	vr := "Z"
	if isa == "Y" {
		load, store = "VMASKMOVPS (R14)(SI*4), Y12, Y0", "VMASKMOVPS Y0, Y12, (R14)(SI*4)"
		vload = "VMASKMOVPS (R8), Y12, Y9"
		vr = "Y"
	}
	f.i(load)
	f.i("MOVQ %d(DI), R8", pV)
	f.i("LEAQ (R8)(SI*4), R8")
	f.i("MOVQ R15, R13")
	f.i("MOVQ R9, DX")
	f.label("tail_rows")
	f.i("VBROADCASTSS (R13), %s8", vr)
	f.i(vload)
	f.i("VFMADD231PS %s9, %s8, %s0", vr, vr, vr)
	f.i("ADDQ R10, R8")
	f.i("ADDQ $4, R13")
	f.i("DECQ DX")
	f.i("JNZ tail_rows")
	f.i(store)
}

// pvTail16 is pvTail for bf16 values. AVX-512 loads the words under the mask; AVX2 copies each
// row's vd mod 8 words into the argument block's zeroed 16-byte buffer and widens that.
func pvTail16(f *file, isa string, small int) {
	f.i("MOVQ BX, AX")
	f.i("ANDQ $%d, AX", small-1)
	f.i("JZ nexthead")
	if isa == "Z" {
		f.i("VMOVUPS.Z (R14)(SI*4), K1, Z0")
	} else {
		f.i("VMASKMOVPS (R14)(SI*4), Y12, Y0")
		f.i("VPXOR X9, X9, X9")
		f.i("VMOVDQU X9, %d(DI)", pTbuf)
	}
	f.i("MOVQ %d(DI), R8", pV)
	f.i("LEAQ (R8)(SI*2), R8")
	f.i("MOVQ R15, R13")
	f.i("MOVQ R9, DX")
	f.label("tail_rows")
	if isa == "Z" {
		f.i("VBROADCASTSS (R13), Z8")
		f.i("VMOVDQU16.Z (R8), K1, Y9")
		widen(f, "Y9", "Z9")
		f.i("VFMADD231PS Z9, Z8, Z0")
	} else {
		f.i("VBROADCASTSS (R13), Y8")
		f.i("MOVQ BX, CX")
		f.i("ANDQ $%d, CX", small-1)
		f.label("vtail")
		f.i("MOVWLZX -2(R8)(CX*2), AX")
		f.i("MOVW AX, %d(DI)(CX*2)", pTbuf-2)
		f.i("DECQ CX")
		f.i("JNZ vtail")
		widen(f, fmt.Sprintf("%d(DI)", pTbuf), "Y9")
		f.i("VFMADD231PS Y9, Y8, Y0")
	}
	f.i("ADDQ R10, R8")
	f.i("ADDQ $4, R13")
	f.i("DECQ DX")
	f.i("JNZ tail_rows")
	if isa == "Z" {
		f.i("VMOVUPS Z0, K1, (R14)(SI*4)")
	} else {
		f.i("VMASKMOVPS Y0, Y12, (R14)(SI*4)")
	}
}

// genSum writes sumF32: the float32 sum of n floats (n a multiple of 64), four accumulators;
// it exists to stream memory for MeasureBandwidth.
func genSum(f *file, isa string) {
	f.text("sumF32"+isa, "func sumF32"+isa+"(a *sumArgs): streaming read of n floats")
	vr, w := "Z", 64
	if isa == "Y" {
		vr, w = "Y", 32
	}
	f.i("MOVQ %d(DI), SI", sP)
	f.i("MOVQ %d(DI), CX", sN)
	f.i("LEAQ (SI)(CX*4), CX")
	for j := 0; j < 4; j++ {
		zero(f, isa, j)
	}
	f.i("CMPQ SI, CX")
	f.i("JAE fold")
	f.label("loop")
	for j := 0; j < 4; j++ {
		f.i("VADDPS %d(SI), %s%d, %s%d", w*j, vr, j, vr, j)
	}
	f.i("ADDQ $%d, SI", 4*w)
	f.i("CMPQ SI, CX")
	f.i("JB loop")
	f.label("fold")
	f.i("VADDPS %s1, %s0, %s0", vr, vr, vr)
	f.i("VADDPS %s3, %s2, %s2", vr, vr, vr)
	f.i("VADDPS %s2, %s0, %s0", vr, vr, vr)
	if isa == "Z" {
		f.i("VEXTRACTF64X4 $1, Z0, Y1")
		f.i("VADDPS Y1, Y0, Y0")
	}
	f.i("VEXTRACTF128 $1, Y0, X1")
	reduce4(f, "X0", "X1")
	f.i("VMOVSS X0, %d(DI)", sOut)
	f.i("VZEROUPPER")
	f.i("RET")
}
