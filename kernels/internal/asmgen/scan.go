package main

import "fmt"

// Layouts of scanArgs and smArgs (see declFile).
const (
	scS, scA, scY, scU, scB, scC, scYmask, scN, scLd, scT, scNc, scKmask = 0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88
	smX, smYmask, smN, smKmask, smMax, smSum                             = 0, 8, 16, 24, 32, 36
)

// vreg names vector register n of the ISA.
func vreg(isa string, n int) string { return fmt.Sprintf("%s%d", isa, n) }

// genScan writes scanChan: the Mamba state update of nc channels over T steps. On entry
// y[t*ld+c] holds Δ(t, c); on return it holds Σ_n s·C. Per step and 16-lane block of the
// state: x = Δ·A, e = exp(x), s = fma(e, s, (Δ·B)·u), acc = fma(s, C, acc); the lanes fold in
// the tree of the MatMul kernels.
func genScan(f *file, isa string) {
	f.text("scanChan"+isa, "func scanChan"+isa+"(a *scanArgs): selective-scan state update")
	f.i("MOVQ %d(DI), R14", scT)
	f.i("TESTQ R14, R14")
	f.i("JZ done")
	f.i("MOVQ %d(DI), R15", scNc)
	f.i("TESTQ R15, R15")
	f.i("JZ done")
	f.i("MOVQ %d(DI), R8", scS)
	f.i("MOVQ %d(DI), R9", scA)
	f.i("MOVQ %d(DI), BX", scLd)
	f.i("SHLQ $2, BX")
	f.i("MOVQ %d(DI), CX", scN)
	f.i("MOVQ CX, DX")
	f.i("ANDQ $-16, DX")
	f.i("SHLQ $2, CX")
	if isa == "Z" {
		f.i("MOVQ %d(DI), AX", scKmask)
		f.i("KMOVW AX, K1")
	} else {
		f.i("MOVQ %d(DI), AX", scYmask)
		f.i("VMOVDQU (AX), Y10")
		f.i("VMOVDQU 32(AX), Y11")
	}
	f.label("chanloop")
	f.i("MOVQ %d(DI), R10", scY)
	f.i("ADDQ $4, %d(DI)", scY)
	f.i("MOVQ %d(DI), R11", scU)
	f.i("ADDQ $4, %d(DI)", scU)
	f.i("MOVQ %d(DI), R12", scB)
	f.i("MOVQ %d(DI), R13", scC)
	f.i("MOVQ %d(DI), R14", scT)
	f.label("tloop")
	f.i("VBROADCASTSS (R10), %s", vreg(isa, 1))
	f.i("VBROADCASTSS (R11), %s", vreg(isa, 2))
	zero(f, isa, 0)
	if isa == "Y" {
		zero(f, isa, 9)
	}
	f.i("XORQ SI, SI")
	f.i("CMPQ SI, DX")
	f.i("JAE ntail")
	f.label("nloop")
	if isa == "Z" {
		scanHalf(f, isa, 0, 0, "")
	} else {
		scanHalf(f, isa, 0, 0, "")
		scanHalf(f, isa, 32, 9, "")
	}
	f.i("ADDQ $16, SI")
	f.i("CMPQ SI, DX")
	f.i("JB nloop")
	f.label("ntail")
	scanTail(f, isa)
	f.label("nred")
	scanReduce(f, isa)
	f.i("ADDQ BX, R10")
	f.i("ADDQ BX, R11")
	f.i("ADDQ CX, R12")
	f.i("ADDQ CX, R13")
	f.i("DECQ R14")
	f.i("JNZ tloop")
	f.i("ADDQ CX, R8")
	f.i("ADDQ CX, R9")
	f.i("DECQ R15")
	f.i("JNZ chanloop")
	f.label("done")
	f.i("VZEROUPPER")
	f.i("RET")
}

