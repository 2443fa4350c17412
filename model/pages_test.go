package model

import (
	"errors"
	"slices"
	"testing"

	"github.com/hymbaserve/hymbaserve/kvshare"
)

// inlineStart prefills ids for s with the meta rows computed in the same pass (no template).
func inlineStart(t *testing.T, m *Model, s *SeqState, ids []int) []float32 {
	t.Helper()
	seg := []Segment{{Seq: s, Text: len(ids), LastPrompt: true}}
	lay, err := m.layout(seg)
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.embed(lay, [][]int{ids})
	if err != nil {
		t.Fatal(err)
	}
	m.forwardLayers(seg, lay, x)
	l, _ := m.Logits(lay, x, false)
	return l
}

// TestLongDecodePagedLayouts decodes far past the window (W = 16) from a sequence with its own
// meta pages, one started from the shared meta template, one on pages of 3 rows (every row
// range cut at other places), and a clone taken mid-decode: all give the same logits bit for bit.
func TestLongDecodePagedLayouts(t *testing.T) {
	m, odd := tinyRandom(t, true), tinyRandom(t, true)
	odd.SetPool(kvshare.NewPool(3, odd.dims.kw, odd.dims.vw, 0))
	ids := prompt(5, 3)
	ref := m.NewSeq(1)
	want := [][]float32{inlineStart(t, m, ref, ids)}
	tmpl, other := m.NewSeq(2), odd.NewSeq(3)
	got := step(t, m, []Segment{{Seq: tmpl, Text: len(ids), LastPrompt: true}}, [][]int{ids}, false)
	gotOdd := step(t, odd, []Segment{{Seq: other, Text: len(ids), LastPrompt: true}}, [][]int{ids}, false)
	var fork *SeqState
	for k := range 45 {
		if !slices.Equal(got, want[k]) || !slices.Equal(gotOdd, want[k]) {
			t.Fatalf("decode step %d: logits differ from the sequence with its own meta pages", k)
		}
		tok := [][]int{{argmax(want[k])}}
		want = append(want, step(t, m, []Segment{{Seq: ref, Text: 1}}, tok, false))
		got = step(t, m, []Segment{{Seq: tmpl, Text: 1}}, tok, false)
		gotOdd = step(t, odd, []Segment{{Seq: other, Text: 1}}, tok, false)
		if k == 20 {
			fork = tmpl.Clone(9)
		}
	}
	for k := 21; k < 45; k++ { // the fork replays the tokens after it was taken
		l := step(t, m, []Segment{{Seq: fork, Text: 1}}, [][]int{{argmax(want[k])}}, false)
		if !slices.Equal(l, want[k+1]) {
			t.Fatalf("fork, decode step %d: logits differ", k)
		}
	}
}

// TestMetaPagesSharedOnce starts 100 sequences (two steps of 50, then a decode step of all) and
// counts the pool's pages: one copy of the meta pages per owning layer, one text page per
// sequence and owner; releasing them all leaves only the meta pages.
func TestMetaPagesSharedOnce(t *testing.T) {
	m := tinyRandom(t, true)
	owners := m.owners()
	var seqs []*SeqState
	for half := range 2 {
		var segs []Segment
		var toks [][]int
		for i := range 50 {
			s := m.NewSeq(uint64(half*50 + i))
			seqs = append(seqs, s)
			segs = append(segs, Segment{Seq: s, Text: 3, LastPrompt: true})
			toks = append(toks, prompt(3, i))
		}
		step(t, m, segs, toks, false)
	}
	var segs []Segment
	var toks [][]int
	for _, s := range seqs {
		segs, toks = append(segs, Segment{Seq: s, Text: 1}), append(toks, []int{5})
	}
	step(t, m, segs, toks, false)
	st := m.Pool().Stats()
	if want := owners + 100*owners; st.PagesUsed != want {
		t.Fatalf("%d pages in use, want %d meta + %d text", st.PagesUsed, owners, 100*owners)
	}
	d := m.dims
	alone := int64(owners)*st.PageBytes + int64(len(m.Layers)*(d.D*d.K+d.D*d.N))*4
	for _, s := range seqs {
		if s.Bytes() != alone {
			t.Fatalf("sequence %d holds %d bytes alone, want %d (its text pages and conv/SSM state)", s.ID, s.Bytes(), alone)
		}
		s.Release()
	}
	if st := m.Pool().Stats(); st.PagesUsed != owners || st.PagesFree != 100*owners {
		t.Fatalf("after every release: %d used, %d free; want %d, %d", st.PagesUsed, st.PagesFree, owners, 100*owners)
	}
	if _, _, err := m.Forward([]Segment{{Seq: seqs[0], Text: 1}}, [][]int{{5}}, nil); err == nil {
		t.Fatal("a released state ran a step")
	}
}

