package model

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hymbaserve/hymbaserve/checkpoint"
	"github.com/hymbaserve/hymbaserve/kvshare"
)

// tinyKV builds the random tiny model (bf16 weights) with K/V cache values of type dt.
func tinyKV(t testing.TB, dt kvshare.DType, first, last int) *Model {
	t.Helper()
	cfg, err := LoadConfig("../testdata/golden/tiny-hymba")
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg, RandomTensors(cfg, 7, true), LoadOptions{First: first, Last: last, KVDType: dt})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBF16KVPages checks that a bf16 model reports its dtype, keeps its text and meta-template
// rows on bf16 pages of half the bytes, refuses a pool of the other dtype, and that an unknown
// dtype is a load error.
func TestBF16KVPages(t *testing.T) {
	m, f := tinyKV(t, kvshare.BF16, 0, 0), tinyRandom(t, true)
	if m.KVDType() != kvshare.BF16 || f.KVDType() != kvshare.F32 {
		t.Fatalf("KVDType %v and %v, want bf16 and the f32 default", m.KVDType(), f.KVDType())
	}
	s := m.NewSeq(1)
	step(t, m, []Segment{{Seq: s, Text: 20, LastPrompt: true}}, [][]int{prompt(20, 1)}, false)
	if m.Pool().DType() != kvshare.BF16 || 2*m.Pool().PageBytes() != f.Pool().PageBytes() {
		t.Fatalf("pool of %v pages of %d bytes; the f32 model's are %d", m.Pool().DType(), m.Pool().PageBytes(), f.Pool().PageBytes())
	}
	for l, c := range s.kv {
		for _, pg := range slices.Concat(c.meta, c.pages, m.metaPages[l]) {
			if pg.K16 == nil || pg.K != nil {
				t.Fatalf("layer %d holds a page without bf16 rows", l)
			}
		}
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "f32") || !strings.Contains(r.(string), "bf16") {
				t.Fatalf("SetPool of f32 pages on a bf16 model: panic %v, want one naming both dtypes", r)
			}
		}()
		m.SetPool(kvshare.NewPool(kvshare.PageRows, m.dims.kw, m.dims.vw, 0))
	}()
	if _, err := New(m.Cfg, RandomTensors(m.Cfg, 7, true), LoadOptions{KVDType: kvshare.DType(5)}); err == nil || !strings.Contains(err.Error(), "KVDType") {
		t.Fatalf("unknown K/V dtype: err %v, want one naming LoadOptions.KVDType", err)
	}
}

// TestBF16ChunkedPrefillEqualsWhole is TestChunkedPrefillEqualsWhole with bf16 K/V: the rows are
// rounded deterministically when written, so chunked prefill still equals whole prefill and the
// decode after it, bit for bit.
func TestBF16ChunkedPrefillEqualsWhole(t *testing.T) {
	m := tinyKV(t, kvshare.BF16, 0, 0)
	ids := prompt(45, 1)
	whole := m.NewSeq(1)
	wantRows := step(t, m, []Segment{{Seq: whole, Text: len(ids), LastPrompt: true}}, [][]int{ids}, true)
	V := m.dims.V
	wantDec := decodeGreedy(t, m, whole, wantRows[len(wantRows)-V:], 15)
	for _, chunks := range [][]int{{1, 44}, {7, 7, 7, 7, 7, 10}, {16, 17, 12}, {3, 1, 1, 30, 10}} {
		s := m.NewSeq(2)
		var got []float32
		at := 0
		for i, c := range chunks {
			seg := Segment{Seq: s, Text: c, LastPrompt: i == len(chunks)-1}
			got = append(got, step(t, m, []Segment{seg}, [][]int{ids[at : at+c]}, true)...)
			at += c
		}
		if !slices.Equal(got, wantRows) {
			t.Fatalf("chunks %v: prefill logits differ from whole prefill", chunks)
		}
		dec := decodeGreedy(t, m, s, got[len(got)-V:], 15)
		for k := range dec {
			if !slices.Equal(dec[k], wantDec[k]) {
				t.Fatalf("chunks %v: decode step %d differs", chunks, k)
			}
		}
	}
}