// scanHalf updates one vector of state lanes at byte displacement disp from element SI,
// accumulating into vector register acc. mask is "" for full loads, else the AVX2 mask
// register or the AVX-512 k register of a partial block.
func scanHalf(f *file, isa string, disp, acc int, mask string) {
	v := func(n int) string { return vreg(isa, n) }
	at := func(base string) string { return fmt.Sprintf("%d(%s)(SI*4)", disp, base) }
	load := func(base string, dst int) string { // operand for base's lanes
		if mask == "" {
			return at(base)
		}
		if isa == "Z" {
			f.i("VMOVUPS.Z %s, %s, %s", at(base), mask, v(dst))
		} else {
			f.i("VMASKMOVPS %s, %s, %s", at(base), mask, v(dst))
		}
		return v(dst)
	}
	f.i("VMULPS %s, %s, %s", load("R9", 12), v(1), v(3))  // x = Δ·A
	expVec(f, isa, v(3), v(5), v(6), v(7), "K2")          // e
	f.i("VMULPS %s, %s, %s", load("R12", 12), v(1), v(8)) // Δ·B
	f.i("VMULPS %s, %s, %s", v(2), v(8), v(8))            // (Δ·B)·u
	if mask == "" {
		f.i("VMOVUPS %s, %s", at("R8"), v(4))
	} else {
		load("R8", 4)
	}
	f.i("VFMADD213PS %s, %s, %s", v(8), v(3), v(4)) // s = e·s + (Δ·B)·u
	switch {
	case mask == "":
		f.i("VMOVUPS %s, %s", v(4), at("R8"))
	case isa == "Z":
		f.i("VMOVUPS %s, %s, %s", v(4), mask, at("R8"))
	default:
		f.i("VMASKMOVPS %s, %s, %s", v(4), mask, at("R8"))
	}
	f.i("VFMADD231PS %s, %s, %s", load("R13", 12), v(4), v(acc)) // acc = s·C + acc
}

// scanTail runs the masked partial block of the state, if any.
func scanTail(f *file, isa string) {
	if isa == "Z" {
		f.i("KORTESTW K1, K1")
		f.i("JZ nred")
		scanHalf(f, isa, 0, 0, "K1")
		return
	}
	f.i("CMPQ %d(DI), $0", scKmask)
	f.i("JE nred")
	scanHalf(f, isa, 0, 0, "Y10")
	scanHalf(f, isa, 32, 9, "Y11")
}

// scanReduce folds the accumulator lanes and stores the sum to (R10).
func scanReduce(f *file, isa string) {
	if isa == "Z" {
		f.i("VEXTRACTF64X4 $1, Z0, Y5")
		f.i("VADDPS Y5, Y0, Y5")
		f.i("VEXTRACTF32X4 $1, Y5, X6")
		reduce4(f, "X5", "X6")
		f.i("VMOVSS X5, (R10)")
		return
	}
	f.i("VADDPS Y9, Y0, Y0")
	f.i("VEXTRACTF128 $1, Y0, X14")
	reduce4(f, "X0", "X14")
	f.i("VMOVSS X0, (R10)")
}

// genSoftmax writes softmaxExp: x[i] = exp(x[i] − max) / Σ exp(x[j] − max) in place, the sum
// in 16 lanes (lane l takes i ≡ l mod 16 in order, padding adds +0) folded in the fixed tree.
func genSoftmax(f *file, isa string) {
	v := func(n int) string { return vreg(isa, n) }
	f.text("softmaxExp"+isa, "func softmaxExp"+isa+"(a *smArgs): softmax in place")
	f.i("MOVQ %d(DI), R8", smX)
	f.i("MOVQ %d(DI), DX", smN)
	f.i("ANDQ $-16, DX")
	f.i("VBROADCASTSS %d(DI), %s", smMax, v(1))
	if isa == "Z" {
		f.i("MOVQ %d(DI), AX", smKmask)
		f.i("KMOVW AX, K1")
	} else {
		f.i("MOVQ %d(DI), AX", smYmask)
		f.i("VMOVDQU (AX), Y10")
		f.i("VMOVDQU 32(AX), Y11")
	}
	zero(f, isa, 0)
	zero(f, isa, 9)
	f.i("XORQ SI, SI")
	f.i("CMPQ SI, DX")
	f.i("JAE etail")
	f.label("eloop")
	smExpHalf(f, isa, 0, 0, "")
	if isa == "Y" {
		smExpHalf(f, isa, 32, 9, "")
	}
	f.i("ADDQ $16, SI")
	f.i("CMPQ SI, DX")
	f.i("JB eloop")
	f.label("etail")
	smTail(f, isa, "esum", func(mask string, disp, acc int) { smExpHalf(f, isa, disp, acc, mask) })
	f.label("esum")
	if isa == "Z" {
		f.i("VEXTRACTF64X4 $1, Z0, Y5")
		f.i("VADDPS Y5, Y0, Y5")
		f.i("VEXTRACTF32X4 $1, Y5, X6")
		reduce4(f, "X5", "X6")
		f.i("VMOVSS X5, %d(DI)", smSum)
	} else {
		f.i("VADDPS Y9, Y0, Y0")
		f.i("VEXTRACTF128 $1, Y0, X14")
		reduce4(f, "X0", "X14")
		f.i("VMOVSS X0, %d(DI)", smSum)
	}
	f.i("VBROADCASTSS %d(DI), %s", smSum, v(1))
	f.i("XORQ SI, SI")
	f.i("CMPQ SI, DX")
	f.i("JAE dtail")
	f.label("dloop")
	smDivHalf(f, isa, 0, "")
	if isa == "Y" {
		smDivHalf(f, isa, 32, "")
	}
	f.i("ADDQ $16, SI")
	f.i("CMPQ SI, DX")
	f.i("JB dloop")
	f.label("dtail")
	smTail(f, isa, "done", func(mask string, disp, _ int) { smDivHalf(f, isa, disp, mask) })
	f.label("done")
	f.i("VZEROUPPER")
	f.i("RET")
}