// TestPoolExhaustion runs a budget with room for the meta pages and two sequences: a decode step
// that needs a page more fails with ErrExhausted and changes nothing; once the other sequence is
// released the same step runs and gives the logits of a model without a budget.
func TestPoolExhaustion(t *testing.T) {
	m, free := tinyRandom(t, true), tinyRandom(t, true)
	owners := m.owners()
	pool := kvshare.NewPool(kvshare.PageRows, m.dims.kw, m.dims.vw, 0)
	m.SetPool(kvshare.NewPool(kvshare.PageRows, m.dims.kw, m.dims.vw, int64(3*owners)*pool.PageBytes()))
	ids := prompt(16, 4) // exactly one page per owner
	a, b, ra := m.NewSeq(1), m.NewSeq(2), free.NewSeq(1)
	step(t, m, []Segment{{Seq: a, Text: 16, LastPrompt: true}, {Seq: b, Text: 4, LastPrompt: true}}, [][]int{ids, ids[:4]}, false)
	want := step(t, free, []Segment{{Seq: ra, Text: 16, LastPrompt: true}}, [][]int{ids}, false)
	before, _ := m.ExportSeq(a, 0, 8)
	stats := m.Pool().Stats()
	_, _, err := m.Forward([]Segment{{Seq: a, Text: 1}}, [][]int{{argmax(want)}}, nil)
	if !errors.Is(err, kvshare.ErrExhausted) {
		t.Fatalf("a step past the budget: err %v, want ErrExhausted", err)
	}
	after, _ := m.ExportSeq(a, 0, 8)
	if !sameExport(before, after) || m.Pool().Stats() != stats {
		t.Fatal("the refused step changed the sequence or the pool")
	}
	c := m.NewSeq(3)
	if err := m.ImportSeq(c, before); !errors.Is(err, kvshare.ErrExhausted) || c.Started {
		t.Fatalf("an import past the budget: err %v, started %v; want ErrExhausted, unchanged", err, c.Started)
	}
	b.Release()
	for k := range 15 { // to 31 tokens: still two pages per owner
		tok := [][]int{{argmax(want)}}
		got := step(t, m, []Segment{{Seq: a, Text: 1}}, tok, false)
		want = step(t, free, []Segment{{Seq: ra, Text: 1}}, tok, false)
		if !slices.Equal(got, want) {
			t.Fatalf("decode step %d after the release: logits differ from the unlimited model", k)
		}
	}
}

// sameExport compares two exports bit for bit.
func sameExport(a, b *SeqExport) bool {
	x, _ := a.MarshalBinary()
	y, _ := b.MarshalBinary()
	return slices.Equal(x, y)
}

