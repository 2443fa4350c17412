package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/hymbaserve/hymbaserve/kernels"
	"github.com/hymbaserve/hymbaserve/kvshare"
	"github.com/hymbaserve/hymbaserve/model"
)

// benchResult is the JSON hymbactl bench prints.
type benchResult struct {
	Model            string  `json:"model"`
	WeightDType      string  `json:"weight_dtype"`
	WeightBytes      int64   `json:"weight_bytes"`
	Threads          int     `json:"threads"`
	CPU              string  `json:"cpu"`
	BandwidthGBs     float64 `json:"bandwidth_gb_s"`
	RooflineTokS     float64 `json:"roofline_tok_s"`
	PrefillTokens    int     `json:"prefill_tokens"`
	PrefillTokS      float64 `json:"prefill_tok_s"`
	DecodeTokS       float64 `json:"decode_tok_s"`
	DecodeBatch8TokS float64 `json:"decode_batch8_tok_s"`
	// DecodeBatches maps a batch size (--batches) to its decode tokens/s and GFLOP/s reached.
	DecodeBatches    map[string]batchFigure `json:"decode_batches,omitempty"`
	DecodeVsRoofline float64                `json:"decode_vs_roofline"`
	DecodeSteps      int                    `json:"decode_steps"`
	BuildSeconds     float64                `json:"build_seconds"`
	// KVDType is the K/V cache dtype the speed figures ran with (--kv).
	KVDType string `json:"kv_dtype"`
	// SeqBytes8K is one sequence's memory at 8,192 tokens on the real config, per K/V dtype.
	SeqBytes8K map[string]seqMemory `json:"seq_bytes_8k"`
}

// seqMemory is one sequence's memory at a context length, for one K/V dtype.
type seqMemory struct {
	// AllocatorBytes is what the allocator counts (model.MeasureSeqBytes: the sequence's K/V
	// caches driven through the tokens on a pool of the dtype; pages in use plus conv/SSM state).
	AllocatorBytes int64 `json:"allocator_bytes"`
	// FormulaBytes is model.MaxSeqBytesDType, what admission counts.
	FormulaBytes int64 `json:"formula_bytes"`
	// BriefBytes is the design brief's arithmetic with values of this dtype's size: K/V rows of
	// the global owners (all tokens) and window owners (W + meta rows), no page rounding, plus
	// an SSM (D×N) and conv (D×(K−1)) state on the non-global layers only.
	BriefBytes int64 `json:"brief_formula_bytes"`
}

// benchContext is the context length of the memory figures.
const benchContext = 8192

