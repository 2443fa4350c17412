package wire

import "testing"

// Benchmarks for the frames of the real model: a batch-8 decode hop (8×1600 F32 hidden states)
// and the batch-8 logits (8×32001 F32 or BF16).

func benchSteps() []namedStep {
	return []namedStep{
		{"hidden-8x1600-f32", decodeBatch(KindHidden, F32, 1600)},
		{"logits-8x32001-f32", decodeBatch(KindLogits, F32, 32001)},
		{"logits-8x32001-bf16", decodeBatch(KindLogits, BF16, 32001)},
	}
}

func BenchmarkAppendStep(b *testing.B) {
	for _, tc := range benchSteps() {
		b.Run(tc.name, func(b *testing.B) {
			buf := mustAppendStep(b, tc.step)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, _ = AppendStep(buf[:0], tc.step)
			}
		})
	}
}

func BenchmarkDecodeStepInto(b *testing.B) {
	for _, tc := range benchSteps() {
		b.Run(tc.name, func(b *testing.B) {
			buf := mustAppendStep(b, tc.step)
			var s Step
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				if err := DecodeStepInto(&s, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkChunkReassemble splits a 5 MiB frame into 1 MiB chunks and rebuilds it.
func BenchmarkChunkReassemble(b *testing.B) {
	frame := randomBytes(1, 5<<20)
	c, _ := NewChunker(1 << 20)
	r, _ := NewReassembler(ReassemblerConfig{})
	buf := make([]byte, 0, 1<<20)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		cs, _ := c.Split(frame)
		for i := range cs.Len() {
			buf = cs.Append(buf[:0], i)
			if _, err := r.Add(buf); err != nil {
				b.Fatal(err)
			}
		}
	}
}
