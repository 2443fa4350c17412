package main

// Layout of siluArgs (see declFile).
const (
	slX, slM, slY, slYmask, slN, slKmask = 0, 8, 16, 24, 32, 40
)

// genSilu writes siluMul: y[i] = silu(x[i])·m[i] (or silu(x[i]) when m is nil), where
// silu(x) = x / (1 + exp(−x)) with the vector exp. y may alias x or m.
func genSilu(f *file, isa string) {
	genElementwise(f, isa, "siluMul", "y = silu(x)·m", siluBody)
}

// genSoftplus writes softplusAdd: y[i] = softplus(x[i] + m[i]) with the vector exp and log.
func genSoftplus(f *file, isa string) {
	genElementwise(f, isa, "softplusAdd", "y = softplus(x + m)", softplusBody)
}

// genElementwise writes an element-wise kernel over siluArgs: full vectors, then the masked
// tail. body turns the x vector in register 3 into the result, reading m at SI (masked by
// mask in the tail). Every element gets the same operations whatever its position, so both
// ISAs give the same bits.
func genElementwise(f *file, isa, name, doc string, body func(f *file, isa, mask string)) {
	v := func(n int) string { return vreg(isa, n) }
	width := 16
	if isa == "Y" {
		width = 8
	}
	f.text(name+isa, "func "+name+isa+"(a *siluArgs): "+doc)
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
	body(f, isa, "")
	f.i("VMOVUPS %s, (R10)(SI*4)", v(3))
	f.i("ADDQ $%d, SI", width)
	f.i("CMPQ SI, DX")
	f.i("JB loop")
	f.label("tail")
	if isa == "Z" {
		f.i("KORTESTW K1, K1")
		f.i("JZ done")
		f.i("VMOVUPS.Z (R8)(SI*4), K1, Z3")
		body(f, isa, "K1")
		f.i("VMOVUPS Z3, K1, (R10)(SI*4)")
	} else {
		f.i("CMPQ %d(DI), $0", slKmask)
		f.i("JE done")
		f.i("VMASKMOVPS (R8)(SI*4), Y10, Y3")
		body(f, isa, "Y10")
		f.i("VMASKMOVPS Y3, Y10, (R10)(SI*4)")
	}
	f.label("done")
	f.i("VZEROUPPER")
	f.i("RET")
}

// loadM loads m's vector at SI into register dst (masked in the tail).
func loadM(f *file, isa, mask, dst string) {
	switch {
	case mask == "":
		f.i("VMOVUPS (R9)(SI*4), %s", dst)
	case isa == "Z":
		f.i("VMOVUPS.Z (R9)(SI*4), %s, %s", mask, dst)
	default:
		f.i("VMASKMOVPS (R9)(SI*4), %s, %s", mask, dst)
	}
}

// softplusBody: s = x + m; result s where s > 20, else log1p(e) with e = exp(s), computed as
// e where 1 + e rounds to 1, else log(1 + e)·(e / ((1 + e) − 1)) (Goldberg), log as Cephes
// logf: u = 2^ex·m with m in [√½, √2), log u = m−1 + poly + ex·ln2 in two parts.
func softplusBody(f *file, isa, mask string) {
	v := func(n int) string { return vreg(isa, n) }
	loadM(f, isa, mask, v(8))
	f.i("VADDPS %s, %s, %s", v(8), v(3), v(3)) // s
	f.i("VMOVUPS %s, %s", v(3), v(4))
	expVec(f, isa, v(4), v(5), v(6), v(7), "K2")    // e
	f.i("VADDPS %s, %s, %s", ec("one"), v(4), v(5)) // u = 1 + e
	and, or := "VPAND", "VPOR"
	if isa == "Z" {
		and, or = "VPANDD", "VPORD"
	}
	f.i("VPSRLD $23, %s, %s", v(5), v(6))
	f.i("VPSUBD %s, %s, %s", ec("e126"), v(6), v(6))
	f.i("VCVTDQ2PS %s, %s", v(6), v(6)) // ex
	f.i("%s %s, %s, %s", and, ec("mant"), v(5), v(7))
	f.i("%s %s, %s, %s", or, ec("halfbits"), v(7), v(7)) // m in [½, 1)
	maskedOne := func(cond string, src, dst string) {    // dst = src where m < √½, else +0
		if isa == "Z" {
			f.i("VMOVAPS.Z %s, K3, %s", src, dst)
		} else {
			f.i("VANDPS %s, %s, %s", src, cond, dst)
		}
	}
	if isa == "Z" {
		f.i("VCMPPS $1, %s, %s, K3", ec("sqrthf"), v(7))
	} else {
		f.i("VCMPPS $1, %s, %s, %s", ec("sqrthf"), v(7), v(8))
	}
	maskedOne(v(8), v(7), v(9))
	f.i("VADDPS %s, %s, %s", v(9), v(7), v(7))
	f.i("VSUBPS %s, %s, %s", ec("one"), v(7), v(7)) // m := m+m−1 or m−1
	f.i("VMOVUPS %s, %s", ec("one"), v(9))
	maskedOne(v(8), v(9), v(9))
	f.i("VSUBPS %s, %s, %s", v(9), v(6), v(6))  // ex := ex−1 where m < √½
	f.i("VMULPS %s, %s, %s", v(7), v(7), v(11)) // z = m²
	f.i("VMOVUPS %s, %s", ec("l0"), v(9))
	for _, c := range []string{"l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8"} {
		f.i("VFMADD213PS %s, %s, %s", ec(c), v(7), v(9)) // p = m·p + c
	}
	f.i("VMULPS %s, %s, %s", v(7), v(9), v(9))               // p·m
	f.i("VMULPS %s, %s, %s", v(11), v(9), v(9))              // ·z
	f.i("VFMADD231PS %s, %s, %s", ec("nln2lo2"), v(6), v(9)) // + ex·(−2.12e−4)
	f.i("VFMADD231PS %s, %s, %s", ec("nhalf"), v(11), v(9))  // − z/2
	f.i("VADDPS %s, %s, %s", v(9), v(7), v(9))               // + m
	f.i("VFMADD231PS %s, %s, %s", ec("ln2hi"), v(6), v(9))   // + ex·0.693359375 = log u
	f.i("VSUBPS %s, %s, %s", ec("one"), v(5), v(12))         // u − 1
	f.i("VDIVPS %s, %s, %s", v(12), v(4), v(12))             // e / (u − 1)
	f.i("VMULPS %s, %s, %s", v(12), v(9), v(9))              // log1p(e)
	if isa == "Z" {
		f.i("VCMPPS $0, %s, %s, K3", ec("one"), v(5)) // u == 1
		f.i("VMOVAPS %s, K3, %s", v(4), v(9))
		f.i("VCMPPS $14, %s, %s, K3", ec("twenty"), v(3)) // s > 20
		f.i("VMOVAPS %s, K3, %s", v(3), v(9))
		f.i("VMOVAPS %s, %s", v(9), v(3))
		return
	}
	f.i("VCMPPS $0, %s, %s, %s", ec("one"), v(5), v(8))
	f.i("VBLENDVPS %s, %s, %s, %s", v(8), v(4), v(9), v(9))
	f.i("VCMPPS $14, %s, %s, %s", ec("twenty"), v(3), v(8))
	f.i("VBLENDVPS %s, %s, %s, %s", v(8), v(3), v(9), v(3))
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
