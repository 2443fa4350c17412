package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// SeqExport is one sequence's state for a range of layers, as it moves between workers: the
// conv and SSM state of each layer and the K/V rows (meta rows, then the held text rows) of
// each KV-owning layer. Together with the sequence's position it is everything a stage needs to
// continue the sequence exactly.
type SeqExport struct {
	ID                uint64
	Pos               int
	Started, Decoding bool
	Layers            []LayerExport
}

// LayerExport is one layer's part of a SeqExport.
type LayerExport struct {
	Layer     int
	Conv, SSM []float32
	// KV rows, owning layers only: Meta meta rows, then N text rows at positions Start…
	HasKV          bool
	Meta, Start, N int
	K, V           []float32
}

// ExportSeq copies s's state for layers [first, last) of this part.
func (m *Model) ExportSeq(s *SeqState, first, last int) (*SeqExport, error) {
	if first < m.First || last > m.Last || first >= last {
		return nil, fmt.Errorf("model: export of layers [%d,%d) from a part holding [%d,%d)", first, last, m.First, m.Last)
	}
	e := &SeqExport{ID: s.ID, Pos: s.Pos, Started: s.Started, Decoding: s.Decoding}
	for l := first; l < last; l++ {
		li := l - m.First
		le := LayerExport{Layer: l, Conv: append([]float32(nil), s.conv[li]...), SSM: append([]float32(nil), s.ssm[li]...)}
		if c, ok := s.kv[l]; ok {
			le.HasKV, le.Meta, le.Start, le.N = true, c.m, c.start, c.n
			le.K, le.V = c.rows(c.k, c.kw), c.rows(c.v, c.vw)
		}
		e.Layers = append(e.Layers, le)
	}
	return e, nil
}

// rows returns the meta rows then the held text rows of buf (k or v), in position order.
func (c *kvCache) rows(buf []float32, w int) []float32 {
	out := make([]float32, 0, (c.m+c.n)*w)
	out = append(out, buf[:c.m*w]...)
	for p := c.start; p < c.start+c.n; p++ {
		s := c.slot(p)
		out = append(out, buf[s*w:(s+1)*w]...)
	}
	return out
}

// ImportSeq writes e's layers into s, a state of this part for the same sequence (a new one
// takes e's position). Every layer must belong to the part and agree with s's position.
func (m *Model) ImportSeq(s *SeqState, e *SeqExport) error {
	if s.Started && (s.Pos != e.Pos || s.Decoding != e.Decoding) {
		return fmt.Errorf("model: sequence %d is at %d, the import at %d", s.ID, s.Pos, e.Pos)
	}
	d := m.dims
	for _, le := range e.Layers {
		if err := m.checkLayerExport(le); err != nil {
			return fmt.Errorf("model: import of sequence %d: %w", e.ID, err)
		}
	}
	for _, le := range e.Layers {
		li := le.Layer - m.First
		copy(s.conv[li], le.Conv)
		copy(s.ssm[li], le.SSM)
		if le.HasKV {
			c := newKVCache(d.M, d.kw, d.vw)
			c.k = append(make([]float32, 0, len(le.K)), le.K...)
			c.v = append(make([]float32, 0, len(le.V)), le.V...)
			c.m, c.cap, c.n, c.start = le.Meta, le.N, le.N, le.Start
			s.kv[le.Layer] = c
		}
	}
	s.Pos, s.Started, s.Decoding = e.Pos, e.Started, e.Decoding
	return nil
}

func (m *Model) checkLayerExport(le LayerExport) error {
	d := m.dims
	switch {
	case le.Layer < m.First || le.Layer >= m.Last:
		return fmt.Errorf("layer %d is not in this part [%d,%d)", le.Layer, m.First, m.Last)
	case len(le.Conv) != d.D*d.K || len(le.SSM) != d.D*d.N:
		return fmt.Errorf("layer %d: conv/SSM state of %d/%d values, want %d/%d", le.Layer, len(le.Conv), len(le.SSM), d.D*d.K, d.D*d.N)
	case le.HasKV != m.layer(le.Layer).OwnsKV:
		return fmt.Errorf("layer %d: K/V rows present=%v, the layer owns K/V=%v", le.Layer, le.HasKV, !le.HasKV)
	case le.HasKV && (le.Meta < 0 || le.Meta > d.M || le.N < 0 || le.Start < 0 ||
		len(le.K) != (le.Meta+le.N)*d.kw || len(le.V) != (le.Meta+le.N)*d.vw):
		return fmt.Errorf("layer %d: K/V rows do not match their counts", le.Layer)
	}
	return nil
}

// MarshalBinary encodes the export, little-endian:
//
//	u64 id, u32 pos, u8 flags (1 started, 2 decoding), u32 layers, then per layer:
//	u32 layer, u8 hasKV, u32 meta, u32 start, u32 n, then the float arrays conv, ssm, k, v,
//	each as u32 count + count float32.
func (e *SeqExport) MarshalBinary() ([]byte, error) {
	b := binary.LittleEndian.AppendUint64(nil, e.ID)
	b = binary.LittleEndian.AppendUint32(b, uint32(e.Pos))
	b = append(b, boolBit(e.Started)|boolBit(e.Decoding)<<1)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(e.Layers)))
	for _, l := range e.Layers {
		b = binary.LittleEndian.AppendUint32(b, uint32(l.Layer))
		b = append(b, boolBit(l.HasKV))
		for _, v := range []int{l.Meta, l.Start, l.N} {
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		}
		for _, f := range [][]float32{l.Conv, l.SSM, l.K, l.V} {
			b = appendFloats(b, f)
		}
	}
	return b, nil
}

func boolBit(v bool) byte {
	if v {
		return 1
	}
	return 0
}

func appendFloats(b []byte, f []float32) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(f)))
	for _, x := range f {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

var errShortExport = errors.New("model: sequence export truncated")

// UnmarshalBinary decodes MarshalBinary's output, checking every count against the data left.
func (e *SeqExport) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	e.ID = r.u64()
	e.Pos = int(r.u32())
	flags := r.byte()
	e.Started, e.Decoding = flags&1 != 0, flags&2 != 0
	n := int(r.u32())
	if r.err == nil && n > len(r.b)/17 {
		return errShortExport
	}
	e.Layers = make([]LayerExport, 0, n)
	for range n {
		l := LayerExport{Layer: int(r.u32()), HasKV: r.byte() != 0}
		l.Meta, l.Start, l.N = int(r.u32()), int(r.u32()), int(r.u32())
		l.Conv, l.SSM, l.K, l.V = r.floats(), r.floats(), r.floats(), r.floats()
		e.Layers = append(e.Layers, l)
	}
	if r.err == nil && len(r.b) != 0 {
		return fmt.Errorf("model: %d bytes after the sequence export", len(r.b))
	}
	return r.err
}

// reader reads little-endian values and remembers the first shortfall.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = errShortExport
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *reader) byte() byte {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (r *reader) u32() uint32 {
	if p := r.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if p := r.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (r *reader) floats() []float32 {
	n := int(r.u32())
	p := r.take(4 * n)
	if p == nil {
		return nil
	}
	f := make([]float32, n)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
	}
	return f
}
