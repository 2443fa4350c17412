package main

import (
	"fmt"
	"math"
)

// Constants of the vector exp (Cephes expf): range limits, log2(e), ln 2 split in two, the
// degree-5 polynomial of e^r on |r| ≤ ln2/2, 1 and the exponent bias.
var expConsts = []struct {
	name string
	bits uint32
}{
	{"hi", math.Float32bits(88.0)},
	{"lo", math.Float32bits(-87.33654)},
	{"log2e", math.Float32bits(1.44269504088896341)},
	{"nln2hi", math.Float32bits(-0.693359375)},
	{"nln2lo", math.Float32bits(2.12194440e-4)},
	{"p0", math.Float32bits(1.9875691500e-4)},
	{"p1", math.Float32bits(1.3981999507e-3)},
	{"p2", math.Float32bits(8.3334519073e-3)},
	{"p3", math.Float32bits(4.1665795894e-2)},
	{"p4", math.Float32bits(1.6666665459e-1)},
	{"p5", math.Float32bits(5.0000001201e-1)},
	{"one", math.Float32bits(1)},
	{"bias", 127},
	{"sign", 0x80000000},
	// log (Cephes logf) and softplus
	{"mant", 0x007fffff},
	{"halfbits", 0x3f000000},
	{"e126", 126},
	{"sqrthf", math.Float32bits(0.707106781186547524)},
	{"l0", math.Float32bits(7.0376836292e-2)},
	{"l1", math.Float32bits(-1.1514610310e-1)},
	{"l2", math.Float32bits(1.1676998740e-1)},
	{"l3", math.Float32bits(-1.2420140846e-1)},
	{"l4", math.Float32bits(1.4249322787e-1)},
	{"l5", math.Float32bits(-1.6668057665e-1)},
	{"l6", math.Float32bits(2.0000714765e-1)},
	{"l7", math.Float32bits(-2.4999993993e-1)},
	{"l8", math.Float32bits(3.3333331174e-1)},
	{"nhalf", math.Float32bits(-0.5)},
	{"ln2hi", math.Float32bits(0.693359375)},
	{"nln2lo2", math.Float32bits(-2.12194440e-4)},
	{"twenty", math.Float32bits(20)},
}

// expData writes the constants as 64-byte vectors (sixteen copies) in a file-local symbol.
func expData(f *file) {
	for i, c := range expConsts {
		for j := 0; j < 16; j++ {
			f.raw(fmt.Sprintf("DATA expc<>+%d(SB)/4, $0x%08x\n", 64*i+4*j, c.bits))
		}
	}
	f.raw(fmt.Sprintf("GLOBL expc<>(SB), RODATA|NOPTR, $%d\n", 64*len(expConsts)))
}

// ec returns the memory operand of constant name.
func ec(name string) string {
	for i, c := range expConsts {
		if c.name == name {
			return fmt.Sprintf("expc<>+%d(SB)", 64*i)
		}
	}
	panic("asmgen: no exp constant " + name)
}

// expVec replaces vector register x with exp(x), using t1..t3 as temporaries (and k as mask
// register on AVX-512). Every step is one IEEE float32 operation or fused multiply-add, the
// same on both instruction sets, so AVX-512 and AVX2 give the same bits:
//
//	x = min(x, 88); under = x < −87.33654; x = max(x, −87.33654)   (NaN stays NaN)
//	n = roundeven(x·log2e); r = fma(n, −0.693359375, x); r = fma(n, 2.1219444e−4, r)
//	p = p0; p = fma(p, r, p1) … fma(p, r, p5); y = fma(p, r·r, r) + 1
//	y = y·2ⁿ; y = +0 where under
func expVec(f *file, isa, x, t1, t2, t3, k string) {
	f.i("VMOVUPS %s, %s", ec("hi"), t2)
	f.i("VMINPS %s, %s, %s", x, t2, x) // x second: a NaN x is returned as is
	if isa == "Z" {
		f.i("VCMPPS $5, %s, %s, %s", ec("lo"), x, k) // k = !(x < lo)
	} else {
		f.i("VCMPPS $1, %s, %s, %s", ec("lo"), x, t3) // t3 = x < lo
	}
	f.i("VMOVUPS %s, %s", ec("lo"), t2)
	f.i("VMAXPS %s, %s, %s", x, t2, x)
	f.i("VMULPS %s, %s, %s", ec("log2e"), x, t1)
	if isa == "Z" {
		f.i("VRNDSCALEPS $0, %s, %s", t1, t1)
	} else {
		f.i("VROUNDPS $0, %s, %s", t1, t1)
	}
	f.i("VFMADD231PS %s, %s, %s", ec("nln2hi"), t1, x) // r = n·(−ln2 hi) + x
	f.i("VFMADD231PS %s, %s, %s", ec("nln2lo"), t1, x)
	f.i("VMOVUPS %s, %s", ec("p0"), t2)
	for _, c := range []string{"p1", "p2", "p3", "p4", "p5"} {
		f.i("VFMADD213PS %s, %s, %s", ec(c), x, t2) // p = r·p + c
	}
	f.i("VCVTPS2DQ %s, %s", t1, t1)
	f.i("VPADDD %s, %s, %s", ec("bias"), t1, t1)
	f.i("VPSLLD $23, %s, %s", t1, t1) // 2ⁿ
	if isa == "Y" {
		f.i("VANDNPS %s, %s, %s", t1, t3, t1) // 2ⁿ := +0 where under, so y·2ⁿ = +0
	}
	f.i("VMULPS %s, %s, %s", x, x, t3)
	f.i("VFMADD213PS %s, %s, %s", x, t3, t2) // y = r²·p + r
	f.i("VADDPS %s, %s, %s", ec("one"), t2, t2)
	f.i("VMULPS %s, %s, %s", t1, t2, x)
	if isa == "Z" {
		f.i("VMOVAPS.Z %s, %s, %s", x, k, x)
	}
}
