package model

import (
	"slices"
	"testing"
)

// TestExportImportContinues moves a sequence's state (beyond the window, mid-decode) into a fresh
// state on another model instance, layer range by layer range through the binary encoding, and
// checks that decoding goes on with bit-identical logits.
func TestExportImportContinues(t *testing.T) {
	m := tinyRandom(t, true)
	other := tinyRandom(t, true)
	ids := prompt(30, 2)
	s := m.NewSeq(1)
	last := step(t, m, []Segment{{Seq: s, Text: len(ids), LastPrompt: true}}, [][]int{ids}, false)
	decodeGreedy(t, m, s, last, 5)
	moved := other.NewSeq(1)
	for _, r := range [][2]int{{0, 3}, {3, 7}, {7, 8}} {
		e, err := m.ExportSeq(s, r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		b, _ := e.MarshalBinary()
		var back SeqExport
		if err := back.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if err := other.ImportSeq(moved, &back); err != nil {
			t.Fatal(err)
		}
	}
	tok := []int{77}
	for k := range 20 {
		want := step(t, m, []Segment{{Seq: s, Text: 1}}, [][]int{tok}, false)
		got := step(t, other, []Segment{{Seq: moved, Text: 1}}, [][]int{tok}, false)
		if !slices.Equal(got, want) {
			t.Fatalf("decode step %d after the move: logits differ", k)
		}
		tok = []int{argmax(want)}
	}
}

// TestImportRefusesBadExports checks that a malformed or mismatched export is an error.
func TestImportRefusesBadExports(t *testing.T) {
	m := tinyRandom(t, false)
	s := m.NewSeq(1)
	step(t, m, []Segment{{Seq: s, Text: 3, LastPrompt: true}}, [][]int{{1, 2, 3}}, false)
	e, err := m.ExportSeq(s, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := e.MarshalBinary()
	for cut := 0; cut < len(b); cut += max(1, len(b)/97) {
		var x SeqExport
		if x.UnmarshalBinary(b[:cut]) == nil {
			t.Fatalf("export cut at %d of %d bytes decoded", cut, len(b))
		}
	}
	bad := *e
	bad.Layers = slices.Clone(e.Layers)
	bad.Layers[0].Conv = bad.Layers[0].Conv[:3]
	if m.ImportSeq(m.NewSeq(2), &bad) == nil {
		t.Fatal("short conv state imported")
	}
	if _, err := m.ExportSeq(s, 5, 99); err == nil {
		t.Fatal("export of layers outside the part accepted")
	}
}
