package wire

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestStepRoundTrip(t *testing.T) {
	for _, tc := range sampleSteps() {
		t.Run(tc.name, func(t *testing.T) {
			b := mustAppendStep(t, tc.step)
			if size, err := tc.step.EncodedSize(); err != nil || size != len(b) {
				t.Fatalf("EncodedSize = %d, %v; encoded %d bytes", size, err, len(b))
			}
			if k, err := FrameKind(b); err != nil || k != tc.step.Kind {
				t.Fatalf("FrameKind = %v, %v; want %v", k, err, tc.step.Kind)
			}
			got, err := DecodeStep(b)
			if err != nil {
				t.Fatalf("DecodeStep: %v", err)
			}
			sameStep(t, got, tc.step)
			again := mustAppendStep(t, got)
			if !bytes.Equal(again, b) {
				t.Fatal("re-encoding the decoded step changed the bytes")
			}
		})
	}
}

func TestStepPayloadIsLittleEndianAndAligned(t *testing.T) {
	s := sampleStep(KindHidden, F32, 1, Segment{Seq: 1, Rows: 1}, Segment{Seq: 2, Rows: 1})
	s.F32[0], s.F32[1] = 1, -2 // 0x3f800000, 0xc0000000
	b := mustAppendStep(t, s)
	data := stepPrefix + 2*segmentSize + payloadHdrSize
	if data%4 != 0 {
		t.Fatalf("payload starts at %d, not 4-byte aligned", data)
	}
	want := []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}
	if got := b[data : data+8]; !bytes.Equal(got, want) {
		t.Fatalf("payload bytes % x, want % x", got, want)
	}
}

func TestAppendStepAppends(t *testing.T) {
	s := decodeBatch(KindHidden, BF16, 8)
	prefix := []byte("prefix")
	b, err := AppendStep(prefix, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, prefix) {
		t.Fatal("AppendStep overwrote dst")
	}
	got, err := DecodeStep(b[len(prefix):])
	if err != nil {
		t.Fatal(err)
	}
	sameStep(t, got, s)
}

func TestDecodeStepIntoReusesAndResets(t *testing.T) {
	f32 := mustAppendStep(t, decodeBatch(KindHidden, F32, 64))
	bf16 := mustAppendStep(t, decodeBatch(KindLogits, BF16, 64))
	var s Step
	if err := DecodeStepInto(&s, f32); err != nil {
		t.Fatal(err)
	}
	if err := DecodeStepInto(&s, bf16); err != nil {
		t.Fatal(err)
	}
	if len(s.F32) != 0 || len(s.BF16) != 8*64 || s.Kind != KindLogits {
		t.Fatalf("after decoding a BF16 logits frame: kind %v, len F32 %d, len BF16 %d", s.Kind, len(s.F32), len(s.BF16))
	}
	sameStep(t, &s, decodeBatch(KindLogits, BF16, 64))
}

func TestStepCodecAllocations(t *testing.T) {
	s := decodeBatch(KindHidden, F32, 1600)
	buf := mustAppendStep(t, s)
	var into Step
	if err := DecodeStepInto(&into, buf); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() { buf, _ = AppendStep(buf[:0], s) }); n != 0 {
		t.Errorf("AppendStep into a large enough buffer: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(20, func() { _ = DecodeStepInto(&into, buf) }); n != 0 {
		t.Errorf("DecodeStepInto a warmed Step: %v allocations, want 0", n)
	}
}

func TestDecodeStepDoesNotAlias(t *testing.T) {
	s := sampleStep(KindTokens, I32, 1, Segment{Seq: 1, Rows: 2, Flags: SegFirst})
	b := mustAppendStep(t, s)
	got, err := DecodeStep(b)
	if err != nil {
		t.Fatal(err)
	}
	clear(b)
	sameStep(t, got, s)
}

