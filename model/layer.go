package model

import (
	"github.com/hymbaserve/hymbaserve/kernels"
)

// scratch holds a step's intermediate buffers, reused by every layer. R = stacked rows.
type scratch struct {
	h     []float32 // [R, H] normed input
	p     []float32 // [R, P] in_proj output, P ≤ H + kw + vw + 2D
	q     []float32 // [R, H]
	k, v  []float32 // [R, kw], [R, vw]
	xs    []float32 // [R, D] SSM input
	z     []float32 // [R, D] gate
	attn  []float32 // [R, D] attention output
	u     []float32 // [R, D] conv output
	xi    []float32 // [R, R+2N] x_proj output
	dtr   []float32 // [R, Rk] Δ low-rank
	b, c  []float32 // [R, N]
	dt    []float32 // [R, D]
	y     []float32 // [R, D] SSM output
	mix   []float32 // [R, H]
	g, up []float32 // [R, I]
}

func newScratch(d dims, rows int) *scratch {
	f := func(w int) []float32 { return make([]float32, rows*w) }
	return &scratch{
		h: f(d.H), p: f(d.H + d.kw + d.vw + 2*d.D), q: f(d.H), k: f(d.kw), v: f(d.vw),
		xs: f(d.D), z: f(d.D), attn: f(d.D), u: f(d.D), xi: f(d.R + 2*d.N), dtr: f(d.R),
		b: f(d.N), c: f(d.N), dt: f(d.D), y: f(d.D), mix: f(d.H), g: f(d.I), up: f(d.I),
	}
}

// layerForward runs decoder layer l on the stacked rows x [R, H] in place:
//
//	x += Mixer(RMSNorm(x));  x += MLP(RMSNorm(x))
func (m *Model) layerForward(l *Layer, segs []Segment, lay Layout, x []float32, s *scratch) {
	d, R := m.dims, lay.Rows
	m.trace(l.Index, "input", x, R, d.H)
	kernels.RMSNorm(s.h[:R*d.H], x, l.InputNorm, d.eps)
	m.project(l, lay, s)
	m.attention(l, segs, lay, s)
	m.ssm(l, segs, lay, s)
	m.trace(l.Index, "attn_out", s.attn, R, d.D)
	m.trace(l.Index, "ssm_out", s.y, R, d.D)

	// Fusion: (RMSNorm₁(A) + RMSNorm₂(S)) / 2, then out_proj.   [R, D] → [R, H]
	kernels.RMSNorm(s.attn[:R*d.D], s.attn[:R*d.D], l.AttnNorm, d.eps)
	kernels.RMSNorm(s.y[:R*d.D], s.y[:R*d.D], l.SSMNorm, d.eps)
	for i := range R * d.D {
		s.attn[i] = (s.attn[i] + s.y[i]) / 2
	}
	kernels.MatMul(s.mix, s.attn, R, l.OutProj)
	m.trace(l.Index, "mixer_out", s.mix, R, d.H)
	add(x, s.mix[:R*d.H])

	// MLP: down(silu(gate h) ⊙ up h).   [R, H] → [R, I] → [R, H]
	kernels.RMSNorm(s.h[:R*d.H], x, l.MLPNorm, d.eps)
	kernels.MatMul(s.g, s.h, R, l.Gate)
	kernels.MatMul(s.up, s.h, R, l.Up)
	kernels.SwiGLU(s.g[:R*d.I], s.g[:R*d.I], s.up[:R*d.I])
	kernels.MatMul(s.mix, s.g, R, l.Down)
	m.trace(l.Index, "mlp_out", s.mix, R, d.H)
	add(x, s.mix[:R*d.H])
	m.trace(l.Index, "output", x, R, d.H)
}

// project computes P = h·in_projᵀ and splits each row into q, k, v (owners only), x and z, with
// RoPE applied to q and k at each row's position.
func (m *Model) project(l *Layer, lay Layout, s *scratch) {
	d, R := m.dims, lay.Rows
	P := l.InProj.Rows
	kernels.MatMul(s.p, s.h, R, l.InProj)
	for r := range R {
		row := s.p[r*P : (r+1)*P]
		copy(s.q[r*d.H:(r+1)*d.H], row)
		o := d.H
		if l.OwnsKV {
			copy(s.k[r*d.kw:(r+1)*d.kw], row[o:o+d.kw])
			copy(s.v[r*d.vw:(r+1)*d.vw], row[o+d.kw:o+d.kw+d.vw])
			o += d.kw + d.vw
		}
		copy(s.xs[r*d.D:(r+1)*d.D], row[o:o+d.D])
		copy(s.z[r*d.D:(r+1)*d.D], row[o+d.D:o+2*d.D])
	}
	for _, g := range lay.Segs {
		for i := range g.Meta + g.Text {
			r, pos := g.Off+i, i
			if i >= g.Meta {
				pos = d.M + g.Pos + i - g.Meta
			}
			kernels.RoPE(s.q[r*d.H:(r+1)*d.H], d.heads, d.hd, pos, m.invFreq)
			if l.OwnsKV {
				kernels.RoPE(s.k[r*d.kw:(r+1)*d.kw], d.kvHeads, d.hd, pos, m.invFreq)
			}
		}
	}
}

func add(x, y []float32) {
	for i, v := range y {
		x[i] += v
	}
}

func (m *Model) trace(layer int, what string, x []float32, rows, width int) {
	if m.Tracer != nil {
		m.Tracer(layer, what, x[:rows*width], rows, width)
	}
}
