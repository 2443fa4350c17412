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
//
// A new sequence's rows start with the M meta rows, in the input and in the output. The meta
// rows are the same for every sequence, so the part computes them once (see metaTemplate) and
// starts new sequences from that state: their meta rows cost nothing after the first, and the
// result is bit-identical to computing them (chunked prefill equals whole prefill).
//
// The K/V rows go to pages of the part's pool. Before anything changes, the step reserves every
// page it will take; when the pool's budget has no room the error wraps kvshare.ErrExhausted and
// no state has changed. Steps of one part run one at a time.
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
	done, err := m.reserveStep(segs, lay)
	if err != nil {
		return nil, lay, err
	}
	defer done()
	first := -1
	for i, g := range lay.Segs {
		if g.Meta > 0 {
			first = i
			break
		}
	}
	if first < 0 {
		m.forwardLayers(segs, lay, x)
		return x, lay, nil
	}
	out, err := m.forwardFromMeta(segs, lay, x, first)
	return out, lay, err
}

// forwardFromMeta runs a step in which some sequences are new: they start from the meta
// template, only text rows run through the layers, and the template's output fills their meta
// rows of the result.
func (m *Model) forwardFromMeta(segs []Segment, lay Layout, x []float32, first int) ([]float32, error) {
	H, M := m.dims.H, m.dims.M
	g0 := lay.Segs[first]
	tmpl, metaOut := m.metaTemplate(x[g0.Off*H : (g0.Off+M)*H])
	for i, g := range lay.Segs {
		if g.Meta > 0 {
			*segs[i].Seq = *tmpl.Clone(segs[i].Seq.ID)
		}
	}
	inner, err := m.layout(segs)
	if err != nil {
		return nil, err
	}
	xi := make([]float32, 0, inner.Rows*H)
	for _, g := range lay.Segs {
		xi = append(xi, x[(g.Off+g.Meta)*H:(g.Off+g.Meta+g.Text)*H]...)
	}
	m.forwardLayers(segs, inner, xi)
	out := make([]float32, lay.Rows*H)
	for i, g := range lay.Segs {
		copy(out[g.Off*H:], metaOut[:g.Meta*H])
		in := inner.Segs[i]
		copy(out[(g.Off+g.Meta)*H:], xi[in.Off*H:(in.Off+in.Text)*H])
	}
	return out, nil
}

// metaTemplate returns the state of a sequence that has been fed only the meta tokens, and the
// meta rows' output [M, H], computing them on first use from metaIn, the meta rows' input
// (identical for every sequence: the meta embeddings, or an upstream part's meta output).
func (m *Model) metaTemplate(metaIn []float32) (*SeqState, []float32) {
	m.metaMu.Lock()
	defer m.metaMu.Unlock()
	if m.metaState == nil {
		st := m.NewSeq(0)
		x := append([]float32(nil), metaIn...)
		segs := []Segment{{Seq: st}}
		lay := Layout{Segs: []SegRows{{Meta: m.dims.M}}, Rows: m.dims.M}
		m.forwardLayers(segs, lay, x)
		m.shareMeta(st)
		m.metaState, m.metaOut = st, x
	}
	return m.metaState, m.metaOut
}

// forwardLayers runs every layer of the part over the rows of lay and advances the states.
func (m *Model) forwardLayers(segs []Segment, lay Layout, x []float32) {
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
