package main

import "fmt"

// Layout of tileArgs, the argument block of the MatMul tile kernels (see declFile).
const (
	maxR    = 4 // rows per tile, AVX-512 (AVX2 tiles use 2)
	maxT    = 6 // tokens per tile, AVX-512 (AVX2 tiles use up to 3)
	offW    = 0
	offX    = offW + 8*maxR
	offWT   = offX + 8*maxT
	offXT   = offWT + 8*maxR
	offNB   = offXT + 8*maxT
	offTail = offNB + 8
	offOut  = offTail + 8
)

// General-purpose registers holding the row and token pointers of a tile.
var (
	wRegs = []string{"R8", "R9", "R10", "R11"}
	xRegs = []string{"R12", "R13", "R14", "R15", "AX", "BX"}
)

// tile describes one MatMul kernel variant.
type tile struct {
	isa    string // "Z" (AVX-512) or "Y" (AVX2)
	dtype  string // "bf16" or "f32"
	r, t   int    // rows and tokens per tile
	unroll int    // blocks per main-loop iteration
}

func (k tile) name() string { return fmt.Sprintf("mm%s%sx%d", k.isa, k.dtype, k.t) }

// matmulZFile generates the AVX-512 tile kernels: 4 rows × 1..6 tokens, one zmm accumulator
// (16 lanes) per (token, row) pair.
func matmulZFile() string {
	f := asmFile()
	for _, dt := range []string{"bf16", "f32"} {
		for t := 1; t <= maxT; t++ {
			u := 1
			if t == 1 {
				u = 2
			}
			genTile(f, tile{isa: "Z", dtype: dt, r: 4, t: t, unroll: u})
		}
	}
	return f.b.String()
}

// matmulYFile generates the AVX2 tile kernels: 2 rows × 1..3 tokens, two ymm accumulators
// (lanes 0–7 and 8–15) per pair.
func matmulYFile() string {
	f := asmFile()
	for _, dt := range []string{"bf16", "f32"} {
		for t := 1; t <= 3; t++ {
			u := 1
			if t == 1 {
				u = 2
			}
			genTile(f, tile{isa: "Y", dtype: dt, r: 2, t: t, unroll: u})
		}
	}
	return f.b.String()
}

// genTile writes one tile kernel: zero the accumulators, run the full 16-column blocks, run
// the zero-padded tail block if any, then reduce every pair's 16 lanes and store the sums.
func genTile(f *file, k tile) {
	f.text(k.name(), fmt.Sprintf("func %s(a *tileArgs): %d rows × %d tokens, %s weights, %s registers",
		k.name(), k.r, k.t, k.dtype, k.isa))
	loadPtrs(f, k, offW, offX)
	pfInit(f, k)
	f.i("MOVQ %d(DI), CX", offNB)
	f.i("SHLQ $4, CX")
	f.i("XORQ SI, SI")
	for p := 0; p < k.r*k.t*k.halves(); p++ {
		zero(f, k.isa, p)
	}
	if k.unroll > 1 {
		f.i("MOVQ CX, DX")
		f.i("ANDQ $-%d, DX", 16*k.unroll)
		f.i("JZ single")
		f.label("loopu")
		for u := 0; u < k.unroll; u++ {
			pfStep(f, k)
			tileBody(f, k, 16*u)
		}
		f.i("ADDQ $%d, SI", 16*k.unroll)
		f.i("CMPQ SI, DX")
		f.i("JB loopu")
		f.label("single")
	}
	f.i("CMPQ SI, CX")
	f.i("JAE tail")
	f.label("loop")
	pfStep(f, k)
	tileBody(f, k, 0)
	f.i("ADDQ $16, SI")
	f.i("CMPQ SI, CX")
	f.i("JB loop")
	f.label("tail")
	f.i("CMPQ %d(DI), $0", offTail)
	f.i("JE reduce")
	loadPtrs(f, k, offWT, offXT)
	f.i("XORQ SI, SI")
	tileBody(f, k, 0)
	f.label("reduce")
	for t := 0; t < k.t; t++ {
		for r := 0; r < k.r; r++ {
			p := t*k.r + r
			reducePair(f, k.isa, p, fmt.Sprintf("%d(DI)", offOut+4*p))
		}
	}
	f.i("VZEROUPPER")
	f.i("RET")
}

func (k tile) halves() int {
	if k.isa == "Y" {
		return 2
	}
	return 1
}

// loadPtrs loads the tile's row pointers from offset wo and token pointers from xo.
func loadPtrs(f *file, k tile, wo, xo int) {
	for r := 0; r < k.r; r++ {
		f.i("MOVQ %d(DI), %s", wo+8*r, wRegs[r])
	}
	for t := 0; t < k.t; t++ {
		f.i("MOVQ %d(DI), %s", xo+8*t, xRegs[t])
	}
}

// tileBody multiplies one 16-column block at element index SI (+ off elements).
func tileBody(f *file, k tile, off int) {
	if k.isa == "Z" {
		tileBodyZ(f, k, off)
		return
	}
	tileBodyY(f, k, off)
}

