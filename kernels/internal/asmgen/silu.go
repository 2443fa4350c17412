package main

// Layout of siluArgs (see declFile).
const (
	slX, slM, slY, slYmask, slN, slKmask = 0, 8, 16, 24, 32, 40
)

// genSilu writes siluMul: y[i] = silu(x[i])·m[i] (or silu(x[i]) when m is nil), where
// silu(x) = x / (1 + exp(−x)) with the vector exp. Element-wise: every element gets the same
// operations whatever its position, so both ISAs give the same bits. y may alias x or m.
func genSilu(f *file, isa string) {
	v := func(n int) string { return vreg(isa, n) }
	width := 16
	if isa == "Y" {
		width = 8
	}
	f.text("siluMul"+isa, "func siluMul"+isa+"(a *siluArgs): y = silu(x)·m")
	f.i("MOVQ %d(DI), R8", slX)
	f.i("MOVQ %d(DI), R9", slM)
	f.i("MOVQ %d(DI), R10", slY)
	f.i("MOVQ %d(DI), DX", slN)
	f.i("ANDQ $-%d, DX", width)
	if isa == "Z" {
		f.i("MOVQ %d(DI), AX", slKmask)
		f.i("KMOVW AX, K1")
	} else {
		f.i("MOVQ %d(DI), AX", slYmask)
		f.i("VMOVDQU (AX), Y10")
	}
	f.i("XORQ SI, SI")
	f.i("CMPQ SI, DX")
	f.i("JAE tail")
	f.label("loop")
	f.i("VMOVUPS (R8)(SI*4), %s", v(3))
	siluBody(f, isa, "")
	f.i("VMOVUPS %s, (R10)(SI*4)", v(3))
	f.i("ADDQ $%d, SI", width)
	f.i("CMPQ SI, DX")
	f.i("JB loop")
	f.label("tail")
	if isa == "Z" {
		f.i("KORTESTW K1, K1")
		f.i("JZ done")
		f.i("VMOVUPS.Z (R8)(SI*4), K1, Z3")
		siluBody(f, isa, "K1")
		f.i("VMOVUPS Z3, K1, (R10)(SI*4)")
	} else {
		f.i("CMPQ %d(DI), $0", slKmask)
		f.i("JE done")
		f.i("VMASKMOVPS (R8)(SI*4), Y10, Y3")
		siluBody(f, isa, "Y10")
		f.i("VMASKMOVPS Y3, Y10, (R10)(SI*4)")
	}
	f.label("done")
	f.i("VZEROUPPER")
	f.i("RET")
}

// siluBody turns x in register 3 into silu(x)·m (m read at SI, masked when mask is set).
func siluBody(f *file, isa, mask string) {
	v := func(n int) string { return vreg(isa, n) }
	if isa == "Z" {
		f.i("VPXORD %s, Z3, Z4", ec("sign"))
	} else {
		f.i("VXORPS %s, Y3, Y4", ec("sign"))
	}
	expVec(f, isa, v(4), v(5), v(6), v(7), "K2")
	f.i("VADDPS %s, %s, %s", ec("one"), v(4), v(4))
	f.i("VDIVPS %s, %s, %s", v(4), v(3), v(3))
	skip := "nomul" + mask
	f.i("TESTQ R9, R9")
	f.i("JZ %s", skip)
	switch {
	case mask == "":
		f.i("VMULPS (R9)(SI*4), %s, %s", v(3), v(3))
	case isa == "Z":
		f.i("VMOVUPS.Z (R9)(SI*4), K1, Z8")
		f.i("VMULPS Z8, Z3, Z3")
	default:
		f.i("VMASKMOVPS (R9)(SI*4), Y10, Y8")
		f.i("VMULPS Y8, Y3, Y3")
	}
	f.label(skip)
}