func TestStepValidate(t *testing.T) {
	seg := func(seq uint64, start, rows uint32, f SegFlags) Segment { return Segment{seq, start, rows, f} }
	cases := []struct {
		name string
		edit func(s *Step)
		want string
	}{
		{"unknown kind", func(s *Step) { s.Kind = 9 }, "step kind"},
		{"error kind", func(s *Step) { s.Kind = KindError }, "step kind"},
		{"tokens as f32", func(s *Step) { s.Kind = KindTokens }, "want I32"},
		{"hidden as i32", func(s *Step) { s.DType, s.I32, s.F32 = I32, make([]int32, len(s.F32)), nil }, "want F32 or BF16"},
		{"unknown dtype", func(s *Step) { s.DType = 7 }, "want F32 or BF16"},
		{"width 0", func(s *Step) { s.Width = 0 }, "width 0"},
		{"negative rows", func(s *Step) { s.Rows = -1 }, "rows -1"},
		{"no segments", func(s *Step) { s.Segments = nil }, "no segments"},
		{"payload short", func(s *Step) { s.F32 = s.F32[:len(s.F32)-1] }, "payload holds"},
		{"payload long", func(s *Step) { s.F32 = append(s.F32, 0) }, "payload holds"},
		{"rows lie", func(s *Step) { s.Rows, s.Width = s.Width, s.Rows }, "add up to"},
		{"segment rows lie", func(s *Step) { s.Segments[0].Rows++ }, "add up to"},
		{"duplicate seq", func(s *Step) { s.Segments[1].Seq = s.Segments[0].Seq }, "appears in segments 0 and 1"},
		{"first not at 0", func(s *Step) { s.Segments[2] = seg(102, 5, 1, SegFirst) }, "first chunk starts at 5"},
		{"start overflow", func(s *Step) { s.Segments[2] = seg(102, math.MaxUint32, 1, 0) }, "overflows"},
		{"undefined flag", func(s *Step) { s.Segments[3].Flags = 1 << 9 }, "undefined segment flags"},
		{"empty without release", func(s *Step) {
			s.Segments[0].Rows, s.Segments[1].Rows = 0, 2
		}, "no rows and no Release"},
		{"logits rows without AllLogits", func(s *Step) {
			s.Kind, s.Segments[0].Rows, s.Segments[1].Rows = KindLogits, 0, 2
		}, "without the AllLogits flag"},
		{"negative token", func(s *Step) {
			s.Kind, s.DType, s.Width, s.I32, s.F32 = KindTokens, I32, 1, make([]int32, 8), nil
			s.I32[5] = -3
		}, "token id -3 at row 5 is negative"},
		{"tokens width 2", func(s *Step) {
			s.Kind, s.DType, s.Width, s.Rows, s.I32, s.F32 = KindTokens, I32, 2, 8, make([]int32, 16), nil
		}, "width 2, want 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := decodeBatch(KindHidden, F32, 4)
			tc.edit(s)
			dst := []byte("keep")
			out, err := AppendStep(dst, s)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("AppendStep error %v, want ErrInvalid containing %q", err, tc.want)
			}
			if string(out) != "keep" {
				t.Fatalf("AppendStep changed dst on error: %q", out)
			}
		})
	}
}

func TestDuplicateSeqLargeBatch(t *testing.T) {
	segs := make([]Segment, 200)
	for i := range segs {
		segs[i] = Segment{Seq: uint64(i), Rows: 1}
	}
	s := sampleStep(KindHidden, F32, 2, segs...)
	if err := s.Validate(); err != nil {
		t.Fatalf("200 distinct sequences: %v", err)
	}
	s.Segments[150].Seq = 3
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "sequence 3 appears in segments 3 and 150") {
		t.Fatalf("duplicate in a 200-sequence batch: %v", err)
	}
}

func TestBulkParity(t *testing.T) {
	f := []float32{1, -2.5, float32(math.NaN()), float32(math.Inf(-1)), 3e-39}
	i := []int32{0, -1, math.MaxInt32, math.MinInt32, 12345}
	u := []uint16{0, 1, 0x7fc0, 0xffff, 0x8000}
	fast, slow := make([]byte, 20), make([]byte, 20)
	putF32s(fast, f)
	putF32sPortable(slow, f)
	check(t, "F32 put", fast, slow)
	putI32s(fast, i)
	putI32sPortable(slow, i)
	check(t, "I32 put", fast, slow)
	putU16s(fast[:10], u)
	putU16sPortable(slow[:10], u)
	check(t, "U16 put", fast[:10], slow[:10])

	gf1, gf2 := make([]float32, 5), make([]float32, 5)
	putF32sPortable(slow, f)
	getF32s(gf1, slow)
	getF32sPortable(gf2, slow)
	for k := range f {
		if math.Float32bits(gf1[k]) != math.Float32bits(f[k]) || math.Float32bits(gf2[k]) != math.Float32bits(f[k]) {
			t.Fatalf("F32 get %d: fast %v portable %v want %v", k, gf1[k], gf2[k], f[k])
		}
	}
	gi1, gi2 := make([]int32, 5), make([]int32, 5)
	putI32sPortable(slow, i)
	getI32s(gi1, slow)
	getI32sPortable(gi2, slow)
	gu1, gu2 := make([]uint16, 5), make([]uint16, 5)
	putU16sPortable(slow, u)
	getU16s(gu1, slow)
	getU16sPortable(gu2, slow)
	for k := range 5 {
		if gi1[k] != i[k] || gi2[k] != i[k] || gu1[k] != u[k] || gu2[k] != u[k] {
			t.Fatalf("get %d: I32 %d/%d want %d, U16 %d/%d want %d", k, gi1[k], gi2[k], i[k], gu1[k], gu2[k], u[k])
		}
	}
}

func check(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: fast % x, portable % x", what, got, want)
	}
}
