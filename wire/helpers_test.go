package wire

import (
	"encoding/binary"
	"hash/crc32"
	"math"
	"testing"
)

// sampleStep builds a step with deterministic payload values; rows come from the segments.
func sampleStep(kind Kind, dt DType, width int, segs ...Segment) *Step {
	s := &Step{Kind: kind, Epoch: 0x1122334455667788, StepID: 42, Replica: 3, Hop: 1, Segments: segs, DType: dt, Width: width}
	for _, g := range segs {
		s.Rows += int(g.Rows)
	}
	n := s.Rows * width
	switch dt {
	case I32:
		s.I32 = make([]int32, n)
		for i := range s.I32 {
			s.I32[i] = int32(i*7919%32001 + 1)
		}
	case F32:
		s.F32 = make([]float32, n)
		for i := range s.F32 {
			s.F32[i] = float32(i%97)*0.03125 - 1.5
		}
	case BF16:
		s.BF16 = make([]uint16, n)
		for i := range s.BF16 {
			s.BF16[i] = uint16(i*40503 + 17)
		}
	}
	return s
}

// decodeBatch is a batch-8 decode step: one new token per sequence.
func decodeBatch(kind Kind, dt DType, width int) *Step {
	segs := make([]Segment, 8)
	for i := range segs {
		segs[i] = Segment{Seq: uint64(100 + i), Start: uint32(200 + i), Rows: 1}
	}
	return sampleStep(kind, dt, width, segs...)
}

type namedStep struct {
	name string
	step *Step
}

// sampleSteps covers every kind, every dtype and every segment flag.
func sampleSteps() []namedStep {
	special := sampleStep(KindHidden, F32, 4, Segment{Seq: 1, Start: 5, Rows: 2})
	copy(special.F32, []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)),
		math.SmallestNonzeroFloat32, math.MaxFloat32, math.Float32frombits(0x7fc00001), -1})
	return []namedStep{
		{"tokens-prefill", sampleStep(KindTokens, I32, 1,
			Segment{Seq: 7, Start: 0, Rows: 5, Flags: SegFirst},
			Segment{Seq: 9, Start: 512, Rows: 3, Flags: SegPromptEnd | SegAllLogits},
			Segment{Seq: math.MaxUint64, Start: 30, Rows: 0, Flags: SegRelease})},
		{"tokens-decode-b8", decodeBatch(KindTokens, I32, 1)},
		{"hidden-f32-b8", decodeBatch(KindHidden, F32, 1600)},
		{"hidden-bf16", sampleStep(KindHidden, BF16, 16, Segment{Seq: 1, Rows: 4, Flags: SegFirst | SegPromptEnd}, Segment{Seq: 2, Start: 9, Rows: 1})},
		{"hidden-special-floats", special},
		{"logits-f32", sampleStep(KindLogits, F32, 33,
			Segment{Seq: 1, Start: 0, Rows: 1, Flags: SegFirst | SegPromptEnd},
			Segment{Seq: 2, Start: 64, Rows: 0},
			Segment{Seq: 3, Start: 8, Rows: 3, Flags: SegAllLogits | SegPromptEnd | SegRelease})},
		{"logits-bf16", sampleStep(KindLogits, BF16, 7, Segment{Seq: 5, Start: 3, Rows: 1})},
		{"logits-none", sampleStep(KindLogits, F32, 10, Segment{Seq: 5, Start: 3, Rows: 0, Flags: SegRelease})},
	}
}

func mustAppendStep(t testing.TB, s *Step) []byte {
	t.Helper()
	b, err := AppendStep(nil, s)
	if err != nil {
		t.Fatalf("AppendStep: %v", err)
	}
	return b
}

// reseal rewrites a frame's length field and CRC after a test edited it, so the edit reaches
// the field checks behind the checksum.
func reseal(b []byte) []byte {
	b = append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(b[8:], uint32(len(b)))
	n := len(b) - CRCSize
	binary.LittleEndian.PutUint32(b[n:], crc32.Checksum(b[:n], castagnoli))
	return b
}

// resealChunk recomputes a chunk's CRC after a test edited it.
func resealChunk(b []byte) []byte {
	b = append([]byte(nil), b...)
	crc := crc32.Update(crc32.Checksum(b[:40], castagnoli), castagnoli, b[ChunkHeaderSize:])
	binary.LittleEndian.PutUint32(b[40:], crc)
	return b
}

// sameStep compares two steps field by field, floats by bit pattern.
func sameStep(t *testing.T, got, want *Step) {
	t.Helper()
	if got.Kind != want.Kind || got.Epoch != want.Epoch || got.StepID != want.StepID || got.Replica != want.Replica ||
		got.Hop != want.Hop || got.DType != want.DType || got.Rows != want.Rows || got.Width != want.Width {
		t.Fatalf("header: got %+v, want %+v", summary(got), summary(want))
	}
	if len(got.Segments) != len(want.Segments) {
		t.Fatalf("segments: got %d, want %d", len(got.Segments), len(want.Segments))
	}
	for i := range want.Segments {
		if got.Segments[i] != want.Segments[i] {
			t.Fatalf("segment %d: got %+v, want %+v", i, got.Segments[i], want.Segments[i])
		}
	}
	samePayload(t, got, want)
}

func samePayload(t *testing.T, got, want *Step) {
	t.Helper()
	switch want.DType {
	case I32:
		for i := range want.I32 {
			if got.I32[i] != want.I32[i] {
				t.Fatalf("I32[%d] = %d, want %d", i, got.I32[i], want.I32[i])
			}
		}
	case F32:
		for i := range want.F32 {
			if math.Float32bits(got.F32[i]) != math.Float32bits(want.F32[i]) {
				t.Fatalf("F32[%d] = %#x, want %#x", i, math.Float32bits(got.F32[i]), math.Float32bits(want.F32[i]))
			}
		}
	case BF16:
		for i := range want.BF16 {
			if got.BF16[i] != want.BF16[i] {
				t.Fatalf("BF16[%d] = %#x, want %#x", i, got.BF16[i], want.BF16[i])
			}
		}
	}
	if n := len(got.I32) + len(got.F32) + len(got.BF16); n != want.Rows*want.Width {
		t.Fatalf("payload slices hold %d values in all, want %d", n, want.Rows*want.Width)
	}
}

func summary(s *Step) Step {
	c := *s
	c.Segments, c.I32, c.F32, c.BF16 = nil, nil, nil, nil
	return c
}
