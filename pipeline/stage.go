package pipeline

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/hymbaserve/hymbaserve/model"
	"github.com/hymbaserve/hymbaserve/wire"
)

// Stage is one pipeline stage: a model part and the state of the sequences it serves. It is not
// safe for concurrent use; a worker feeds it one step at a time.
type Stage struct {
	M     *model.Model
	Epoch uint64 // plan epoch this stage serves; steps of other epochs are refused
	seqs  map[uint64]*model.SeqState
	snaps map[snapKey]*model.SeqState // prefix snapshots
}

// NewStage returns a stage over m for plan epoch epoch.
func NewStage(m *model.Model, epoch uint64) *Stage {
	return &Stage{M: m, Epoch: epoch, seqs: map[uint64]*model.SeqState{}}
}

// Seqs is the number of sequences holding state, and Bytes the memory they hold.
func (s *Stage) Seqs() (n int, bytes int64) {
	for _, st := range s.seqs {
		bytes += st.Bytes()
	}
	return len(s.seqs), bytes
}

// Handle runs in through the stage's layers and returns the frame for the next hop: hidden rows,
// or logits from the last stage. An error leaves every sequence's state as it was, except for a
// failure inside the model, which only a bug can cause.
func (s *Stage) Handle(in *wire.Step) (*wire.Step, error) {
	if err := s.check(in); err != nil {
		return nil, err
	}
	segs, toks, err := s.segments(in)
	if err != nil {
		return nil, err
	}
	var x []float32
	if !s.M.HasEmbed() {
		x = in.F32
	}
	var out []float32
	var lay model.Layout
	if len(segs) > 0 {
		if out, lay, err = s.M.Forward(segs, toks, x); err != nil {
			return nil, &wire.ErrorFrame{Code: wire.CodeMalformed, Message: err.Error()}
		}
	}
	next := &wire.Step{Kind: wire.KindHidden, Epoch: in.Epoch, StepID: in.StepID, Replica: in.Replica,
		Hop: in.Hop + 1, Segments: append([]wire.Segment(nil), in.Segments...), DType: wire.F32, Width: s.M.Cfg.HiddenSize}
	if s.M.HasHead() {
		s.logits(next, in, lay, out)
	} else {
		s.hidden(next, in, lay, out)
	}
	s.release(in)
	return next, nil
}

func (s *Stage) check(in *wire.Step) error {
	want := wire.KindHidden
	if s.M.HasEmbed() {
		want = wire.KindTokens
	}
	switch {
	case in.Epoch != s.Epoch:
		return &wire.ErrorFrame{Code: wire.CodeStaleEpoch, Message: fmt.Sprintf("step of plan epoch %d, stage serves epoch %d", in.Epoch, s.Epoch)}
	case in.Kind != want:
		return &wire.ErrorFrame{Code: wire.CodeMalformed, Message: fmt.Sprintf("stage of layers [%d,%d) takes %s frames, got %s", s.M.First, s.M.Last, want, in.Kind)}
	case in.Kind == wire.KindHidden && (in.DType != wire.F32 || in.Width != s.M.Cfg.HiddenSize):
		return &wire.ErrorFrame{Code: wire.CodeMalformed, Message: fmt.Sprintf("hidden frame %s×%d, want F32×%d", in.DType, in.Width, s.M.Cfg.HiddenSize)}
	}
	return nil
}

