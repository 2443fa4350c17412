package pipeline

import (
	"errors"
	"slices"
	"testing"

	"github.com/hymbaserve/hymbaserve/model"
	"github.com/hymbaserve/hymbaserve/wire"
)

func tinySetup(t *testing.T) (*model.Config, model.Tensors) {
	t.Helper()
	cfg, err := model.LoadConfig("../testdata/golden/tiny-hymba")
	if err != nil {
		t.Fatal(err)
	}
	return cfg, model.RandomTensors(cfg, 5, true)
}

func stages(t *testing.T, cfg *model.Config, src model.Tensors, cuts ...int) []*Stage {
	var out []*Stage
	for i := 0; i+1 < len(cuts); i++ {
		m, err := model.New(cfg, src, model.LoadOptions{First: cuts[i], Last: cuts[i+1]})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, NewStage(m, 7))
	}
	return out
}

// run sends a tokens step through the stages, encoding and decoding every frame on the way.
func run(t *testing.T, ss []*Stage, in *wire.Step) *wire.Step {
	t.Helper()
	for _, s := range ss {
		b, err := wire.AppendStep(nil, in)
		if err != nil {
			t.Fatal(err)
		}
		if in, err = wire.DecodeStep(b); err != nil {
			t.Fatal(err)
		}
		if in, err = s.Handle(in); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

func tokensStep(segs []wire.Segment, toks []int32) *wire.Step {
	return &wire.Step{Kind: wire.KindTokens, Epoch: 7, StepID: 1, Segments: segs, DType: wire.I32,
		Rows: len(toks), Width: 1, I32: toks}
}

// TestStagesEqualWholeModel runs two sequences through 1, 2 and 3 stages, prefill then decode,
// and compares the logits bit for bit with one whole model.
func TestStagesEqualWholeModel(t *testing.T) {
	cfg, src := tinySetup(t)
	var ref [][]float32
	for _, cuts := range [][]int{{0, 8}, {0, 3, 8}, {0, 3, 7, 8}} {
		ss := stages(t, cfg, src, cuts...)
		a := []int32{1, 5, 9, 200, 17, 33, 41, 2, 9, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110}
		b := []int32{1, 300, 301}
		out := run(t, ss, tokensStep([]wire.Segment{
			{Seq: 1, Rows: uint32(len(a)), Flags: wire.SegFirst | wire.SegPromptEnd},
			{Seq: 2, Rows: uint32(len(b)), Flags: wire.SegFirst | wire.SegPromptEnd | wire.SegAllLogits},
		}, append(slices.Clone(a), b...)))
		got := [][]float32{out.F32}
		pa, pb := uint32(len(a)), uint32(len(b))
		for k := range 20 {
			out = run(t, ss, tokensStep([]wire.Segment{{Seq: 1, Start: pa, Rows: 1}, {Seq: 2, Start: pb, Rows: 1}},
				[]int32{int32(3 + k), int32(40 + k)}))
			got = append(got, out.F32)
			pa, pb = pa+1, pb+1
		}
		if ref == nil {
			ref = got
			continue
		}
		for k := range ref {
			if !slices.Equal(got[k], ref[k]) {
				t.Fatalf("cuts %v: step %d logits differ from the single stage", cuts, k)
			}
		}
	}
}

// TestStageRefusesBadSteps checks that stale epochs, unknown sequences, wrong positions and
// wrong kinds are refused with an error frame and change no state.
func TestStageRefusesBadSteps(t *testing.T) {
	cfg, src := tinySetup(t)
	ss := stages(t, cfg, src, 0, 3, 8)
	first := tokensStep([]wire.Segment{{Seq: 1, Rows: 2, Flags: wire.SegFirst | wire.SegPromptEnd}}, []int32{1, 7})
	run(t, ss, first)
	cases := map[string]struct {
		stage *Stage
		step  *wire.Step
		code  wire.Code
	}{
		"stale epoch":    {ss[0], &wire.Step{Kind: wire.KindTokens, Epoch: 6, Segments: []wire.Segment{{Seq: 1, Start: 2, Rows: 1}}, DType: wire.I32, Rows: 1, Width: 1, I32: []int32{5}}, wire.CodeStaleEpoch},
		"unknown seq":    {ss[0], tokensStep([]wire.Segment{{Seq: 9, Start: 4, Rows: 1}}, []int32{5}), wire.CodeUnknownSequence},
		"wrong position": {ss[0], tokensStep([]wire.Segment{{Seq: 1, Start: 3, Rows: 1}}, []int32{5}), wire.CodeUnknownSequence},
		"wrong kind":     {ss[1], tokensStep([]wire.Segment{{Seq: 1, Start: 2, Rows: 1}}, []int32{5}), wire.CodeMalformed},
		"bad token":      {ss[0], tokensStep([]wire.Segment{{Seq: 1, Start: 2, Rows: 1}}, []int32{100000}), wire.CodeMalformed},
	}
	for name, c := range cases {
		_, err := c.stage.Handle(c.step)
		var ef *wire.ErrorFrame
		if !errors.As(err, &ef) || ef.Code != c.code {
			t.Errorf("%s: error %v, want code %v", name, err, c.code)
		}
	}
	// The sequence is intact: the next decode step at position 2 still works on both stages.
	out := run(t, ss, tokensStep([]wire.Segment{{Seq: 1, Start: 2, Rows: 1, Flags: wire.SegRelease}}, []int32{5}))
	if out.Kind != wire.KindLogits || out.Rows != 1 {
		t.Fatalf("after refused steps: got %s with %d rows", out.Kind, out.Rows)
	}
	if n, _ := ss[0].Seqs(); n != 0 {
		t.Fatalf("release left %d sequences on stage 0", n)
	}
}

// TestExportBatchCarriesMetaOnce moves three sequences to a freshly loaded stage in one export:
// only the first carries the meta rows, the importer shares them, and decoding goes on with
// bit-identical logits on both stages.
func TestExportBatchCarriesMetaOnce(t *testing.T) {
	cfg, src := tinySetup(t)
	from, to := stages(t, cfg, src, 0, 8)[0], stages(t, cfg, src, 0, 8)[0]
	ids := []uint64{1, 2, 3}
	var toks []int32
	var segs []wire.Segment
	for _, id := range ids {
		segs = append(segs, wire.Segment{Seq: id, Rows: 20, Flags: wire.SegFirst | wire.SegPromptEnd})
		for i := range 20 {
			toks = append(toks, int32(3+i*int(id)))
		}
	}
	run(t, []*Stage{from}, tokensStep(segs, toks))
	one, err := from.Export(ids[:1], 0, 8)
	if err != nil {
		t.Fatal(err)
	}
	all, err := from.Export(append(ids, 99), 0, 8) // 99: released meanwhile, left out
	if err != nil {
		t.Fatal(err)
	}
	if len(all) >= 3*len(one) {
		t.Fatalf("3 sequences export to %d bytes, 1 to %d: the meta rows travel more than once", len(all), len(one))
	}
	if n, err := to.Import(all); err != nil || n != 3 {
		t.Fatalf("import: %d, %v", n, err)
	}
	step := func(s *Stage, k int) []float32 {
		var ds []wire.Segment
		var dt []int32
		for _, id := range ids {
			ds = append(ds, wire.Segment{Seq: id, Start: uint32(20 + k), Rows: 1})
			dt = append(dt, int32(100+k))
		}
		return run(t, []*Stage{s}, tokensStep(ds, dt)).F32
	}
	for k := range 10 {
		if !slices.Equal(step(from, k), step(to, k)) {
			t.Fatalf("decode step %d after the move: logits differ", k)
		}
	}
}
