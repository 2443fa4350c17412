package main

import (
	"fmt"
	"strings"
)

// declFile generates the Go side of the assembly: argument blocks, stubs and kernel tables.
func declFile() string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, `
package kernels

import "unsafe"

// tileArgs is the argument block of the MatMul tile kernels, read by the assembly at fixed
// offsets (asmOff* below).
type tileArgs struct {
	w    [%d]unsafe.Pointer // rows of the tile (uint16 or float32 elements)
	x    [%d]unsafe.Pointer // tokens of the tile (float32)
	wt   [%d]unsafe.Pointer // zero-padded 16-column tails of the rows
	xt   [%d]unsafe.Pointer // zero-padded 16-column tails of the tokens
	nb   int               // full 16-column blocks
	tail int               // 1 when the padded tail block follows
	out  [%d]float32       // out[t*R + r]: the sums of pair (token t, row r)
}

// Offsets the assembly assumes (checked by TestAsmLayout).
const (
	asmOffTileNB   = %d
	asmOffTileTail = %d
	asmOffTileOut  = %d
	asmOffDotScale = %d
	asmOffDotTbuf  = %d
	asmOffPVKmask  = %d
	asmOffPVLdo    = %d
	asmOffPVTbuf   = %d
	asmOffSumOut   = %d
	asmOffScanKmask = %d
	asmOffSmSum    = %d
	asmOffSiluKmask = %d
)

// dotArgs is the argument block of qkDots.
type dotArgs struct {
	q, k, sc unsafe.Pointer // heads query vectors hd apart; rows key vectors ldk apart; scores
	ymask    unsafe.Pointer // AVX2: 16 int32 lane masks of the last partial block
	hd       int            // head width
	ldk      int            // key row stride (floats)
	ldsc     int            // score stride between heads (floats)
	rows     int
	heads    int
	kmask    int // AVX-512: lane mask of the last partial block (0: none)
	scale    float32
	tbuf     [16]uint16 // AVX2, bf16 keys: the zero-padded last partial block of a key row
}

// pvArgs is the argument block of pvAccum.
type pvArgs struct {
	o, p, v unsafe.Pointer // heads outputs ldo apart; weights p[h*ldp+i]; value rows ldv apart
	ymask   unsafe.Pointer // AVX2: 8 int32 lane masks of the last vd mod 8 columns
	vd      int
	ldv     int
	ldp     int
	rows    int
	heads   int
	kmask   int // AVX-512: lane mask of the last vd mod 16 columns
	ldo     int // head stride of the outputs (floats)
	tbuf    [8]uint16 // AVX2, bf16 values: the zero-padded last vd mod 8 columns of a value row
}

// scanArgs is the argument block of scanChan.
type scanArgs struct {
	s, a  unsafe.Pointer // state and A of the first channel, rows of n floats
	y, u  unsafe.Pointer // first channel's Δ in / Σ s·C out, and u; rows ld apart
	b, c  unsafe.Pointer // B and C, rows of n floats
	ymask unsafe.Pointer // AVX2: 16 int32 lane masks of the last partial state block
	n     int            // state size
	ld    int            // row stride of y and u (D)
	t     int            // steps
	nc    int            // channels
	kmask int            // AVX-512: lane mask of the last partial state block (0: none)
}

// smArgs is the argument block of softmaxExp.
type smArgs struct {
	x     unsafe.Pointer
	ymask unsafe.Pointer // AVX2: 16 int32 lane masks of the last partial block
	n     int
	kmask int // AVX-512: lane mask of the last partial block (0: none)
	max   float32
	sum   float32
}

// siluArgs is the argument block of the element-wise kernels siluMul and softplusAdd.
type siluArgs struct {
	x, m, y unsafe.Pointer // y = silu(x)·m; m may be nil
	ymask   unsafe.Pointer // AVX2: 8 int32 lane masks of the last n mod 8 elements
	n       int
	kmask   int // AVX-512: lane mask of the last n mod 16 elements (0: none)
}

// sumArgs is the argument block of sumF32.
type sumArgs struct {
	p   unsafe.Pointer
	n   int // floats, a multiple of 64
	out float32
}
`, maxR, maxT, maxR, maxT, maxR*maxT, offNB, offTail, offOut, dScale, dTbuf, pKmask, pLdo, pTbuf, sOut, scKmask, smSum, slKmask)
	var tables strings.Builder
	for _, isa := range []struct{ name, tmax string }{{"Z", "6"}, {"Y", "3"}} {
		for _, dt := range []string{"bf16", "f32"} {
			n := 6
			if isa.name == "Y" {
				n = 3
			}
			fmt.Fprintf(&tables, "\nvar mm%s%s = [...]func(*tileArgs){nil", isa.name, dt)
			for t := 1; t <= n; t++ {
				name := fmt.Sprintf("mm%s%sx%d", isa.name, dt, t)
				fmt.Fprintf(&b, "\n//go:noescape\nfunc %s(a *tileArgs)\n", name)
				fmt.Fprintf(&tables, ", %s", name)
			}
			tables.WriteString("}\n")
		}
		for _, fn := range []string{"qkDots%s(a *dotArgs)", "pvAccum%s(a *pvArgs)", "qkDots16%s(a *dotArgs)", "pvAccum16%s(a *pvArgs)", "sumF32%s(a *sumArgs)", "scanChan%s(a *scanArgs)", "softmaxExp%s(a *smArgs)", "siluMul%s(a *siluArgs)", "softplusAdd%s(a *siluArgs)"} {
			fmt.Fprintf(&b, "\n//go:noescape\nfunc "+fn+"\n", isa.name)
		}
	}
	groupDecls(&b, &tables)
	b.WriteString(tables.String())
	return b.String()
}

// groupDecls declares the grouped attention kernels and their tables by head count,
// qkGroupZ[hn] (nil at 0) and so on.
func groupDecls(b, tables *strings.Builder) {
	for _, isa := range []string{"Z", "Y"} {
		for _, e := range []elem{"f32", "bf16"} {
			for _, k := range []struct{ kind, arg string }{{"qkGroup", "dotArgs"}, {"pvGroup", "pvArgs"}} {
				fmt.Fprintf(tables, "\nvar %s = [...]func(*%s){nil", groupTable(k.kind, isa, e), k.arg)
				for hn := 1; hn <= maxGroup; hn++ {
					name := groupName(k.kind, isa, e, hn)
					fmt.Fprintf(b, "\n//go:noescape\nfunc %s(a *%s)\n", name, k.arg)
					fmt.Fprintf(tables, ", %s", name)
				}
				tables.WriteString("}\n")
			}
		}
	}
	fmt.Fprintf(b, "\n// maxGroup is the most query heads one grouped attention kernel computes.\nconst maxGroup = %d\n", maxGroup)
}