// segments maps the frame's segments to model segments, creating the state of new sequences.
// Nothing is created unless every segment checks out.
func (s *Stage) segments(in *wire.Step) ([]model.Segment, [][]int, error) {
	M := s.M.Cfg.NumMemoryTokens
	var segs []model.Segment
	var toks [][]int
	fresh := map[uint64]*model.SeqState{}
	row := 0
	for _, g := range in.Segments {
		rows := int(g.Rows)
		if rows == 0 {
			continue // a release-only segment
		}
		st, err := s.state(g, fresh)
		if err != nil {
			return nil, nil, err
		}
		text := rows
		if g.Flags&wire.SegFirst != 0 && in.Kind == wire.KindHidden {
			text -= M // hidden rows of a first chunk include the meta rows
		}
		if text < 0 {
			return nil, nil, &wire.ErrorFrame{Code: wire.CodeMalformed, Message: fmt.Sprintf("sequence %d: first chunk of %d rows is shorter than the %d meta rows", g.Seq, rows, M)}
		}
		segs = append(segs, model.Segment{Seq: st, Text: text, LastPrompt: g.Flags&wire.SegPromptEnd != 0})
		if in.Kind == wire.KindTokens {
			toks = append(toks, int32s(in.I32[row:row+rows]))
		}
		row += rows
	}
	for id, st := range fresh {
		if old, ok := s.seqs[id]; ok {
			old.Release() // a resent first chunk replaces an earlier attempt
		}
		s.seqs[id] = st
	}
	return segs, toks, nil
}

// state finds or (for a first chunk) prepares the state of segment g's sequence.
func (s *Stage) state(g wire.Segment, fresh map[uint64]*model.SeqState) (*model.SeqState, error) {
	if g.Flags&wire.SegFirst != 0 {
		st := s.M.NewSeq(g.Seq) // a resent first chunk replaces a previous attempt
		fresh[g.Seq] = st
		return st, nil
	}
	st, ok := s.seqs[g.Seq]
	switch {
	case !ok:
		return nil, &wire.ErrorFrame{Code: wire.CodeUnknownSequence, Message: fmt.Sprintf("sequence %d has no state on this stage", g.Seq)}
	case st.Pos != int(g.Start):
		return nil, &wire.ErrorFrame{Code: wire.CodeUnknownSequence, Message: fmt.Sprintf("sequence %d is at position %d, step says %d", g.Seq, st.Pos, g.Start)}
	}
	return st, nil
}

func int32s(v []int32) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// hidden fills next with this stage's output rows.
func (s *Stage) hidden(next, in *wire.Step, lay model.Layout, out []float32) {
	next.F32, next.Rows = out, lay.Rows
	i := 0
	for k := range next.Segments {
		g := &next.Segments[k]
		if g.Rows == 0 {
			continue
		}
		l := lay.Segs[i]
		g.Rows = uint32(l.Meta + l.Text)
		i++
	}
}

// logits fills next with the logits of each segment's last row (every row under AllLogits).
func (s *Stage) logits(next, in *wire.Step, lay model.Layout, out []float32) {
	next.Kind, next.Width = wire.KindLogits, s.M.Cfg.VocabSize
	var segIdx []int // model segment → frame segment
	for k, g := range in.Segments {
		if g.Rows > 0 {
			segIdx = append(segIdx, k)
		}
	}
	for k := range next.Segments {
		next.Segments[k].Rows = 0
	}
	if len(segIdx) == 0 {
		return
	}
	all := func(i int) bool { return in.Segments[segIdx[i]].Flags&wire.SegAllLogits != 0 }
	next.F32, next.Rows = s.M.LogitsFor(lay, out, all)
	for i, l := range lay.Segs {
		n := min(l.Text, 1)
		if all(i) {
			n = l.Text
		}
		next.Segments[segIdx[i]].Rows = uint32(n)
	}
}

// release drops the state of segments flagged Release.
func (s *Stage) release(in *wire.Step) {
	for _, g := range in.Segments {
		if g.Flags&wire.SegRelease != 0 {
			s.drop(g.Seq)
		}
	}
}

// drop releases a sequence's state (its pages go back to the pool).
func (s *Stage) drop(id uint64) {
	if st, ok := s.seqs[id]; ok {
		st.Release()
		delete(s.seqs, id)
	}
}

// Reset drops every sequence's state and every prefix snapshot (the model and its meta-token
// state stay).
func (s *Stage) Reset() {
	for id := range s.seqs {
		s.drop(id)
	}
	for k, st := range s.snaps {
		st.Release()
		delete(s.snaps, k)
	}
}

