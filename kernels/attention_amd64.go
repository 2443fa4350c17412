//go:build amd64 && !purego

package kernels

import (
	"math"
	"unsafe"
)

// pvBlock is the number of value rows per pvAccum call: the block stays in L2 while every
// head of the group and every column chunk passes over it.
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
// (each span's own K when it has one; bf16 keys go to the qkDots16 kernels).
func groupScores(qg, k []float32, spans []Span, s AttnShape, j, n int, sc []float32) {
	kw, tail := s.KVHeads*s.HeadDim, s.HeadDim%16
	d := dotArgs{
		q: unsafe.Pointer(&qg[0]), ymask: unsafe.Pointer(&laneMasks[16-tail]),
		hd: s.HeadDim, ldk: kw, ldsc: n, heads: s.Heads / s.KVHeads,
		kmask: 1<<tail - 1, scale: float32(1 / math.Sqrt(float64(s.HeadDim))),
	}
	off := 0
	for i := range spans {
		sp := &spans[i]
		if sp.Hi == sp.Lo {
			continue
		}
		rs, at := sp.rows(k, nil), sp.Lo*kw+j*s.HeadDim
		d.sc, d.rows = unsafe.Pointer(&sc[off]), sp.Hi-sp.Lo
		switch {
		case rs.bf16() && isa == isaAVX512:
			d.k = unsafe.Pointer(&rs.k16[at])
			qkDots16Z(&d)
		case rs.bf16():
			d.k = unsafe.Pointer(&rs.k16[at])
			qkDots16Y(&d)
		case isa == isaAVX512:
			d.k = unsafe.Pointer(&rs.k[at])
			qkDotsZ(&d)
		default:
			d.k = unsafe.Pointer(&rs.k[at])
			qkDotsY(&d)
		}
		off += d.rows
	}
}

// groupValues adds Σ_i p[h*n+i]·v_i to each head h of o, rows in span order (each span's own
// V when it has one; bf16 values go to the pvAccum16 kernels).
func groupValues(o, v []float32, spans []Span, s AttnShape, j, n int, p []float32) {
	vw := s.KVHeads * s.VDim
	a := pvArgs{
		o: unsafe.Pointer(&o[0]), ymask: unsafe.Pointer(&laneMasks[16-s.VDim%8]),
		vd: s.VDim, ldv: vw, ldp: n, heads: s.Heads / s.KVHeads, kmask: 1<<(s.VDim%16) - 1,
	}
	off := 0
	for i := range spans {
		sp := &spans[i]
		rs := sp.rows(nil, v)
		for lo := sp.Lo; lo < sp.Hi; lo += pvBlock {
			at := lo*vw + j*s.VDim
			a.rows, a.p = min(pvBlock, sp.Hi-lo), unsafe.Pointer(&p[off])
			switch {
			case rs.bf16() && isa == isaAVX512:
				a.v = unsafe.Pointer(&rs.v16[at])
				pvAccum16Z(&a)
			case rs.bf16():
				a.v = unsafe.Pointer(&rs.v16[at])
				pvAccum16Y(&a)
			case isa == isaAVX512:
				a.v = unsafe.Pointer(&rs.v[at])
				pvAccumZ(&a)
			default:
				a.v = unsafe.Pointer(&rs.v[at])
				pvAccumY(&a)
			}
			off += a.rows
		}
	}
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
