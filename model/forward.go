package model

import (
	"fmt"

	"github.com/hymbaserve/hymbaserve/kernels"
)

// Layout says where each segment's rows sit in a step's stacked rows.
type Layout struct {
	Segs []SegRows
	Rows int
}

// SegRows is one segment's rows: Meta meta rows (0 or M) then Text text rows at positions Pos...
type SegRows struct {
	Off, Meta, Text, Pos int
	Decode               bool
}

// Tracer receives intermediate values of a forward pass (for debugging and golden tests):
// what is one of "input", "attn_out", "ssm_out", "mixer_out", "mlp_out", "output", with rows×width values.
type Tracer func(layer int, what string, x []float32, rows, width int)

// Forward runs one step of segs through this model part's layers and returns the stacked output
// rows [rows, H]. A part that embeds takes tokens[i], the text token ids of segment i; any other
// part takes x, the previous stage's output rows. On success every segment's state advances
// (Pos += Text, Started, Decoding after LastPrompt); on error no state has changed unless the
// error comes from inside a layer, which only a bug can cause.
func (m *Model) Forward(segs []Segment, tokens [][]int, x []float32) ([]float32, Layout, error) {
	lay, err := m.layout(segs)
	if err != nil {
		return nil, lay, err
	}
	if m.HasEmbed() {
		if x, err = m.embed(lay, tokens); err != nil {
			return nil, lay, err
		}
	} else if len(x) != lay.Rows*m.dims.H {
		return nil, lay, fmt.Errorf("model: step has %d input values, want %d rows × %d", len(x), lay.Rows, m.dims.H)
	}
	sc := newScratch(m.dims, lay.Rows)
	for _, l := range m.Layers {
		m.layerForward(l, segs, lay, x, sc)
	}
	for i := range segs {
		s := segs[i].Seq
		s.Pos += segs[i].Text
		s.Started = true
		s.Decoding = s.Decoding || segs[i].LastPrompt
	}
	return x, lay, nil
}

func (m *Model) layout(segs []Segment) (Layout, error) {
	rows, err := m.checkSegments(segs)
	if err != nil {
		return Layout{}, err
	}
	lay := Layout{Rows: rows}
	off := 0
	for _, g := range segs {
		r := SegRows{Off: off, Text: g.Text, Pos: g.Seq.Pos, Decode: g.Seq.Decoding}
		if !g.Seq.Started {
			r.Meta = m.dims.M
		}
		lay.Segs = append(lay.Segs, r)
		off += r.Meta + r.Text
	}
	return lay, nil
}

// embed builds the input rows: meta token rows, then the embeddings of the text tokens.
func (m *Model) embed(lay Layout, tokens [][]int) ([]float32, error) {
	if len(tokens) != len(lay.Segs) {
		return nil, fmt.Errorf("model: %d token lists for %d segments", len(tokens), len(lay.Segs))
	}
	H := m.dims.H
	x := make([]float32, lay.Rows*H)
	for i, g := range lay.Segs {
		if len(tokens[i]) != g.Text {
			return nil, fmt.Errorf("model: segment %d has %d tokens for %d text rows", i, len(tokens[i]), g.Text)
		}
		copy(x[g.Off*H:], m.Meta[:g.Meta*H])
		for t, id := range tokens[i] {
			if id < 0 || id >= m.dims.V {
				return nil, fmt.Errorf("model: token id %d out of range [0,%d)", id, m.dims.V)
			}
			r := g.Off + g.Meta + t
			m.Embed.Row(x[r*H:(r+1)*H], id)
		}
	}
	return x, nil
}

// Logits applies the final norm and the tied head to the last text row of every segment, or to
// every text row when all is set. Returns [n, V] and the row count n.
func (m *Model) Logits(lay Layout, x []float32, all bool) ([]float32, int) {
	return m.LogitsFor(lay, x, func(int) bool { return all })
}

// LogitsFor is Logits with the choice per segment: every text row of segment i when all(i),
// else its last text row; a segment without text rows yields none.
func (m *Model) LogitsFor(lay Layout, x []float32, all func(seg int) bool) ([]float32, int) {
	H := m.dims.H
	var sel []float32
	for i, g := range lay.Segs {
		if g.Text == 0 {
			continue
		}
		end := g.Off + g.Meta + g.Text
		first := end - 1
		if all(i) {
			first = g.Off + g.Meta
		}
		sel = append(sel, x[first*H:end*H]...)
	}
	n := len(sel) / H
	kernels.RMSNorm(sel, sel, m.FinalNorm, m.dims.eps)
	logits := make([]float32, n*m.dims.V)
	kernels.MatMul(logits, sel, n, m.Embed)
	return logits, n
}
