package checkpoint

import (
	"path/filepath"
	"testing"
)

// BenchmarkOpenGolden opens (maps and validates the 156-tensor header of) the tiny golden
// checkpoint and closes it.
func BenchmarkOpenGolden(b *testing.B) {
	path := filepath.Join("..", "testdata", "golden", "tiny-hymba", "model.bf16.safetensors")
	for b.Loop() {
		c, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkFloat32 reads a 1M-element tensor as float32: a zero-copy view for F32, exact
// widening for BF16 and F16.
func BenchmarkFloat32(b *testing.B) {
	const n = 1 << 20
	for _, dt := range []DType{F32, BF16, F16} {
		x := Tensor{Name: "x", DType: dt, Shape: []int{n}, Data: make([]byte, n*dt.Bits()/8)}
		b.Run(string(dt), func(b *testing.B) {
			b.SetBytes(int64(len(x.Data)))
			for b.Loop() {
				if _, err := x.Float32(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