// TestImportSharesMeta moves two sequences to a part without a meta template: the first import's
// meta rows become the part's shared pages, the second references them, and so does the template
// the part computes later; the moved sequences continue with the source's logits.
func TestImportSharesMeta(t *testing.T) {
	m, other := tinyRandom(t, true), tinyRandom(t, true)
	owners := m.owners()
	var src, dst []*SeqState
	last := map[*SeqState][]float32{}
	for i := range 2 {
		s := m.NewSeq(uint64(i))
		last[s] = step(t, m, []Segment{{Seq: s, Text: 20, LastPrompt: true}}, [][]int{prompt(20, i)}, false)
		e, err := m.ExportSeq(s, 0, 8)
		if err != nil {
			t.Fatal(err)
		}
		d := other.NewSeq(uint64(i))
		if err := other.ImportSeq(d, e); err != nil {
			t.Fatal(err)
		}
		src, dst = append(src, s), append(dst, d)
	}
	textPages := 2 * owners // 20 rows: 2 pages per global owner, window owners (W=16) too
	if used := other.Pool().Stats().PagesUsed; used != owners+2*textPages {
		t.Fatalf("%d pages after two imports, want %d meta + %d text", used, owners, 2*textPages)
	}
	fresh := other.NewSeq(7)
	step(t, other, []Segment{{Seq: fresh, Text: 3, LastPrompt: true}}, [][]int{prompt(3, 7)}, false)
	if used := other.Pool().Stats().PagesUsed; used != owners+2*textPages+owners {
		t.Fatalf("%d pages after a new sequence, want the meta pages once", used)
	}
	for i, s := range src {
		tok := [][]int{{argmax(last[s])}}
		want := step(t, m, []Segment{{Seq: s, Text: 1}}, tok, false)
		if got := step(t, other, []Segment{{Seq: dst[i], Text: 1}}, tok, false); !slices.Equal(got, want) {
			t.Fatalf("sequence %d after the move: logits differ", i)
		}
	}
}

// TestMaxSeqBytesMatchesPool decodes a sequence past the window and checks after every step
// that its bytes never exceed MaxSeqBytes at that length, reach it, and are what the pool counts
// for it (the pool's pages less the shared meta pages, plus conv and SSM state).
func TestMaxSeqBytesMatchesPool(t *testing.T) {
	m := tinyRandom(t, true)
	d := m.dims
	state := int64(len(m.Layers)*(d.D*d.K+d.D*d.N)) * 4
	s := m.NewSeq(1)
	last := step(t, m, []Segment{{Seq: s, Text: 1, LastPrompt: true}}, [][]int{{1}}, false)
	var peak int64
	for n := 2; n <= 70; n++ {
		last = step(t, m, []Segment{{Seq: s, Text: 1}}, [][]int{{argmax(last)}}, false)
		st := m.Pool().Stats()
		pool := int64(st.PagesUsed-m.owners())*st.PageBytes + state
		if b := s.Bytes(); b != pool || b > MaxSeqBytes(m.Cfg, 0, 8, n) {
			t.Fatalf("at %d tokens: %d bytes, the pool counts %d, MaxSeqBytes %d", n, b, pool, MaxSeqBytes(m.Cfg, 0, 8, n))
		}
		peak = max(peak, s.Bytes())
		if peak != MaxSeqBytes(m.Cfg, 0, 8, n) {
			t.Fatalf("at %d tokens: peak %d bytes, MaxSeqBytes %d", n, peak, MaxSeqBytes(m.Cfg, 0, 8, n))
		}
	}
}

// TestPoolExhaustionNewSequence checks that a first step which cannot get the meta template's
// pages fails with ErrExhausted, leaves the sequence new and the part without a template, and
// runs once the budget has room.
func TestPoolExhaustionNewSequence(t *testing.T) {
	m := tinyRandom(t, true)
	pool := kvshare.NewPool(kvshare.PageRows, m.dims.kw, m.dims.vw, 0)
	m.SetPool(kvshare.NewPool(kvshare.PageRows, m.dims.kw, m.dims.vw, int64(m.owners())*pool.PageBytes()))
	s := m.NewSeq(1)
	seg := []Segment{{Seq: s, Text: 3, LastPrompt: true}}
	if _, _, err := m.Forward(seg, [][]int{prompt(3, 1)}, nil); !errors.Is(err, kvshare.ErrExhausted) {
		t.Fatalf("err %v, want ErrExhausted (meta pages fit, the text pages do not)", err)
	}
	if s.Started || s.Pos != 0 || m.metaState != nil || m.Pool().Stats().PagesUsed != 0 {
		t.Fatal("the refused first step changed the sequence or built the template")
	}
	m.SetPool(kvshare.NewPool(kvshare.PageRows, m.dims.kw, m.dims.vw, int64(3*m.owners())*pool.PageBytes()))
	got := step(t, m, seg, [][]int{prompt(3, 1)}, false)
	want := step(t, m, []Segment{{Seq: m.NewSeq(2), Text: 3, LastPrompt: true}}, [][]int{prompt(3, 1)}, false)
	if !slices.Equal(got, want) {
		t.Fatal("logits after the retry differ from a fresh sequence's")
	}
}
