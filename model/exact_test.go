package model

import (
	"slices"
	"testing"
)

// tinyRandom builds a model of the golden tiny config with random weights (no checkpoint needed).
func tinyRandom(t testing.TB, bf16 bool) *Model {
	t.Helper()
	cfg, err := LoadConfig("../testdata/golden/tiny-hymba")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg, RandomTensors(cfg, 7, bf16), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func prompt(n, seed int) []int {
	ids := []int{1}
	for i := 1; i < n; i++ {
		ids = append(ids, 3+(i*131+seed*977)%500)
	}
	return ids
}

// step runs one step and returns the logits of each segment's last row (or all rows).
func step(t testing.TB, m *Model, segs []Segment, toks [][]int, all bool) []float32 {
	t.Helper()
	x, lay, err := m.Forward(segs, toks, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := m.Logits(lay, x, all)
	return l
}

// decodeGreedy decodes n tokens for s alone and returns every step's logits.
func decodeGreedy(t testing.TB, m *Model, s *SeqState, last []float32, n int) [][]float32 {
	var out [][]float32
	for range n {
		tok := argmax(last)
		last = step(t, m, []Segment{{Seq: s, Text: 1}}, [][]int{{tok}}, false)
		out = append(out, last)
	}
	return out
}

// TestChunkedPrefillEqualsWhole feeds a prompt longer than twice the window in pieces of many
// sizes: every text row's logits, the decode that follows and the final states must be
// bit-identical to one whole prefill.
func TestChunkedPrefillEqualsWhole(t *testing.T) {
	for _, bf16 := range []bool{false, true} {
		m := tinyRandom(t, bf16)
		ids := prompt(45, 1)
		whole := m.NewSeq(1)
		wantRows := step(t, m, []Segment{{Seq: whole, Text: len(ids), LastPrompt: true}}, [][]int{ids}, true)
		V := m.dims.V
		wantDec := decodeGreedy(t, m, whole, wantRows[len(wantRows)-V:], 20)
		for _, chunks := range [][]int{{1, 44}, {7, 7, 7, 7, 7, 10}, {16, 17, 12}, {44, 1}, {3, 1, 1, 30, 10}} {
			s := m.NewSeq(2)
			var got []float32
			at := 0
			for i, c := range chunks {
				seg := Segment{Seq: s, Text: c, LastPrompt: i == len(chunks)-1}
				got = append(got, step(t, m, []Segment{seg}, [][]int{ids[at : at+c]}, true)...)
				at += c
			}
			if !slices.Equal(got, wantRows) {
				t.Fatalf("bf16=%v chunks %v: prefill logits differ from whole prefill", bf16, chunks)
			}
			dec := decodeGreedy(t, m, s, got[len(got)-V:], 20)
			for k := range dec {
				if !slices.Equal(dec[k], wantDec[k]) {
					t.Fatalf("bf16=%v chunks %v: decode step %d differs", bf16, chunks, k)
				}
			}
			for li := range s.conv {
				if !slices.Equal(s.conv[li], whole.conv[li]) || !slices.Equal(s.ssm[li], whole.ssm[li]) {
					t.Fatalf("bf16=%v chunks %v: layer %d conv/ssm state differs", bf16, chunks, li)
				}
			}
		}
	}
}

// TestBatchedEqualsAlone prefills and decodes sequences of different lengths in shared steps,
// joining at different times, and checks every logit against each sequence run alone.
func TestBatchedEqualsAlone(t *testing.T) {
	m := tinyRandom(t, true)
	lens := []int{1, 5, 16, 23, 40}
	const steps = 25
	alone := make([][][]float32, len(lens))
	for i, n := range lens {
		s := m.NewSeq(uint64(i))
		ids := prompt(n, i)
		last := step(t, m, []Segment{{Seq: s, Text: n, LastPrompt: true}}, [][]int{ids}, false)
		alone[i] = append([][]float32{last}, decodeGreedy(t, m, s, last, steps)...)
	}
	// Sequence i joins the batch at step i (its prefill shares a step with the others' decodes).
	V := m.dims.V
	seqs := make([]*SeqState, len(lens))
	got := make([][][]float32, len(lens))
	for k := 0; k < steps+len(lens); k++ {
		var segs []Segment
		var toks [][]int
		var who []int
		for i := range lens {
			switch {
			case k == i:
				seqs[i] = m.NewSeq(uint64(i))
				segs = append(segs, Segment{Seq: seqs[i], Text: lens[i], LastPrompt: true})
				toks = append(toks, prompt(lens[i], i))
			case k > i && len(got[i]) <= steps:
				segs = append(segs, Segment{Seq: seqs[i], Text: 1})
				toks = append(toks, []int{argmax(got[i][len(got[i])-1])})
			default:
				continue
			}
			who = append(who, i)
		}
		if len(segs) == 0 {
			continue
		}
		l := step(t, m, segs, toks, false)
		for j, i := range who {
			got[i] = append(got[i], l[j*V:(j+1)*V])
		}
	}
	for i := range lens {
		for k := range alone[i] {
			if !slices.Equal(got[i][k], alone[i][k]) {
				t.Fatalf("sequence %d (len %d) step %d: batched logits differ from alone", i, lens[i], k)
			}
		}
	}
}

// TestPipelineEqualsWhole runs the layers split into parts, as pipeline stages do, passing the
// hidden rows between them: logits must be bit-identical to the whole model.
func TestPipelineEqualsWhole(t *testing.T) {
	cfg, err := LoadConfig("../testdata/golden/tiny-hymba")
	if err != nil {
		t.Fatal(err)
	}
	src := RandomTensors(cfg, 3, true)
	whole, err := New(cfg, src, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var parts []*Model
	for _, r := range [][2]int{{0, 3}, {3, 7}, {7, 8}} {
		p, err := New(cfg, src, LoadOptions{First: r[0], Last: r[1]})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, p)
	}
	ids := prompt(30, 4)
	ws := whole.NewSeq(1)
	want := step(t, whole, []Segment{{Seq: ws, Text: len(ids), LastPrompt: true}}, [][]int{ids}, false)
	states := make([]*SeqState, len(parts))
	for i, p := range parts {
		states[i] = p.NewSeq(1)
	}
	toks := ids
	for k := 0; k < 20; k++ {
		var x []float32
		var lay Layout
		for i, p := range parts {
			seg := []Segment{{Seq: states[i], Text: len(toks), LastPrompt: k == 0}}
			if x, lay, err = p.Forward(seg, [][]int{toks}, x); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := parts[len(parts)-1].Logits(lay, x, false)
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: pipeline logits differ from the whole model", k)
		}
		toks = []int{argmax(want)}
		want = step(t, whole, []Segment{{Seq: ws, Text: 1}}, [][]int{toks}, false)
	}
}

// TestMetaTemplateEqualsInline checks that starting a sequence from the once-computed meta state
// gives bit-identically what running the meta rows and the prompt in one pass gives.
func TestMetaTemplateEqualsInline(t *testing.T) {
	m := tinyRandom(t, true)
	for _, n := range []int{1, 9, 30} {
		ids := prompt(n, n)
		inline := m.NewSeq(1)
		seg := []Segment{{Seq: inline, Text: n, LastPrompt: true}}
		lay, err := m.layout(seg)
		if err != nil {
			t.Fatal(err)
		}
		x, err := m.embed(lay, [][]int{ids})
		if err != nil {
			t.Fatal(err)
		}
		m.forwardLayers(seg, lay, x) // meta and text rows in one pass, no template
		want, _ := m.Logits(lay, x, true)
		got := step(t, m, []Segment{{Seq: m.NewSeq(2), Text: n, LastPrompt: true}}, [][]int{ids}, true)
		if !slices.Equal(got, want) {
			t.Fatalf("prompt %d: template-started logits differ from the inline pass", n)
		}
	}
}