// tileBodyZ: w rows in Z24..Z27, the token block in Z28, pair (t, r) accumulates in Z(t*R+r).
func tileBodyZ(f *file, k tile, off int) {
	for r := 0; r < k.r; r++ {
		loadW(f, k.dtype, wRegs[r], off, 0, fmt.Sprintf("Z%d", 24+r))
	}
	for t := 0; t < k.t; t++ {
		f.i("VMOVUPS %d(%s)(SI*4), Z28", 4*off, xRegs[t])
		for r := 0; r < k.r; r++ {
			f.i("VFMADD231PS Z28, Z%d, Z%d", 24+r, t*k.r+r)
		}
	}
}

// tileBodyY: row r's two halves in Y12+2r, Y13+2r; pair p accumulates lanes 0–7 in Y(2p) and
// lanes 8–15 in Y(2p+1); token blocks are memory operands.
func tileBodyY(f *file, k tile, off int) {
	for r := 0; r < k.r; r++ {
		lo, hi := 12+2*r, 13+2*r
		loadW(f, k.dtype, wRegs[r], off, 0, fmt.Sprintf("Y%d", lo))
		loadW(f, k.dtype, wRegs[r], off, 8, fmt.Sprintf("Y%d", hi))
		for t := 0; t < k.t; t++ {
			p := t*k.r + r
			f.i("VFMADD231PS %d(%s)(SI*4), Y%d, Y%d", 4*off, xRegs[t], lo, 2*p)
			f.i("VFMADD231PS %d(%s)(SI*4), Y%d, Y%d", 4*off+32, xRegs[t], hi, 2*p+1)
		}
	}
}

// loadW loads weights at element SI+off+sub of the row in register ptr into vector dst,
// widening bf16 exactly (zero-extend to 32 bits, shift into the high half).
func loadW(f *file, dtype, ptr string, off, sub int, dst string) {
	if dtype == "bf16" {
		f.i("VPMOVZXWD %d(%s)(SI*2), %s", 2*(off+sub), ptr, dst)
		f.i("VPSLLD $16, %s, %s", dst, dst)
		return
	}
	f.i("VMOVUPS %d(%s)(SI*4), %s", 4*(off+sub), ptr, dst)
}

// reducePair folds the 16 lanes of pair p in the fixed tree
// ((l, l+8) → (l, l+4) → (l, l+2) → (0, 1)), low lanes always the first operand, and stores
// the float32 sum to dst. Both ISAs produce the same bits.
func reducePair(f *file, isa string, p int, dst string) {
	var v, t string
	if isa == "Z" {
		f.i("VEXTRACTF64X4 $1, Z%d, Y29", p)
		f.i("VADDPS Y29, Y%d, Y29", p)
		f.i("VEXTRACTF32X4 $1, Y29, X30")
		v, t = "X29", "X30"
	} else {
		f.i("VADDPS Y%d, Y%d, Y%d", 2*p+1, 2*p, 2*p)
		f.i("VEXTRACTF128 $1, Y%d, X14", 2*p)
		v, t = fmt.Sprintf("X%d", 2*p), "X14"
	}
	reduce4(f, v, t)
	f.i("VMOVSS %s, %s", v, dst)
}

// reduce4 finishes a reduction: v holds lanes l (0–3) and t holds lanes l+4.
func reduce4(f *file, v, t string) {
	f.i("VADDPS %s, %s, %s", t, v, v)
	f.i("VMOVHLPS %s, %s, %s", v, v, t)
	f.i("VADDPS %s, %s, %s", t, v, v)
	f.i("VMOVSHDUP %s, %s", v, t)
	f.i("VADDSS %s, %s, %s", t, v, v)
}

// zero clears vector register n of the ISA (VEX for AVX2, EVEX for AVX-512).
func zero(f *file, isa string, n int) {
	if isa == "Z" {
		f.i("VPXORD Z%d, Z%d, Z%d", n, n, n)
		return
	}
	f.i("VXORPS Y%d, Y%d, Y%d", n, n, n)
}

// prefetchNext is the instruction prefetching the next row tile ("": none). Into L2: one tile
// ahead is 13–26 KB, and PREFETCHT1 measured best on Zen 4 (the decode GEMV went from about
// half to 75–95% of the streaming bandwidth).
var prefetchNext = "PREFETCHT1"

// pfReg is the register walking the next tile's bytes.
func (k tile) pfReg() string {
	if k.t < 6 {
		return "BX"
	}
	return "DX"
}

// pfInit points pfReg at the next tile: rows are contiguous, so it starts R rows after the
// first (a short last tile repeats its row and prefetches itself, harmlessly).
func pfInit(f *file, k tile) {
	if prefetchNext == "" || k.r < 2 {
		return
	}
	p := k.pfReg()
	f.i("MOVQ R9, %s", p)
	f.i("SUBQ R8, %s", p)
	if k.r == 4 {
		f.i("SHLQ $2, %s", p)
		f.i("ADDQ R8, %s", p)
	} else {
		f.i("ADDQ R9, %s", p)
	}
}

// pfStep prefetches the next tile's bytes matching one 16-column block of this tile, so the
// weights stream through memory in order even though the tile reads R rows side by side.
func pfStep(f *file, k tile) {
	if prefetchNext == "" || k.r < 2 {
		return
	}
	n := k.r * 16 * k.elem()
	for off := 0; off < n; off += 64 {
		f.i("%s %d(%s)", prefetchNext, off, k.pfReg())
	}
	f.i("ADDQ $%d, %s", n, k.pfReg())
}

// elem is the weight element size in bytes.
func (k tile) elem() int {
	if k.dtype == "bf16" {
		return 2
	}
	return 4
}