// batchFigure is one batch size's decode speed.
type batchFigure struct {
	TokS   float64 `json:"tok_s"`
	GFLOPS float64 `json:"gflop_s"`
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	f32 := fs.Bool("f32", false, "float32 weights instead of BF16")
	prefill := fs.Int("prefill", 128, "prompt tokens for the prefill measurement")
	steps := fs.Int("steps", 16, "decode steps to time")
	batches := fs.String("batches", "", "also time decode at these batch sizes, e.g. 1,8,32,64")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measurements to this file")
	kv := fs.String("kv", "f32", "K/V cache dtype of the speed figures: f32 or bf16 (memory figures are printed for both)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	kvDType, err := kvshare.ParseDType(*kv)
	if err != nil {
		return fmt.Errorf("--kv: %w", err)
	}
	r := benchResult{Model: "Hymba-1.5B shape, random weights", WeightDType: "BF16", Threads: runtime.GOMAXPROCS(0),
		CPU: cpuName(), PrefillTokens: *prefill, DecodeSteps: *steps, KVDType: kvDType.String()}
	if *f32 {
		r.WeightDType = "F32"
	}
	r.BandwidthGBs = kernels.MeasureBandwidth(1<<30) / 1e9
	cfg := model.Hymba15B()
	if r.SeqBytes8K, err = seqMemoryFigures(cfg, benchContext); err != nil {
		return err
	}
	t0 := time.Now()
	m, err := model.New(cfg, model.RandomTensors(cfg, 1, !*f32), model.LoadOptions{KVDType: kvDType})
	if err != nil {
		return err
	}
	r.BuildSeconds = time.Since(t0).Seconds()
	r.WeightBytes = m.WeightBytes()
	r.RooflineTokS = r.BandwidthGBs * 1e9 / float64(r.WeightBytes)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if err := benchModel(m, &r, *batches); err != nil {
		return err
	}
	r.DecodeVsRoofline = r.DecodeTokS / r.RooflineTokS
	if *asJSON {
		return json.NewEncoder(stdout).Encode(r)
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	_, err = fmt.Fprintln(stdout, string(b))
	return err
}

// benchModel measures prefill of one prompt, batch-1 decode after it, and batch-8 decode of
// eight copies of that sequence (forked states: the measurement is of decode, not of prefill).
func benchModel(m *model.Model, r *benchResult, batches string) error {
	ids := make([]int, r.PrefillTokens)
	for i := range ids {
		ids[i] = 1 + (i*7919)%(m.Cfg.VocabSize-1)
	}
	// The meta tokens' state is computed once per model, on the first sequence: warm it, so the
	// prefill figure is that of every later request.
	if _, _, err := m.Forward([]model.Segment{{Seq: m.NewSeq(0), Text: 1, LastPrompt: true}}, [][]int{{1}}, nil); err != nil {
		return err
	}
	s := m.NewSeq(1)
	t := time.Now()
	if _, _, err := m.Forward([]model.Segment{{Seq: s, Text: len(ids), LastPrompt: true}}, [][]int{ids}, nil); err != nil {
		return err
	}
	r.PrefillTokS = float64(len(ids)) / time.Since(t).Seconds()
	base := s.Clone(100)
	tps, err := timeDecode(m, []*model.SeqState{s}, r.DecodeSteps)
	if err != nil {
		return err
	}
	r.DecodeTokS = tps
	batch := make([]*model.SeqState, 8)
	for i := range batch {
		batch[i] = base.Clone(uint64(200 + i))
	}
	if r.DecodeBatch8TokS, err = timeDecode(m, batch, max(r.DecodeSteps/2, 2)); err != nil || batches == "" {
		return err
	}
	ids2, err := parseIDs(batches)
	if err != nil {
		return fmt.Errorf("--batches: %w", err)
	}
	r.DecodeBatches = map[string]batchFigure{}
	flops := 2 * float64(m.WeightBytes()) / 2 // 2 FLOP per BF16 weight read, per token
	for _, n := range ids2 {
		seqs := make([]*model.SeqState, n)
		for i := range seqs {
			seqs[i] = base.Clone(uint64(1000 + i))
		}
		tps, err := timeDecode(m, seqs, max(r.DecodeSteps/4, 2))
		if err != nil {
			return err
		}
		r.DecodeBatches[strconv.Itoa(n)] = batchFigure{TokS: tps, GFLOPS: tps * flops / 1e9}
	}
	return nil
}

// timeDecode runs steps decode steps over seqs together (after one warm-up step) and returns
// generated tokens per second.
func timeDecode(m *model.Model, seqs []*model.SeqState, steps int) (float64, error) {
	segs := make([]model.Segment, len(seqs))
	toks := make([][]int, len(seqs))
	for i, s := range seqs {
		segs[i] = model.Segment{Seq: s, Text: 1}
		toks[i] = []int{29871 + i}
	}
	var t time.Time
	for k := 0; k <= steps; k++ {
		if k == 1 {
			t = time.Now()
		}
		x, lay, err := m.Forward(segs, toks, nil)
		if err != nil {
			return 0, err
		}
		m.Logits(lay, x, false)
	}
	return float64(steps*len(seqs)) / time.Since(t).Seconds(), nil
}

// seqMemoryFigures measures one sequence's memory at textLen tokens of cfg for both K/V dtypes
// from the allocator, and puts it next to the formulas; the allocator and MaxSeqBytesDType must
// agree.
func seqMemoryFigures(cfg *model.Config, textLen int) (map[string]seqMemory, error) {
	out := map[string]seqMemory{}
	for _, dt := range []kvshare.DType{kvshare.F32, kvshare.BF16} {
		got, err := model.MeasureSeqBytes(cfg, dt, 0, cfg.NumHiddenLayers, textLen)
		if err != nil {
			return nil, err
		}
		f := model.MaxSeqBytesDType(cfg, dt, 0, cfg.NumHiddenLayers, textLen)
		if got != f {
			return nil, fmt.Errorf("bench: %v K/V at %d tokens: the allocator counts %d bytes, MaxSeqBytesDType %d", dt, textLen, got, f)
		}
		out[dt.String()] = seqMemory{AllocatorBytes: got, FormulaBytes: f, BriefBytes: briefSeqBytes(cfg, dt, textLen)}
	}
	return out, nil
}

// briefSeqBytes is the design brief's per-sequence formula ("Numbers to design against") with
// values of dt's size.
func briefSeqBytes(cfg *model.Config, dt kvshare.DType, textLen int) int64 {
	row := int64(cfg.NumKeyValueHeads * (cfg.HeadDim() + cfg.VDim()) * dt.Size())
	var n int64
	for l := range cfg.NumHiddenLayers {
		switch {
		case cfg.IsGlobal(l):
			n += int64(textLen) * row
		case cfg.OwnsKV(l):
			n += int64(min(textLen, cfg.SlidingWindow)+cfg.NumMemoryTokens) * row
		}
		if !cfg.IsGlobal(l) {
			n += int64(cfg.Inner()*(cfg.MambaDState+cfg.MambaDConv-1)) * int64(dt.Size())
		}
	}
	return n
}

func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}
