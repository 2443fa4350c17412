package main

import "fmt"

// maxGroup is the most query heads one grouped attention kernel computes side by side. The
// limit is AVX2's 16 ymm registers in the value kernel: 2 accumulators per head, 2 widened value
// registers and a broadcast probability.
const maxGroup = 6

// groupFiles appends the grouped score and value kernels of one ISA, 1 to maxGroup heads, for
// float32 and bf16 rows.
func groupFiles(f *file, isa string) {
	for _, e := range []elem{"f32", "bf16"} {
		for hn := 1; hn <= maxGroup; hn++ {
			genGroupDots(f, isa, e, hn)
			genGroupPV(f, isa, e, hn)
		}
	}
}

// groupTable names the table of a grouped kernel family by head count: qkGroup16Z holds the
// AVX-512 score kernels over bf16 keys.
func groupTable(kind, isa string, e elem) string { return kind + e.suffix(isa) }

// groupName names a grouped kernel: qkGroup16Zx5 is the AVX-512 score kernel of 5 heads over
// bf16 keys.
func groupName(kind, isa string, e elem, hn int) string {
	return fmt.Sprintf("%sx%d", groupTable(kind, isa, e), hn)
}

// genGroupDots writes qkGroup: sc[h*ldsc+i] = dot(q_h, k_i)·scale for i < rows and hn heads,
// hd a multiple of 16. Each key block is loaded (or widened) once and multiplied into every
// head's accumulator, and each dot keeps the 16-lane structure and reduction tree of qkDots, so
// the bits equal qkDots': only the number of times a key value is read and widened changes.
func genGroupDots(f *file, isa string, e elem, hn int) {
	name := groupName("qkGroup", isa, e, hn)
	f.text(name, fmt.Sprintf("func %s(a *dotArgs): attention scores of rows × %d heads, %s keys, hd %% 16 = 0", name, hn, e))
	f.i("MOVQ %d(DI), R9", dRows)
	f.i("TESTQ R9, R9")
	f.i("JZ done")
	f.i("MOVQ %d(DI), R8", dK)
	f.i("MOVQ %d(DI), R10", dLdk)
	f.i("SHLQ $%d, R10", e.size()/2)
	f.i("MOVQ %d(DI), R12", dLdsc)
	f.i("SHLQ $2, R12")
	f.i("MOVQ %d(DI), R13", dSc)
	f.i("MOVQ %d(DI), CX", dHd)
	f.i("MOVQ CX, BX")
	f.i("SHRQ $4, CX")
	f.i("SHLQ $2, BX")
	if isa == "Z" {
		f.i("VBROADCASTSS %d(DI), Z31", dScale)
		f.i("MOVQ $0x1111, AX")
		f.i("KMOVW AX, K2")
	}
	f.label("rowloop")
	f.i("LEAQ (R8)(R10*8), AX") // the key row eight rows ahead (hd = 64: 256 or 128 bytes)
	for off := 0; off < 64*e.size(); off += 64 {
		f.i("PREFETCHT0 %d(AX)", off)
	}
	for h := 0; h < hn; h++ {
		groupDotZero(f, isa, h)
	}
	f.i("MOVQ %d(DI), R14", dQ)
	f.i("XORQ SI, SI")
	f.i("MOVQ CX, DX")
	f.label("block")
	groupDotBlock(f, isa, e, hn)
	f.i("ADDQ $16, SI")
	f.i("DECQ DX")
	f.i("JNZ block")
	f.i("MOVQ R13, R15")
	h := 0
	if isa == "Z" {
		for ; hn-h >= 2; h += 4 {
			groupDotFoldZ(f, h, min(4, hn-h), h+4 < hn)
		}
	}
	for ; h < hn; h++ {
		groupDotStore(f, isa, h)
		if h < hn-1 {
			f.i("ADDQ R12, R15")
		}
	}
	f.i("ADDQ R10, R8")
	f.i("ADDQ $4, R13")
	f.i("DECQ R9")
	f.i("JNZ rowloop")
	f.label("done")
	f.i("VZEROUPPER")
	f.i("RET")
}

// groupDotZero clears head h's accumulator: Zh on AVX-512, Y2h and Y2h+1 (lanes 0–7, 8–15) on AVX2.
func groupDotZero(f *file, isa string, h int) {
	if isa == "Z" {
		zero(f, isa, h)
		return
	}
	zero(f, isa, 2*h)
	zero(f, isa, 2*h+1)
}

