package shard

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestLayerCostsReal checks the real 1.5B config against the figures of hymba-architecture.md §1
// and the design brief, worked out by hand.
func TestLayerCostsReal(t *testing.T) {
	cfg := loadConfig(t, "1.5b")
	costs := LayerCosts(cfg, DefaultOptions())
	if len(costs) != 34 || costs[32].Kind != KindEmbed || costs[33].Kind != KindHead {
		t.Fatalf("want 32 layers, embed, head; got %d entries", len(costs))
	}
	var weights, state int64
	var flops float64
	for _, c := range costs {
		weights += c.WeightBytes
		state += c.StateBytesPerSeq
		flops += c.FLOPsPerToken
	}
	// 1,522,797,824 parameters, the tied head stored once: 3,045,595,648 bytes in bf16.
	if got := weights - 32001*1600*2; got != 3_045_595_648 {
		t.Errorf("one copy of the weights = %d bytes, want 3045595648", got)
	}
	// Per sequence at 8192 rows: 3 global layers × 8192 rows + 14 window rings × (1024 + 128) rows,
	// 960 values (5 KV heads × (64 + 128)) per row, plus 32 layers of conv (3200×4) and SSM (3200×16)
	// state, 2 bytes each: 82.2 MB, the brief's "≈ 81 MB".
	want := int64(3*8192*960*2 + 14*1152*960*2 + 32*3200*(4+16)*2)
	if state != want || state != 82_247_680 {
		t.Errorf("state per sequence = %d bytes, want %d", state, want)
	}
	perLayer := map[Kind]int64{KindGlobal: 2 * 46_700_932, KindWindow: 2 * 46_700_932, KindConsumer: 2 * 45_164_932}
	for l, c := range costs[:32] {
		if c.Layer != l || c.WeightBytes != perLayer[c.Kind] {
			t.Errorf("layer %d: %+v, want weight bytes %d", l, c, perLayer[c.Kind])
		}
	}
	if costs[33].FLOPsPerToken != 2*32001*1600 || costs[32].FLOPsPerToken != 0 {
		t.Errorf("head %v, embed %v FLOPs per token", costs[33].FLOPsPerToken, costs[32].FLOPsPerToken)
	}
	// Every parameter of a matrix product costs 2 FLOPs; attention over 8192 + 14·1152 + 15·1152
	// rows, conv and scan add about 18%.
	if params := float64(3_045_595_648 / 2); flops < 2*params || flops > 2.5*params {
		t.Errorf("FLOPs per token %.4g, want between 2× and 2.5× the %.4g parameters", flops, params)
	}
}

func TestLayerKinds(t *testing.T) {
	cfg := loadConfig(t, "1.5b")
	var got [3][]int
	for _, c := range LayerCosts(cfg, DefaultOptions())[:32] {
		i := map[Kind]int{KindGlobal: 0, KindWindow: 1, KindConsumer: 2}[c.Kind]
		got[i] = append(got[i], c.Layer)
	}
	want := [3][]int{
		{0, 15, 31},
		{1, 3, 5, 7, 9, 11, 13, 16, 19, 21, 23, 25, 27, 29},
		{2, 4, 6, 8, 10, 12, 14, 17, 18, 20, 22, 24, 26, 28, 30},
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("kind %d layers %v, want %v", i, got[i], want[i])
		}
	}
}

