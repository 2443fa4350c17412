package model

import "github.com/hymbaserve/hymbaserve/kernels"

// ssm runs the Mamba branch of layer l into s.y [R, D]: causal conv → x_proj → inner norms →
// dt_proj → selective scan with D skip and the silu(z) gate.
func (m *Model) ssm(l *Layer, segs []Segment, lay Layout, s *scratch) {
	d, R := m.dims, lay.Rows
	li := l.Index - m.First
	for i, g := range lay.Segs {
		lo, n := g.Off*d.D, g.Meta+g.Text
		kernels.CausalConv(s.u[lo:], s.xs[lo:], segs[i].Seq.conv[li], l.ConvW, l.ConvB, n, d.D, d.K)
	}
	// ξ = u·x_projᵀ split into δr [R], B [N], C [N], each RMS-normed.   [R, D] → [R, R+2N]
	W := d.R + 2*d.N
	kernels.MatMul(s.xi, s.u, R, l.XProj)
	for r := range R {
		row := s.xi[r*W : (r+1)*W]
		kernels.RMSNorm(s.dtr[r*d.R:(r+1)*d.R], row[:d.R], l.DtNorm, d.eps)
		kernels.RMSNorm(s.b[r*d.N:(r+1)*d.N], row[d.R:d.R+d.N], l.BNorm, d.eps)
		kernels.RMSNorm(s.c[r*d.N:(r+1)*d.N], row[d.R+d.N:], l.CNorm, d.eps)
	}
	kernels.MatMul(s.dt, s.dtr, R, l.DtProj) // [R, Rk] → [R, D], bias added in the scan
	for i, g := range lay.Segs {
		lo, n := g.Off, g.Meta+g.Text
		kernels.SelectiveScan(s.y[lo*d.D:], s.u[lo*d.D:], s.dt[lo*d.D:], s.z[lo*d.D:],
			s.b[lo*d.N:], s.c[lo*d.N:], l.A, l.DtBias, l.Dskip, segs[i].Seq.ssm[li], n, d.D, d.N)
	}
}
