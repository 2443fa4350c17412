//go:build amd64 && !purego

package kernels

import (
	"testing"
	"unsafe"
)

// TestMatMulLaneModel checks every assembly path against the documented lane structure,
// computed exactly with big.Float: equal bits, not just close values.
func TestMatMulLaneModel(t *testing.T) {
	for _, k := range isas() {
		if k == isaGo {
			continue
		}
		t.Run(k.String(), func(t *testing.T) {
			defer func(old isaKind) { isa = old }(isa)
			isa = k
			for _, dt := range []DType{F32, BF16} {
				for _, sh := range [][2]int{{5, 1}, {7, 15}, {6, 16}, {9, 37}, {3, 1600}} {
					w := randMatrix(5, sh[0], sh[1], dt)
					x := randVec(6, 7*sh[1])
					got := make([]float32, 7*sh[0])
					MatMul(got, x, 7, w)
					want := make([]float32, len(got))
					row := make([]float32, sh[1])
					for r := 0; r < sh[0]; r++ {
						w.Row(row, r)
						for tok := 0; tok < 7; tok++ {
							want[tok*sh[0]+r] = laneDot16(row, x[tok*sh[1]:(tok+1)*sh[1]])
						}
					}
					sameBits(t, name("%v %dx%d", dt, sh[0], sh[1]), got, want)
				}
			}
		})
	}
}

// TestMatMulISAsAgree checks that the AVX-512 and AVX2 kernels give the same bits, so workers
// on either kind of CPU can serve one pipeline.
func TestMatMulISAsAgree(t *testing.T) {
	if bestISA != isaAVX512 {
		t.Skip("this CPU has no AVX-512; TestMatMulLaneModel covers AVX2 alone")
	}
	defer func(old isaKind) { isa = old }(isa)
	for _, dt := range []DType{F32, BF16} {
		for _, sh := range matmulShapes {
			w := randMatrix(7, sh[0], sh[1], dt)
			x := randVec(8, 11*sh[1])
			z, y := make([]float32, 11*sh[0]), make([]float32, 11*sh[0])
			isa = isaAVX512
			MatMul(z, x, 11, w)
			isa = isaAVX2
			MatMul(y, x, 11, w)
			sameBits(t, name("%v %dx%d", dt, sh[0], sh[1]), y, z)
		}
	}
}

// TestAsmLayout checks the argument-block offsets the generated assembly assumes.
func TestAsmLayout(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"tileArgs.nb", unsafe.Offsetof(tileArgs{}.nb), asmOffTileNB},
		{"tileArgs.tail", unsafe.Offsetof(tileArgs{}.tail), asmOffTileTail},
		{"tileArgs.out", unsafe.Offsetof(tileArgs{}.out), asmOffTileOut},
		{"dotArgs.scale", unsafe.Offsetof(dotArgs{}.scale), asmOffDotScale},
		{"dotArgs.tbuf", unsafe.Offsetof(dotArgs{}.tbuf), asmOffDotTbuf},
		{"pvArgs.kmask", unsafe.Offsetof(pvArgs{}.kmask), asmOffPVKmask},
		{"pvArgs.ldo", unsafe.Offsetof(pvArgs{}.ldo), asmOffPVLdo},
		{"pvArgs.tbuf", unsafe.Offsetof(pvArgs{}.tbuf), asmOffPVTbuf},
		{"sumArgs.out", unsafe.Offsetof(sumArgs{}.out), asmOffSumOut},
	} {
		if c.got != c.want {
			t.Errorf("%s at offset %d, assembly reads %d", c.name, c.got, c.want)
		}
	}
}
