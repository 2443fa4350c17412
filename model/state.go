package model

import (
	"fmt"
	"slices"
)

// SeqState is what one model part keeps for one sequence: a KV cache for each KV-owning layer it
// runs, and the conv and SSM state of each layer. A pipeline stage keeps one per sequence it
// serves; Pos counts the text tokens the sequence has been fed so far. The K/V rows live on
// pages of the part's pool: whoever drops a state must call Release, or its pages stay counted
// as in use.
type SeqState struct {
	ID       uint64
	Pos      int              // text tokens processed
	Started  bool             // the meta tokens have been fed
	Decoding bool             // the prompt is complete: further rows are decode steps (window W, not W+1)
	released bool             // Release was called: the state may not run again
	kv       map[int]*kvCache // by owning layer
	conv     [][]float32      // [layer-First][D*K]
	ssm      [][]float32      // [layer-First][D*N]
}

// NewSeq returns an empty state for a new sequence on this model part.
func (m *Model) NewSeq(id uint64) *SeqState {
	d, pg := m.dims, m.pager()
	s := &SeqState{ID: id, kv: map[int]*kvCache{}}
	for _, l := range m.Layers {
		s.conv = append(s.conv, make([]float32, d.D*d.K))
		s.ssm = append(s.ssm, make([]float32, d.D*d.N))
		if l.OwnsKV {
			s.kv[l.Index] = newKVCache(pg, d.kw, d.vw)
		}
	}
	return s
}

// Release returns the state's K/V pages to the pool (pages others share stay with them). The
// state holds no K/V rows afterwards and may not run another step; releasing it again does
// nothing.
func (s *SeqState) Release() {
	for _, c := range s.kv {
		c.release()
	}
	s.released = true
}

// Bytes is the memory the state holds alone: the K/V pages no other sequence (or the part's
// shared meta pages) references, and the conv and SSM state.
func (s *SeqState) Bytes() int64 {
	var n int64
	for _, c := range s.kv {
		n += c.bytes()
	}
	return n + s.stateBytes()
}

// stateBytes is the memory of the conv and SSM state (float32 whatever the K/V dtype).
func (s *SeqState) stateBytes() int64 {
	var n int64
	for i := range s.conv {
		n += int64(len(s.conv[i])+len(s.ssm[i])) * 4
	}
	return n
}

// Segment is one sequence's part of a step: Text text rows at positions Pos.., preceded by the M
// meta rows when the sequence has not started. Decode marks a generated token (one row, window W).
type Segment struct {
	Seq        *SeqState
	Text       int  // text rows
	LastPrompt bool // this segment completes the prompt; later segments are decode steps
}

// rows is the number of stacked rows the segment contributes.
func (g *Segment) rows(m int) int {
	if g.Seq.Started {
		return g.Text
	}
	return m + g.Text
}

func (m *Model) checkSegments(segs []Segment) (rows int, err error) {
	seen := map[*SeqState]bool{}
	for i := range segs {
		g := &segs[i]
		switch {
		case g.Seq == nil:
			return 0, fmt.Errorf("model: segment %d has no sequence state", i)
		case g.Seq.released:
			return 0, fmt.Errorf("model: sequence %d: its state was released", g.Seq.ID)
		case seen[g.Seq]:
			return 0, fmt.Errorf("model: sequence %d appears twice in one step", g.Seq.ID)
		case g.Text < 0 || (g.Text == 0 && g.Seq.Started):
			return 0, fmt.Errorf("model: sequence %d: segment with %d text rows", g.Seq.ID, g.Text)
		case g.Seq.Decoding && g.Text != 1:
			return 0, fmt.Errorf("model: sequence %d: a decode step takes 1 row, got %d", g.Seq.ID, g.Text)
		case len(g.Seq.conv) != len(m.Layers):
			return 0, fmt.Errorf("model: sequence %d: state is for another model part", g.Seq.ID)
		}
		seen[g.Seq] = true
		rows += g.rows(m.dims.M)
	}
	return rows, nil
}

// Clone returns an independent copy of the state under a new id (a forked sequence, e.g. to
// start many sequences from one prefilled prefix). The copy references the K/V pages of s
// (a shared page is copied when either appends to it); conv and SSM state are copied.
func (s *SeqState) Clone(id uint64) *SeqState {
	c := &SeqState{ID: id, Pos: s.Pos, Started: s.Started, Decoding: s.Decoding, released: s.released, kv: map[int]*kvCache{}}
	for l, kv := range s.kv {
		c.kv[l] = kv.clone()
	}
	for i := range s.conv {
		c.conv = append(c.conv, slices.Clone(s.conv[i]))
		c.ssm = append(c.ssm, slices.Clone(s.ssm[i]))
	}
	return c
}
