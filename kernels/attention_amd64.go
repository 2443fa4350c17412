//go:build amd64 && !purego

package kernels

import (
	"math"
	"unsafe"
)

// pvBlock is the number of value rows per value kernel call: the block stays in L2 while each
// column chunk of pvGroup (and each head of pvAccum's last vd mod 16 columns) passes over it.
const pvBlock = 256

// laneMasks[16−t:] starts with t all-ones int32 lanes followed by zeros (AVX2 masked loads).
var laneMasks = [32]int32{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}

// attendGroup computes query heads j·g … j·g+g−1 of one row (see Attend).
func attendGroup(out, q, k, v []float32, spans []Span, s AttnShape, j, n int, sc []float32) {
	if isa == isaGo {
		attendGroupGo(out, q, k, v, spans, s, j, n, sc)
		return
	}
	g := s.Heads / s.KVHeads
	groupScores(q[j*g*s.HeadDim:(j+1)*g*s.HeadDim], k, spans, s, j, n, sc)
	for h := 0; h < g; h++ {
		softmaxVec(sc[h*n : (h+1)*n])
	}
	o := out[j*g*s.VDim : (j+1)*g*s.VDim]
	clear(o)
	groupValues(o, v, spans, s, j, n, sc)
}

// groupScores sets sc[h*n + i] = (q_h·k_i)·scale for the g heads in qg and the covered rows
// (each span's own K when it has one). With hd a multiple of 16 the qkGroup kernels load or
// widen each key block once for up to maxGroup heads; otherwise qkDots runs head by head.
// Both give the same bits.
func groupScores(qg, k []float32, spans []Span, s AttnShape, j, n int, sc []float32) {
	kw, tail, g := s.KVHeads*s.HeadDim, s.HeadDim%16, s.Heads/s.KVHeads
	d := dotArgs{
		ymask: unsafe.Pointer(&laneMasks[16-tail]), hd: s.HeadDim, ldk: kw, ldsc: n,
		kmask: 1<<tail - 1, scale: float32(1 / math.Sqrt(float64(s.HeadDim))),
	}
	off := 0
	for i := range spans {
		sp := &spans[i]
		if sp.Hi == sp.Lo {
			continue
		}
		rs, at := sp.rows(k, nil), sp.Lo*kw+j*s.HeadDim
		d.k, d.rows = rs.keyPtr(at), sp.Hi-sp.Lo
		perHead, grouped := dotKernels(rs.bf16())
		if tail != 0 {
			d.q, d.sc, d.heads = unsafe.Pointer(&qg[0]), unsafe.Pointer(&sc[off]), g
			perHead(&d)
		} else {
			for h0, hn := 0, 0; h0 < g; h0 += hn {
				hn = headPass(g, h0)
				d.q, d.sc = unsafe.Pointer(&qg[h0*s.HeadDim]), unsafe.Pointer(&sc[h0*n+off])
				grouped[hn](&d)
			}
		}
		off += d.rows
	}
}

// groupValues adds Σ_i p[h*n+i]·v_i to each head h of o, rows in span order (each span's own
// V when it has one). The pvGroup kernels load or widen each value once for up to maxGroup
// heads over the first vd &^ 15 columns; pvAccum adds the last vd mod 16 head by head. Both
// give the same bits.
func groupValues(o, v []float32, spans []Span, s AttnShape, j, n int, p []float32) {
	vw, vd, g := s.KVHeads*s.VDim, s.VDim, s.Heads/s.KVHeads
	full := vd &^ 15
	a := pvArgs{
		ymask: unsafe.Pointer(&laneMasks[16-vd%8]), ldv: vw, ldp: n, ldo: vd, kmask: 1<<(vd%16) - 1,
	}
	off := 0
	for i := range spans {
		sp := &spans[i]
		rs := sp.rows(nil, v)
		perHead, grouped := pvKernels(rs.bf16())
		for lo := sp.Lo; lo < sp.Hi; lo += pvBlock {
			at := lo*vw + j*vd
			a.rows = min(pvBlock, sp.Hi-lo)
			for h0, hn := 0, 0; h0 < g; h0 += hn {
				hn = headPass(g, h0)
				a.p = unsafe.Pointer(&p[h0*n+off])
				if full > 0 {
					a.o, a.v, a.vd = unsafe.Pointer(&o[h0*vd]), rs.valuePtr(at), full
					grouped[hn](&a)
				}
				if full < vd {
					a.o, a.v, a.vd, a.heads = unsafe.Pointer(&o[h0*vd+full]), rs.valuePtr(at+full), vd-full, hn
					perHead(&a)
				}
			}
			off += a.rows
		}
	}
}

// headPass returns the number of heads of the kernel pass that starts at head h0 of g: the g
// heads are cut into ⌈g/maxGroup⌉ passes of near-equal size (7 heads: 4 + 3).
func headPass(g, h0 int) int {
	left := (g - h0 + maxGroup - 1) / maxGroup
	return (g - h0 + left - 1) / left
}

// dotKernels returns the per-head and the grouped score kernels of the ISA for bf16 or
// float32 keys.
func dotKernels(bf16 bool) (perHead func(*dotArgs), grouped *[maxGroup + 1]func(*dotArgs)) {
	switch {
	case bf16 && isa == isaAVX512:
		return qkDots16Z, &qkGroup16Z
	case bf16:
		return qkDots16Y, &qkGroup16Y
	case isa == isaAVX512:
		return qkDotsZ, &qkGroupZ
	}
	return qkDotsY, &qkGroupY
}

// pvKernels returns the per-head and the grouped value kernels of the ISA for bf16 or
// float32 values.
func pvKernels(bf16 bool) (perHead func(*pvArgs), grouped *[maxGroup + 1]func(*pvArgs)) {
	switch {
	case bf16 && isa == isaAVX512:
		return pvAccum16Z, &pvGroup16Z
	case bf16:
		return pvAccum16Y, &pvGroup16Y
	case isa == isaAVX512:
		return pvAccumZ, &pvGroupZ
	}
	return pvAccumY, &pvGroupY
}

// keyPtr points at K value i of the rows, float32 or bf16.
func (r *spanRows) keyPtr(i int) unsafe.Pointer {
	if r.bf16() {
		return unsafe.Pointer(&r.k16[i])
	}
	return unsafe.Pointer(&r.k[i])
}

// valuePtr points at V value i of the rows, float32 or bf16.
func (r *spanRows) valuePtr(i int) unsafe.Pointer {
	if r.bf16() {
		return unsafe.Pointer(&r.v16[i])
	}
	return unsafe.Pointer(&r.v[i])
}

// softmaxVec is softmax with the vector exp: e_i = exp(x_i − max), the sum in 16 lanes
// (lane l takes i ≡ l mod 16 in order) folded in the fixed tree, p_i = e_i / sum.
func softmaxVec(x []float32) {
	if len(x) == 0 {
		return
	}
	mx := float32(math.Inf(-1))
	for _, v := range x {
		if v > mx {
			mx = v
		}
	}
	tail := len(x) % 16
	a := smArgs{x: unsafe.Pointer(&x[0]), ymask: unsafe.Pointer(&laneMasks[16-tail]), n: len(x), kmask: 1<<tail - 1, max: mx}
	if isa == isaAVX512 {
		softmaxExpZ(&a)
	} else {
		softmaxExpY(&a)
	}
}