// groupDotBlock loads or widens the 16-column key block at element SI once, then adds
// q_h·k_i of the block to every head's lanes, q_h in the multiplicand position of qkDots.
func groupDotBlock(f *file, isa string, e elem, hn int) {
	f.i("MOVQ R14, AX")
	if isa == "Z" {
		if e == "f32" {
			f.i("VMOVUPS (R8)(SI*4), Z16")
		} else {
			widen(f, "(R8)(SI*2)", "Z16")
		}
		for h := 0; h < hn; h++ {
			f.i("VMOVUPS (AX)(SI*4), Z%d", 17+h)
			f.i("VFMADD231PS Z16, Z%d, Z%d", 17+h, h)
			if h < hn-1 {
				f.i("ADDQ BX, AX")
			}
		}
		return
	}
	if e == "f32" {
		f.i("VMOVUPS (R8)(SI*4), Y12")
		f.i("VMOVUPS 32(R8)(SI*4), Y13")
	} else {
		widen(f, "(R8)(SI*2)", "Y12")
		widen(f, "16(R8)(SI*2)", "Y13")
	}
	for h := 0; h < hn; h++ {
		f.i("VMOVUPS (AX)(SI*4), Y14")
		f.i("VFMADD231PS Y12, Y14, Y%d", 2*h)
		f.i("VMOVUPS 32(AX)(SI*4), Y15")
		f.i("VFMADD231PS Y13, Y15, Y%d", 2*h+1)
		if h < hn-1 {
			f.i("ADDQ BX, AX")
		}
	}
}

// groupDotFoldZ folds the accumulators of the n (2 to 4) heads from h side by side, each lane
// with the operands and order of groupDotStore's tree, scales the dots and stores them from
// (R15), leaving R15 at the next head's score when more heads follow.
func groupDotFoldZ(f *file, h, n int, more bool) {
	acc := func(i int) int { return h + min(i, n-1) } // a missing head repeats the last one
	// (l, l+8): Z24 = [A lanes 0–7 | B lanes 0–7] + [A lanes 8–15 | B lanes 8–15], Z26 for C, D
	// (two heads: Z24 stands in for Z26).
	cd := 24
	for i := 0; i < n; i += 2 {
		d := 24 + i
		f.i("VSHUFF64X2 $0x44, Z%d, Z%d, Z%d", acc(i+1), acc(i), d)
		f.i("VSHUFF64X2 $0xEE, Z%d, Z%d, Z%d", acc(i+1), acc(i), d+1)
		f.i("VADDPS Z%d, Z%d, Z%d", d+1, d, d)
		cd = d
	}
	// (l, l+4): Z27 = [A, B, C, D lanes 0–3] + [A, B, C, D lanes 4–7].
	f.i("VSHUFF32X4 $0x88, Z%d, Z24, Z27", cd)
	f.i("VSHUFF32X4 $0xDD, Z%d, Z24, Z28", cd)
	f.i("VADDPS Z28, Z27, Z27")
	f.i("VSHUFPS $0xEE, Z27, Z27, Z28") // (l, l+2) in each quarter, as VMOVHLPS
	f.i("VADDPS Z28, Z27, Z27")
	f.i("VMOVSHDUP Z27, Z28") // (0, 1)
	f.i("VADDPS Z28, Z27, Z27")
	f.i("VMULPS Z31, Z27, Z27")
	f.i("VCOMPRESSPS Z27, K2, Z28") // the dots of A, B, C, D in lanes 0–3
	for i := 0; i < n; i++ {
		if i == 0 {
			f.i("VMOVSS X28, (R15)")
		} else {
			f.i("VEXTRACTPS $%d, X28, (R15)", i)
		}
		if i < n-1 || more {
			f.i("ADDQ R12, R15")
		}
	}
}

// groupDotStore folds head h's lanes in qkDots' tree, scales the dot and stores it at (R15).
func groupDotStore(f *file, isa string, h int) {
	if isa == "Z" {
		f.i("VEXTRACTF64X4 $1, Z%d, Y29", h)
		f.i("VADDPS Y29, Y%d, Y29", h)
		f.i("VEXTRACTF32X4 $1, Y29, X30")
		reduce4(f, "X29", "X30")
		f.i("VMULSS %d(DI), X29, X29", dScale)
		f.i("VMOVSS X29, (R15)")
		return
	}
	lo, hi := fmt.Sprintf("Y%d", 2*h), fmt.Sprintf("Y%d", 2*h+1)
	f.i("VADDPS %s, %s, %s", hi, lo, lo)
	f.i("VEXTRACTF128 $1, %s, X14", lo)
	x := fmt.Sprintf("X%d", 2*h)
	reduce4(f, x, "X14")
	f.i("VMULSS %d(DI), %s, %s", dScale, x, x)
	f.i("VMOVSS %s, (R15)", x)
}