// TestBF16BatchedEqualsAlone decodes sequences of different lengths with bf16 K/V in shared
// steps, joining at different times, and checks every logit against each sequence run alone.
func TestBF16BatchedEqualsAlone(t *testing.T) {
	m := tinyKV(t, kvshare.BF16, 0, 0)
	lens := []int{1, 16, 23, 40}
	const steps = 20
	alone := make([][][]float32, len(lens))
	for i, n := range lens {
		s := m.NewSeq(uint64(i))
		last := step(t, m, []Segment{{Seq: s, Text: n, LastPrompt: true}}, [][]int{prompt(n, i)}, false)
		alone[i] = append([][]float32{last}, decodeGreedy(t, m, s, last, steps)...)
	}
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
		l := step(t, m, segs, toks, false)
		for j, i := range who {
			got[i] = append(got[i], l[j*V:(j+1)*V])
		}
	}
	for i := range lens {
		for k := range alone[i] {
			if !slices.Equal(got[i][k], alone[i][k]) {
				t.Fatalf("sequence %d (len %d), step %d: batched logits differ from alone", i, lens[i], k)
			}
		}
	}
}

// TestBF16ExportImportContinues moves two bf16 sequences (beyond the window, mid-decode) to two
// bf16 parts through the binary encoding: the second sequence comes with its meta rows to the
// first part (which finds them bit-identical to the first import's and references those pages)
// and without them to the second. The encoding ships 2-byte K/V values, and decoding goes on
// with bit-identical logits.
func TestBF16ExportImportContinues(t *testing.T) {
	m := tinyKV(t, kvshare.BF16, 0, 0)
	parts := []*Model{tinyKV(t, kvshare.BF16, 0, 3), tinyKV(t, kvshare.BF16, 3, 8)}
	var src []*SeqState
	last := map[*SeqState][]float32{}
	for i := range 2 {
		s := m.NewSeq(uint64(i))
		ids := prompt(30, i)
		l := step(t, m, []Segment{{Seq: s, Text: len(ids), LastPrompt: true}}, [][]int{ids}, false)
		last[s] = decodeGreedy(t, m, s, l, 5)[4]
		src = append(src, s)
	}
	moved := make([][]*SeqState, len(src))
	for i, s := range src {
		for _, p := range parts {
			e, err := m.ExportSeq(s, p.First, p.Last)
			if err != nil {
				t.Fatal(err)
			}
			if i == 1 && p == parts[1] {
				m.OmitMeta(e)
			}
			checkBF16Wire(t, e)
			b, _ := e.MarshalBinary()
			var back SeqExport
			if err := back.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			if !sameExport(&back, e) || back.KVDType != kvshare.BF16 {
				t.Fatalf("sequence %d: the decoded export differs (dtype %v)", i, back.KVDType)
			}
			d := p.NewSeq(s.ID)
			if err := p.ImportSeq(d, &back); err != nil {
				t.Fatal(err)
			}
			moved[i] = append(moved[i], d)
		}
	}
	for l, c := range moved[1][0].kv {
		if c.meta[0] != moved[0][0].kv[l].meta[0] {
			t.Fatalf("layer %d: the second import's bit-identical bf16 meta rows are not the shared pages", l)
		}
	}
	for i, s := range src {
		tok := []int{argmax(last[s])}
		for k := range 12 {
			want := step(t, m, []Segment{{Seq: s, Text: 1}}, [][]int{tok}, false)
			x, lay, err := parts[0].Forward([]Segment{{Seq: moved[i][0], Text: 1}}, [][]int{tok}, nil)
			if err == nil {
				x, lay, err = parts[1].Forward([]Segment{{Seq: moved[i][1], Text: 1}}, nil, x)
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := parts[1].Logits(lay, x, false); !slices.Equal(got, want) {
				t.Fatalf("sequence %d, decode step %d after the move: logits differ", i, k)
			}
			tok = []int{argmax(want)}
		}
	}
}

// checkBF16Wire checks that a bf16 export holds only bf16 K/V rows and that its encoding is the
// header plus 4 bytes per conv/SSM value and 2 per K/V value.
func checkBF16Wire(t *testing.T, e *SeqExport) {
	t.Helper()
	size := 8 + 4 + 1 + 4
	for _, le := range e.Layers {
		if le.K != nil || le.V != nil || le.HasKV != (le.K16 != nil) {
			t.Fatalf("layer %d: a bf16 export with float32 K/V rows, or without its bf16 rows", le.Layer)
		}
		size += 4 + 1 + 12 + 4*4 + 4*(len(le.Conv)+len(le.SSM)) + 2*(len(le.K16)+len(le.V16))
	}
	if b, _ := e.MarshalBinary(); len(b) != size {
		t.Fatalf("bf16 export of %d bytes, want %d (2 bytes per K/V value)", len(b), size)
	}
}

// TestImportRefusesOtherKVDType checks that an f32 export does not import into a bf16 part (nor
// the reverse), with an error wrapping ErrKVDType that names both dtypes, leaving the state
// new; and that a truncated export of either dtype or one with unknown flag bits does not
// decode.
func TestImportRefusesOtherKVDType(t *testing.T) {
	f, b := tinyRandom(t, true), tinyKV(t, kvshare.BF16, 0, 0)
	for _, c := range []struct{ from, to *Model }{{f, b}, {b, f}} {
		s := c.from.NewSeq(1)
		step(t, c.from, []Segment{{Seq: s, Text: 5, LastPrompt: true}}, [][]int{prompt(5, 1)}, false)
		e, err := c.from.ExportSeq(s, 0, 8)
		if err != nil {
			t.Fatal(err)
		}
		wire, _ := e.MarshalBinary()
		var back SeqExport
		if err := back.UnmarshalBinary(wire); err != nil {
			t.Fatal(err)
		}
		d, used := c.to.NewSeq(1), c.to.Pool().Stats().PagesUsed
		err = c.to.ImportSeq(d, &back)
		if !errors.Is(err, ErrKVDType) || !strings.Contains(err.Error(), "rows are "+c.from.KVDType().String()) ||
			!strings.Contains(err.Error(), "keeps "+c.to.KVDType().String()) {
			t.Fatalf("import of %v rows into a %v part: err %v, want ErrKVDType naming both", c.from.KVDType(), c.to.KVDType(), err)
		}
		if d.Started || c.to.Pool().Stats().PagesUsed != used {
			t.Fatal("the refused import changed the state or took pages")
		}
		for cut := 0; cut < len(wire); cut += max(1, len(wire)/97) {
			var x SeqExport
			if x.UnmarshalBinary(wire[:cut]) == nil {
				t.Fatalf("%v export cut at %d of %d bytes decoded", e.KVDType, cut, len(wire))
			}
		}
		wire[12] |= 0x80
		if err := back.UnmarshalBinary(wire); err == nil || !strings.Contains(err.Error(), "flags") {
			t.Fatalf("unknown flag bits: err %v", err)
		}
	}
}

// TestBF16GoldenClose runs the golden cases with bf16 K/V on both golden weight files. Rounding
// K and V to bf16 (8 significant bits, relative error ≤ 2⁻⁹ per value) perturbs every attention
// score and output slightly, and the perturbation grows through the 8 layers: on these cases
// the logits (|logit| ≤ 11) move by at most 0.061 from the fp32 golden values. The tolerance,
// 0.15, is 1.4 % of the largest logit and 2.5 × that worst case: far above the f32 tolerance
// (1e-3) but far below what a broken cache gives (wrong rows move logits by whole units). The
// logits must also move at all (> 1e-3: the rows really are rounded), and every greedy token
// and prefill argmax stays the golden one on these cases.
func TestBF16GoldenClose(t *testing.T) {
	const tol = 0.15
	dir := goldenDirs(t)[0]
	for _, v := range []struct{ weights, cases string }{{"model.safetensors", "cases.json"}, {"model.bf16.safetensors", "cases_bf16.json"}} {
		cfg, err := LoadConfig(dir)
		if err != nil {
			t.Fatal(err)
		}
		ck, err := checkpoint.Open(filepath.Join(dir, v.weights))
		if err != nil {
			t.Fatal(err)
		}
		defer ck.Close()
		m, err := New(cfg, ck, LoadOptions{KVDType: kvshare.BF16})
		if err != nil {
			t.Fatal(err)
		}
		var gf goldenFile
		readJSON(t, filepath.Join(dir, v.cases), &gf)
		var worst float64
		for _, c := range gf.Cases {
			worst = max(worst, bf16GoldenCase(t, m, c, tol))
		}
		if worst < 1e-3 {
			t.Fatalf("%s: bf16 K/V logits within %g of fp32: the K/V rows were not rounded", v.cases, worst)
		}
		t.Logf("%s: bf16 K/V logits within %.3g of the fp32 golden logits", v.cases, worst)
	}
}

// bf16GoldenCase runs one golden case and returns the largest logit difference it saw.
func bf16GoldenCase(t *testing.T, m *Model, c goldenCase, tol float64) float64 {
	t.Helper()
	s := m.NewSeq(1)
	x, lay, err := m.Forward([]Segment{{Seq: s, Text: len(c.InputIDs), LastPrompt: true}}, [][]int{c.InputIDs}, nil)
	if err != nil {
		t.Fatal(err)
	}
	all, n := m.Logits(lay, x, true)
	V := m.dims.V
	for p, want := range c.PrefillArgmax {
		if got := argmax(all[p*V : (p+1)*V]); got != want {
			t.Errorf("%s: prefill_argmax[%d] = %d, want %d", c.Name, p, got, want)
		}
	}
	logits, worst := all[(n-1)*V:], maxAbsDiff(all[(n-1)*V:], c.PrefillLastLogits)
	for k, want := range c.GreedyContinuation {
		if k < len(c.DecodeStepLogits) {
			worst = max(worst, maxAbsDiff(logits, c.DecodeStepLogits[k]))
		}
		if got := argmax(logits); got != want {
			t.Fatalf("%s: greedy_continuation[%d] = %d, want %d", c.Name, k, got, want)
		}
		if x, lay, err = m.Forward([]Segment{{Seq: s, Text: 1}}, [][]int{{want}}, nil); err != nil {
			t.Fatal(err)
		}
		logits, _ = m.Logits(lay, x, false)
	}
	if worst > tol {
		t.Errorf("%s: bf16 K/V logits differ from fp32 by %g > %g", c.Name, worst, tol)
	}
	return worst
}

// TestBF16MaxSeqBytesMatchesPool is TestMaxSeqBytesMatchesPool with bf16 K/V: after every decode
// step the sequence's bytes are what the pool counts and never pass MaxSeqBytesDType, which the
// peak reaches.
func TestBF16MaxSeqBytesMatchesPool(t *testing.T) {
	m := tinyKV(t, kvshare.BF16, 0, 0)
	d := m.dims
	state := int64(len(m.Layers)*(d.D*d.K+d.D*d.N)) * 4
	s := m.NewSeq(1)
	last := step(t, m, []Segment{{Seq: s, Text: 1, LastPrompt: true}}, [][]int{{1}}, false)
	var peak int64
	for n := 2; n <= 40; n++ {
		last = step(t, m, []Segment{{Seq: s, Text: 1}}, [][]int{{argmax(last)}}, false)
		st := m.Pool().Stats()
		limit := MaxSeqBytesDType(m.Cfg, kvshare.BF16, 0, 8, n)
		pool := int64(st.PagesUsed-m.owners())*st.PageBytes + state
		if b := s.Bytes(); b != pool || b > limit {
			t.Fatalf("at %d tokens: %d bytes, the pool counts %d, MaxSeqBytesDType %d", n, b, pool, limit)
		}
		if peak = max(peak, s.Bytes()); peak != limit {
			t.Fatalf("at %d tokens: peak %d bytes, MaxSeqBytesDType %d", n, peak, limit)
		}
	}
}

// TestMeasureSeqBytesReal drives the K/V caches of the real Hymba-1.5B configuration (all 32
// layers) on pools of both dtypes and checks the allocator's peak against MaxSeqBytesDType at
// short, window-sized and 8K lengths: at 8K that is 158,474,240 bytes with f32 K/V and
// 83,374,080 with bf16 (the K/V pages halve, the 8.2 MB of conv and SSM state do not).
func TestMeasureSeqBytesReal(t *testing.T) {
	cfg := Hymba15B()
	for _, n := range []int{1, 17, 1040, 8192} {
		for _, dt := range []kvshare.DType{kvshare.F32, kvshare.BF16} {
			got, err := MeasureSeqBytes(cfg, dt, 0, cfg.NumHiddenLayers, n)
			if err != nil {
				t.Fatal(err)
			}
			if want := MaxSeqBytesDType(cfg, dt, 0, cfg.NumHiddenLayers, n); got != want {
				t.Fatalf("%v K/V at %d tokens: the pool counts %d bytes, MaxSeqBytesDType %d", dt, n, got, want)
			}
		}
	}
	f, b := MaxSeqBytes(cfg, 0, 32, 8192), MaxSeqBytesDType(cfg, kvshare.BF16, 0, 32, 8192)
	state := int64(32 * 3200 * (4 + 16) * 4)
	if f != 158474240 || b != 83333120 || b-state != (f-state)/2 {
		t.Fatalf("8K bytes: f32 %d, bf16 %d; want 158474240 and 83333120, bf16 K/V half of f32", f, b)
	}
	if _, err := MeasureSeqBytes(cfg, kvshare.DType(3), 0, 32, 8); err == nil {
		t.Fatal("an unknown dtype measured")
	}
	t.Logf("Hymba-1.5B, one sequence at 8192 tokens: %d bytes (%.1f MB) with f32 K/V, %d (%.1f MB) with bf16 K/V",
		f, float64(f)/1e6, b, float64(b)/1e6)
}
