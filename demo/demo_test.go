package demo

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/hymbaserve/hymbaserve/model"
)

// TestWriteDirRoundTrip writes the demo checkpoint as a model directory and checks that loading
// it gives the same logits as the in-memory demo model.
func TestWriteDirRoundTrip(t *testing.T) {
	m, tok, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != m.Cfg.VocabSize {
		t.Fatalf("tokenizer has %d ids, model %d", tok.VocabSize(), m.Cfg.VocabSize)
	}
	dir := filepath.Join(t.TempDir(), "demo")
	if err := WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	disk, ck, err := model.Load(dir, model.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	ids := tok.Encode("Hello, demo", true)
	logits := func(m *model.Model) []float32 {
		x, lay, err := m.Forward([]model.Segment{{Seq: m.NewSeq(1), Text: len(ids), LastPrompt: true}}, [][]int{ids}, nil)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := m.Logits(lay, x, false)
		return l
	}
	if !slices.Equal(logits(m), logits(disk)) {
		t.Fatal("the demo checkpoint written to disk gives other logits")
	}
}