// smTail emits the masked partial block through half (once for AVX-512, twice for AVX2).
func smTail(f *file, isa, skip string, half func(mask string, disp, acc int)) {
	if isa == "Z" {
		f.i("KORTESTW K1, K1")
		f.i("JZ %s", skip)
		half("K1", 0, 0)
		return
	}
	f.i("CMPQ %d(DI), $0", smKmask)
	f.i("JE %s", skip)
	half("Y10", 0, 0)
	half("Y11", 32, 9)
}

// smExpHalf: e = exp(x − max) for one vector at SI (+disp bytes), stored back and added to acc;
// masked lanes read as 0, are not stored and add +0.
func smExpHalf(f *file, isa string, disp, acc int, mask string) {
	v := func(n int) string { return vreg(isa, n) }
	at := fmt.Sprintf("%d(R8)(SI*4)", disp)
	switch {
	case mask == "":
		f.i("VMOVUPS %s, %s", at, v(3))
	case isa == "Z":
		f.i("VMOVUPS.Z %s, %s, %s", at, mask, v(3))
	default:
		f.i("VMASKMOVPS %s, %s, %s", at, mask, v(3))
	}
	f.i("VSUBPS %s, %s, %s", v(1), v(3), v(3))
	expVec(f, isa, v(3), v(5), v(6), v(7), "K2")
	switch {
	case mask == "":
		f.i("VMOVUPS %s, %s", v(3), at)
	case isa == "Z":
		f.i("VMOVAPS.Z %s, %s, %s", v(3), mask, v(3))
		f.i("VMOVUPS %s, %s, %s", v(3), mask, at)
	default:
		f.i("VANDPS %s, %s, %s", mask, v(3), v(3))
		f.i("VMASKMOVPS %s, %s, %s", v(3), mask, at)
	}
	f.i("VADDPS %s, %s, %s", v(3), v(acc), v(acc))
}

// smDivHalf: x = x / sum for one vector at SI (+disp bytes).
func smDivHalf(f *file, isa string, disp int, mask string) {
	v := func(n int) string { return vreg(isa, n) }
	at := fmt.Sprintf("%d(R8)(SI*4)", disp)
	switch {
	case mask == "":
		f.i("VMOVUPS %s, %s", at, v(3))
		f.i("VDIVPS %s, %s, %s", v(1), v(3), v(3))
		f.i("VMOVUPS %s, %s", v(3), at)
	case isa == "Z":
		f.i("VMOVUPS.Z %s, %s, %s", at, mask, v(3))
		f.i("VDIVPS %s, %s, %s", v(1), v(3), v(3))
		f.i("VMOVUPS %s, %s, %s", v(3), mask, at)
	default:
		f.i("VMASKMOVPS %s, %s, %s", at, mask, v(3))
		f.i("VDIVPS %s, %s, %s", v(1), v(3), v(3))
		f.i("VMASKMOVPS %s, %s, %s", v(3), mask, at)
	}
}