// genGroupPV writes pvGroup: o_h[c] = fma(p[h*ldp+i], v_i[c], o_h[c]) for i < rows in order,
// hn heads (ldo apart) and the first vd &^ 15 columns. Each chunk of a value row is loaded (or
// widened) once and accumulated into every head, each element with the same fused
// multiply-adds in the same order as pvAccum, so the bits equal pvAccum's.
func genGroupPV(f *file, isa string, e elem, hn int) {
	name := groupName("pvGroup", isa, e, hn)
	f.text(name, fmt.Sprintf("func %s(a *pvArgs): weighted sum of %s value rows into %d heads, vd &^ 15 columns", name, e, hn))
	f.i("MOVQ %d(DI), R9", pRows)
	f.i("TESTQ R9, R9")
	f.i("JZ done")
	f.i("MOVQ %d(DI), R12", pLdp)
	f.i("SHLQ $2, R12")
	f.i("MOVQ %d(DI), R10", pLdv)
	f.i("SHLQ $%d, R10", e.size()/2)
	f.i("MOVQ %d(DI), BX", pLdo)
	f.i("SHLQ $2, BX")
	f.i("XORQ SI, SI")
	if isa == "Z" {
		groupPVChunk(f, isa, e, hn, "cbig", 4)
	}
	groupPVChunk(f, isa, e, hn, "csmall", 1)
	f.label("done")
	f.i("VZEROUPPER")
	f.i("RET")
}

// groupPVChunk loops over the value columns in chunks of 16·blocks from SI while a whole chunk
// fits: the heads' output chunks stay in registers while all rows pass.
func groupPVChunk(f *file, isa string, e elem, hn int, name string, blocks int) {
	width := 16 * blocks
	f.i("MOVQ %d(DI), CX", pVd)
	f.i("ANDQ $-%d, CX", width)
	f.i("CMPQ SI, CX")
	f.i("JAE %s_end", name)
	f.label(name)
	groupPVMove(f, isa, hn, blocks, true)
	f.i("MOVQ %d(DI), R8", pV)
	f.i("LEAQ (R8)(SI*%d), R8", e.size())
	f.i("MOVQ %d(DI), R13", pP)
	f.i("MOVQ R9, DX")
	f.label(name + "_rows")
	f.i("LEAQ (R8)(R10*8), AX") // the chunk of the value row eight rows ahead
	for off := 0; off < width*e.size(); off += 64 {
		f.i("PREFETCHT0 %d(AX)", off)
	}
	groupPVRow(f, isa, e, hn, blocks)
	f.i("ADDQ R10, R8")
	f.i("ADDQ $4, R13")
	f.i("DECQ DX")
	f.i("JNZ %s_rows", name)
	groupPVMove(f, isa, hn, blocks, false)
	f.i("ADDQ $%d, SI", width)
	f.i("CMPQ SI, CX")
	f.i("JB %s", name)
	f.label(name + "_end")
}

// groupPVAcc names the accumulator of head h, register j of a chunk.
func groupPVAcc(isa string, h, j, regs int) string {
	if isa == "Z" {
		return fmt.Sprintf("Z%d", h*regs+j)
	}
	return fmt.Sprintf("Y%d", h*regs+j)
}

// groupPVMove loads (load) or stores the heads' output chunks at column SI.
func groupPVMove(f *file, isa string, hn, blocks int, load bool) {
	regs, step := blocks, 64
	if isa == "Y" {
		regs, step = 2*blocks, 32
	}
	f.i("MOVQ %d(DI), AX", pO)
	for h := 0; h < hn; h++ {
		for j := 0; j < regs; j++ {
			if load {
				f.i("VMOVUPS %d(AX)(SI*4), %s", step*j, groupPVAcc(isa, h, j, regs))
			} else {
				f.i("VMOVUPS %s, %d(AX)(SI*4)", groupPVAcc(isa, h, j, regs), step*j)
			}
		}
		if h < hn-1 {
			f.i("ADDQ BX, AX")
		}
	}
}

// groupPVRow loads or widens the chunk of value row (R8) once, then adds p_h·v to each head,
// p_h (the broadcast probability at (R13) + h·ldp) in the multiplicand position of pvAccum.
func groupPVRow(f *file, isa string, e elem, hn, blocks int) {
	regs, step, vr, v0, b0 := blocks, 64, "Z", 24, 28
	if isa == "Y" {
		regs, step, vr, v0, b0 = 2*blocks, 32, "Y", 12, 14
	}
	for j := 0; j < regs; j++ {
		if e == "f32" {
			f.i("VMOVUPS %d(R8), %s%d", step*j, vr, v0+j)
		} else {
			widen(f, fmt.Sprintf("%d(R8)", step/2*j), fmt.Sprintf("%s%d", vr, v0+j))
		}
	}
	f.i("MOVQ R13, AX")
	for h := 0; h < hn; h++ {
		b := fmt.Sprintf("%s%d", vr, b0+h%2)
		f.i("VBROADCASTSS (AX), %s", b)
		for j := 0; j < regs; j++ {
			f.i("VFMADD231PS %s%d, %s, %s", vr, v0+j, b, groupPVAcc(isa, h, j, regs))
		}
		if h < hn-1 {
			f.i("ADDQ R12, AX")
		}
	}
}