// TestLayerCostsScale checks how the costs follow the options: fp32 doubles weights, fp32 state
// doubles state, a shorter context shrinks only the context-bound parts.
func TestLayerCostsScale(t *testing.T) {
	cfg := loadConfig(t, "1.5b")
	base := LayerCosts(cfg, DefaultOptions())
	fp32 := LayerCosts(cfg, Options{WeightBytes: 4, MaxSeqs: 64, ContextLen: 8192})
	st32 := LayerCosts(cfg, Options{WeightBytes: 2, StateBytes: 4, MaxSeqs: 64, ContextLen: 8192})
	short := LayerCosts(cfg, Options{WeightBytes: 2, MaxSeqs: 64, ContextLen: 1000})
	for i, b := range base {
		if fp32[i].WeightBytes != 2*b.WeightBytes || fp32[i].StateBytesPerSeq != 2*b.StateBytesPerSeq {
			t.Errorf("entry %d: fp32 %+v vs bf16 %+v", i, fp32[i], b)
		}
		if st32[i].WeightBytes != b.WeightBytes || st32[i].StateBytesPerSeq != 2*b.StateBytesPerSeq {
			t.Errorf("entry %d: fp32 state %+v vs bf16 %+v", i, st32[i], b)
		}
	}
	// 1000 rows: every KV owner holds 1000 rows (below the 1152-row window bound).
	for _, l := range []int{0, 1, 15} {
		if got, want := short[l].StateBytesPerSeq, int64(1000*960*2+3200*20*2); got != want {
			t.Errorf("layer %d at 1000 rows: %d bytes, want %d", l, got, want)
		}
	}
	if short[2].StateBytesPerSeq != base[2].StateBytesPerSeq || short[2].FLOPsPerToken >= base[2].FLOPsPerToken {
		t.Errorf("consumer at 1000 rows: %+v, at 8192: %+v", short[2], base[2])
	}
	// hymbaserve's bf16 K/V cache: K/V values of 2 bytes beside float32 conv and SSM state.
	kv16 := LayerCosts(cfg, Options{WeightBytes: 2, StateBytes: 4, KVBytes: 2, MaxSeqs: 64, ContextLen: 1000})
	for _, l := range []int{0, 1, 2} {
		want := int64(1000*960*2 + 3200*20*4)
		if l == 2 { // a consumer holds no K/V
			want = 3200 * 20 * 4
		}
		if got := kv16[l].StateBytesPerSeq; got != want {
			t.Errorf("layer %d, bf16 K/V and float32 state at 1000 rows: %d bytes, want %d", l, got, want)
		}
	}
}

// TestLayerCostsTinyCheckpoint compares the weight bytes with the tensors of the tiny golden
// checkpoint (F32), read from its safetensors header.
func TestLayerCostsTinyCheckpoint(t *testing.T) {
	cfg := loadConfig(t, "tiny")
	costs := LayerCosts(cfg, testOptions("tiny"))
	sizes := safetensorSizes(t, "../testdata/golden/tiny-hymba/model.safetensors")
	perLayer := make([]int64, cfg.NumHiddenLayers)
	var embed, head int64
	for name, n := range sizes {
		var l int
		switch {
		case name == "model.embed_tokens.weight":
			embed, head = embed+n, head+n
		case name == "model.memory_tokens":
			embed += n
		case name == "model.final_layernorm.weight":
			head += n
		case strings.HasPrefix(name, "model.layers."):
			if err := json.Unmarshal([]byte(strings.Split(name, ".")[2]), &l); err != nil {
				t.Fatalf("tensor %q: %v", name, err)
			}
			perLayer[l] += n
		default:
			t.Fatalf("unexpected tensor %q", name)
		}
	}
	for l, want := range perLayer {
		if costs[l].WeightBytes != want {
			t.Errorf("layer %d: %d weight bytes, checkpoint has %d", l, costs[l].WeightBytes, want)
		}
	}
	if costs[8].WeightBytes != embed || costs[9].WeightBytes != head {
		t.Errorf("embed %d head %d bytes, checkpoint has %d and %d", costs[8].WeightBytes, costs[9].WeightBytes, embed, head)
	}
}

// safetensorSizes returns each tensor's byte size from a safetensors file's header.
func safetensorSizes(t *testing.T, path string) map[string]int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(b[:8])
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+n], &hdr); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for name, raw := range hdr {
		if name == "__metadata__" {
			continue
		}
		var info struct {
			DataOffsets [2]int64 `json:"data_offsets"`
		}
		if err := json.Unmarshal(raw, &info); err != nil {
			t.Fatalf("tensor %q: %v", name, err)
		}
		out[name] = info.DataOffsets[1] - info.DataOffsets[0]
	}
	return out
}

func TestBoundaries(t *testing.T) {
	cases := map[string][]int{
		"1.5b": {0, 1, 3, 5, 7, 9, 11, 13, 15, 16, 19, 21, 23, 25, 27, 29, 31, 32},
		"tiny": {0, 1, 3, 4, 7, 8},
	}
	for name, want := range cases {
		if got := Boundaries(loadConfig(t, name)); !slices.Equal(got, want) {
			t.Errorf("%s: boundaries %v, want %v", name, got, want)
		}
	}
}
