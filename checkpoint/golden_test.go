package checkpoint

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unsafe"
)

// TestGoldenShapes opens both golden files of every case set and checks tensor names, dtypes,
// shapes against config.json, and metadata.
func TestGoldenShapes(t *testing.T) {
	for _, dir := range goldenSets(t) {
		cfg := readGoldenConfig(t, dir)
		h, v, m, f := cfg.HiddenSize, cfg.VocabSize, cfg.NumMemoryTokens, cfg.IntermediateSize
		want := map[string][]int{
			"model.embed_tokens.weight":                     {v, h},
			"model.memory_tokens":                           {m, h},
			"model.final_layernorm.weight":                  {h},
			"model.layers.0.input_layernorm.weight":         {h},
			"model.layers.0.mamba.out_proj.weight":          {h, cfg.MambaExpand * h},
			"model.layers.0.moe.experts.0.down_proj.weight": {h, f},
			"model.layers.0.moe.experts.0.up_proj.weight":   {f, h},
		}
		var names [2][]string
		for i, file := range []string{"model.safetensors", "model.bf16.safetensors"} {
			dtype := []DType{F32, BF16}[i]
			t.Run(filepath.Base(dir)+"/"+file, func(t *testing.T) {
				c := mustOpen(t, filepath.Join(dir, file))
				for name, shape := range want {
					x := mustTensor(t, c, name)
					if !slices.Equal(x.Shape, shape) || x.DType != dtype {
						t.Errorf("%s: %s %v, want %s %v", name, x.DType, x.Shape, dtype, shape)
					}
				}
				if c.Has("lm_head.weight") {
					t.Error("golden checkpoint has lm_head.weight; the head is tied and must not be stored")
				}
				if got := c.Metadata()["format"]; got != "pt" {
					t.Errorf(`Metadata()["format"] = %q, want "pt"`, got)
				}
				names[i] = c.Names()
			})
		}
		if !slices.Equal(names[0], names[1]) || !slices.IsSorted(names[0]) || len(names[0]) == 0 {
			t.Errorf("%s: F32 and BF16 files list different or unsorted names (%d vs %d)", dir, len(names[0]), len(names[1]))
		}
	}
}

// TestGoldenBF16IsRoundedF32 checks every value of the BF16 golden file against the F32 one
// rounded to bfloat16, nearest-even, and that aligned reads are zero-copy views of the mapping.
func TestGoldenBF16IsRoundedF32(t *testing.T) {
	for _, dir := range goldenSets(t) {
		f32 := mustOpen(t, filepath.Join(dir, "model.safetensors"))
		bf := mustOpen(t, filepath.Join(dir, "model.bf16.safetensors"))
		for _, name := range f32.Names() {
			want := mustTensor(t, f32, name)
			got := mustTensor(t, bf, name)
			wv, err := want.Float32()
			if err != nil {
				t.Fatal(err)
			}
			gv, err := got.BFloat16()
			if err != nil {
				t.Fatal(err)
			}
			if err := sameBF16(wv, gv); err != nil {
				t.Fatalf("%s: %s", name, err)
			}
			widened, err := got.Float32()
			if err != nil {
				t.Fatal(err)
			}
			for i, b := range gv {
				if math.Float32bits(widened[i]) != uint32(b)<<16 {
					t.Fatalf("%s: element %d: bf16 %#04x widened to %#08x", name, i, b, math.Float32bits(widened[i]))
				}
			}
			if len(wv) > 0 && (unsafe.Pointer(&wv[0]) != unsafe.Pointer(&want.Data[0]) ||
				unsafe.Pointer(&gv[0]) != unsafe.Pointer(&got.Data[0])) {
				t.Errorf("%s: aligned read was copied, want a view of the mapping", name)
			}
		}
	}
}

// sameBF16 compares bf16 bit patterns with f32 values rounded to nearest-even.
func sameBF16(f32 []float32, bf []uint16) error {
	if len(f32) != len(bf) {
		return fmt.Errorf("%d values vs %d", len(f32), len(bf))
	}
	for i, x := range f32 {
		if r := roundBF16(x); r != bf[i] {
			return fmt.Errorf("element %d: f32 %v rounds to %#04x, file has %#04x", i, x, r, bf[i])
		}
	}
	return nil
}

// roundBF16 rounds a finite float32 to bfloat16, ties to even: keep the top 16 bits and add one
// when the dropped half is above 0x8000, or exactly 0x8000 with an odd kept half.
func roundBF16(x float32) uint16 {
	u := math.Float32bits(x)
	hi, lo := u>>16, u&0xffff
	if lo > 0x8000 || (lo == 0x8000 && hi&1 == 1) {
		hi++
	}
	return uint16(hi)
}

// TestGoldenRewriteIsByteIdentical rewrites the golden files (written by the reference library)
// from their tensors, in header order, and expects the very same bytes.
func TestGoldenRewriteIsByteIdentical(t *testing.T) {
	for _, dir := range goldenSets(t) {
		for _, file := range []string{"model.safetensors", "model.bf16.safetensors"} {
			path := filepath.Join(dir, file)
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			h, err := ParseHeader(orig, int64(len(orig)), path)
			if err != nil {
				t.Fatal(err)
			}
			c := mustOpen(t, path)
			var ts []Tensor
			for _, info := range h.Tensors {
				ts = append(ts, mustTensor(t, c, info.Name))
			}
			var buf bytes.Buffer
			n, err := WriteTo(&buf, ts, c.Metadata())
			if err != nil {
				t.Fatal(err)
			}
			if n != int64(len(orig)) || !bytes.Equal(buf.Bytes(), orig) {
				t.Errorf("%s: rewrite differs (%d bytes, original %d)", path, n, len(orig))
			}
		}
	}
}