// Export encodes the state of the given sequences for layers [first, last) of this stage:
// u32 count, then per sequence u32 length + model.SeqExport bytes. Only the first sequence
// carries the meta rows (the importer shares them). A sequence without state here is left out:
// it finished (and was released) while the migration ran, or never took its first step.
func (s *Stage) Export(ids []uint64, first, last int) ([]byte, error) {
	b := binary.LittleEndian.AppendUint32(nil, 0)
	n := 0
	for _, id := range ids {
		st, ok := s.seqs[id]
		if !ok {
			continue
		}
		n++
		e, err := s.M.ExportSeq(st, first, last)
		if err != nil {
			return nil, err
		}
		if len(b) > 4 {
			s.M.OmitMeta(e) // the batch's first sequence carries the meta rows for all
		}
		eb, _ := e.MarshalBinary()
		b = binary.LittleEndian.AppendUint32(b, uint32(len(eb)))
		b = append(b, eb...)
	}
	binary.LittleEndian.PutUint32(b, uint32(n))
	return b, nil
}

// Import adds the states Export encoded (from another stage) to this stage's sequences.
func (s *Stage) Import(b []byte) (int, error) {
	if len(b) < 4 {
		return 0, errors.New("import: truncated")
	}
	n := int(binary.LittleEndian.Uint32(b))
	b = b[4:]
	var exports []*model.SeqExport
	for i := 0; i < n; i++ {
		if len(b) < 4 || int(binary.LittleEndian.Uint32(b)) > len(b)-4 {
			return 0, fmt.Errorf("import: sequence %d of %d truncated", i, n)
		}
		l := int(binary.LittleEndian.Uint32(b))
		e := &model.SeqExport{}
		if err := e.UnmarshalBinary(b[4 : 4+l]); err != nil {
			return 0, fmt.Errorf("import: sequence %d of %d: %w", i, n, err)
		}
		exports = append(exports, e)
		b = b[4+l:]
	}
	for _, e := range exports {
		st, ok := s.seqs[e.ID]
		if !ok {
			st = s.M.NewSeq(e.ID)
		}
		if err := s.M.ImportSeq(st, e); err != nil {
			return 0, err
		}
		s.seqs[e.ID] = st
	}
	return len(exports), nil
}

// Graft copies layers [first, last) of the given sequences from another stage of this worker
// (its layers before a plan change) into this one.
func (s *Stage) Graft(from *Stage, ids []uint64, first, last int) error {
	b, err := from.Export(ids, first, last)
	if err != nil {
		return err
	}
	_, err = s.Import(b)
	return err
}

// snapKey names a prefix snapshot: sequence seq's state after pos text tokens.
type snapKey struct {
	seq uint64
	pos int
}

// Snapshot keeps a copy of sequence seq's state as it is now (a prompt prefix other sequences
// may start from).
func (s *Stage) Snapshot(seq uint64) error {
	st, ok := s.seqs[seq]
	if !ok {
		return fmt.Errorf("snapshot: sequence %d has no state on this stage", seq)
	}
	if s.snaps == nil {
		s.snaps = map[snapKey]*model.SeqState{}
	}
	k := snapKey{seq, st.Pos}
	if old, ok := s.snaps[k]; ok {
		old.Release()
	}
	s.snaps[k] = st.Clone(seq)
	return nil
}

// Fork starts sequence dst from the snapshot of src at pos.
func (s *Stage) Fork(src uint64, pos int, dst uint64) error {
	snap, ok := s.snaps[snapKey{src, pos}]
	if !ok {
		return fmt.Errorf("fork: no snapshot of sequence %d at %d on this stage", src, pos)
	}
	s.drop(dst)
	s.seqs[dst] = snap.Clone(dst)
	return nil
}

// DropSnapshots forgets every prefix snapshot: a new plan epoch (the coordinator's prefix cache
// starts empty with every plan, so no snapshot of an earlier one is ever used or dropped).
func (s *Stage) DropSnapshots() {
	for k, st := range s.snaps {
		st.Release()
		delete(s.snaps, k)
	}
}

// DropSnapshot forgets the snapshot of src at pos.
func (s *Stage) DropSnapshot(src uint64, pos int) {
	if st, ok := s.snaps[snapKey{src, pos}]; ok {
		st.Release()
		delete(s.snaps, snapKey{src, pos})
	}
}
