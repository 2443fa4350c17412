package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// sampleTensors covers every readable dtype plus a scalar, an empty tensor and an
// unreadable dtype.
func sampleTensors() []Tensor {
	sub := math.Float32frombits(1) // smallest float32 subnormal
	nan := math.Float32frombits(0x7fc01234)
	f16 := make([]uint16, 1<<16) // every half-precision bit pattern
	for i := range f16 {
		f16[i] = uint16(i)
	}
	return []Tensor{
		FromFloat32("w.f32", []int{2, 3}, []float32{1.5, float32(math.Copysign(0, -1)), sub, float32(math.Inf(-1)), nan, math.MaxFloat32}),
		FromBFloat16("w.bf16", []int{4}, []uint16{0x3f80, 0x8001, 0x7f80, 0xffc1}),
		{Name: "w.f16", DType: F16, Shape: []int{256, 256}, Data: encodeU16(f16)},
		FromFloat32("scalar", []int{}, []float32{42}),
		FromFloat32("empty", []int{0, 5}, nil),
		{Name: "ids", DType: I64, Shape: []int{2}, Data: []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0}},
	}
}

func TestWriteOpenRoundTrip(t *testing.T) {
	in := sampleTensors()
	meta := map[string]string{"format": "pt", "note": `<"quoted" & odd>`}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := Write(path, in, meta); err != nil {
		t.Fatal(err)
	}
	c := mustOpen(t, filepath.Dir(path))
	want := []string{"empty", "ids", "scalar", "w.bf16", "w.f16", "w.f32"}
	if got := c.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %q, want %q", got, want)
	}
	if got := c.Metadata(); !maps.Equal(got, meta) {
		t.Errorf("Metadata() = %q, want %q", got, meta)
	}
	for _, w := range in {
		got := mustTensor(t, c, w.Name)
		if got.DType != w.DType || !slices.Equal(got.Shape, w.Shape) || !bytes.Equal(got.Data, w.Data) || got.File != path {
			t.Errorf("%s: got %s %v (%d bytes, file %q), want %s %v (%d bytes)",
				w.Name, got.DType, got.Shape, len(got.Data), got.File, w.DType, w.Shape, len(w.Data))
		}
	}
	checkLayout(t, path, in)
}

// checkLayout checks the file written for in: tensors in the given order at consecutive
// offsets, header padded with spaces to 8 bytes.
func checkLayout(t *testing.T, path string, in []Tensor) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseHeader(b, int64(len(b)), path)
	if err != nil {
		t.Fatal(err)
	}
	if h.DataStart%8 != 0 || b[h.DataStart-1] != '}' && b[h.DataStart-1] != ' ' {
		t.Errorf("data section starts at %d, want a multiple of 8 after space padding", h.DataStart)
	}
	var off int64
	for i, info := range h.Tensors {
		if info.Name != in[i].Name || info.Begin != off {
			t.Errorf("header entry %d: %s at %d, want %s at %d", i, info.Name, info.Begin, in[i].Name, off)
		}
		off = info.End
	}
	if h.DataStart+off != int64(len(b)) {
		t.Errorf("file is %d bytes, want %d", len(b), h.DataStart+off)
	}
}

func TestFloat32Values(t *testing.T) {
	f, err := Parse(mustWriteTo(t, sampleTensors(), nil), "mem")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]float32{
		"w.f32":  {1.5, float32(math.Copysign(0, -1)), math.Float32frombits(1), float32(math.Inf(-1)), math.Float32frombits(0x7fc01234), math.MaxFloat32},
		"w.bf16": {1, -math.Float32frombits(0x00010000), float32(math.Inf(1)), math.Float32frombits(0xffc10000)},
		"scalar": {42},
		"empty":  {},
	}
	for name, want := range cases {
		x, err := f.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := x.Float32()
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(got, want) {
			t.Errorf("%s: Float32() = %v, want %v", name, got, want)
		}
	}
}

// TestFloat16Exhaustive widens all 65536 half-precision patterns and compares each with the
// value computed from the IEEE 754 definition in float64.
func TestFloat16Exhaustive(t *testing.T) {
	f, err := Parse(mustWriteTo(t, sampleTensors(), nil), "mem")
	if err != nil {
		t.Fatal(err)
	}
	x, err := f.Tensor("w.f16")
	if err != nil {
		t.Fatal(err)
	}
	got, err := x.Float32()
	if err != nil {
		t.Fatal(err)
	}
	for h := range 1 << 16 {
		want := halfDefinition(uint16(h))
		g := got[h]
		if math.IsNaN(want) {
			payload := math.Float32bits(g) >> 13 & 0x3ff
			if !math.IsNaN(float64(g)) || math.Signbit(float64(g)) != (h>>15 == 1) || payload != uint32(h)&0x3ff ||
				math.Float32bits(g)&0x1fff != 0 {
				t.Fatalf("half %#04x: got %#08x, want NaN with the same sign and payload", h, math.Float32bits(g))
			}
			continue
		}
		if math.Float32bits(g) != math.Float32bits(float32(want)) {
			t.Fatalf("half %#04x: got %v (%#08x), want %v", h, g, math.Float32bits(g), want)
		}
	}
}

// halfDefinition evaluates a binary16 pattern from its definition: (-1)^s · 2^(e-15) · 1.m for
// normals, (-1)^s · 2^-14 · 0.m for subnormals.
func halfDefinition(h uint16) float64 {
	s, e, m := h>>15, int(h>>10&0x1f), float64(h&0x3ff)
	sign := 1.0
	if s == 1 {
		sign = -1
	}
	switch e {
	case 0x1f:
		if m != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	case 0:
		return sign * math.Ldexp(m/1024, -14)
	}
	return sign * math.Ldexp(1+m/1024, e-15)
}

func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

func mustWriteTo(t *testing.T, ts []Tensor, meta map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := WriteTo(&buf, ts, meta)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo reported %d bytes, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

// TestWriteMatchesWriteTo checks that Write puts exactly the WriteTo stream on disk and leaves
// no temporary file behind.
func TestWriteMatchesWriteTo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.safetensors")
	if err := Write(path, sampleTensors(), nil); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, mustWriteTo(t, sampleTensors(), nil)) {
		t.Error("Write and WriteTo produce different bytes")
	}
	if !bytes.HasPrefix(got[8:], []byte(`{"w.f32":{`)) {
		t.Errorf("header starts %q, want the first tensor and no empty metadata", got[8:20])
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries after Write, want 1", len(entries))
	}
}

// TestWriteReplacesOpenFile overwrites a file that is open: the open checkpoint keeps reading
// the old data and a new Open sees the new data.
func TestWriteReplacesOpenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := Write(path, []Tensor{FromFloat32("a", []int{2}, []float32{1, 2})}, nil); err != nil {
		t.Fatal(err)
	}
	old := mustOpen(t, path)
	if err := Write(path, []Tensor{FromFloat32("a", []int{2}, []float32{3, 4})}, nil); err != nil {
		t.Fatal(err)
	}
	for c, want := range map[*Checkpoint][]float32{old: {1, 2}, mustOpen(t, path): {3, 4}} {
		got, err := mustTensor(t, c, "a").Float32()
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("a = %v (%v), want %v", got, err, want)
		}
	}
}

func TestWriteRefusesBadTensors(t *testing.T) {
	ok := FromFloat32("ok", []int{1}, []float32{1})
	cases := []struct {
		name  string
		ts    []Tensor
		wants []string
	}{
		{"empty name", []Tensor{{DType: F32, Shape: []int{0}}}, []string{"header", "empty name"}},
		{"duplicate", []Tensor{ok, ok}, []string{`tensor "ok"`, "twice"}},
		{"reserved", []Tensor{{Name: "__metadata__", DType: F32, Shape: []int{0}}}, []string{`"__metadata__"`, "reserved"}},
		{"unknown dtype", []Tensor{{Name: "q", DType: "Q4_K", Shape: []int{0}}}, []string{`tensor "q"`, "Q4_K"}},
		{"short data", []Tensor{{Name: "s", DType: F32, Shape: []int{2}, Data: make([]byte, 7)}}, []string{`tensor "s"`, "7 bytes", "needs 8"}},
		{"negative shape", []Tensor{{Name: "n", DType: F32, Shape: []int{-1}}}, []string{`tensor "n"`, "negative"}},
		{"overflow", []Tensor{{Name: "o", DType: F32, Shape: []int{math.MaxInt / 2, 3}}}, []string{`tensor "o"`, "overflows"}},
		{"bad utf8", []Tensor{{Name: "\xff", DType: F32, Shape: []int{0}}}, []string{"header", "UTF-8"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := WriteTo(&buf, tc.ts, nil)
			wantErr(t, err, append(tc.wants, "<stream>")...)
			if buf.Len() != 0 {
				t.Errorf("%d bytes written before the error", buf.Len())
			}
			dir := t.TempDir()
			wantErr(t, Write(filepath.Join(dir, "m.safetensors"), tc.ts, nil), "m.safetensors")
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("failed Write left %d files", len(entries))
			}
		})
	}
}

// TestWriteToReportsWriterError checks that a failing writer's error comes back with the count.
func TestWriteToReportsWriterError(t *testing.T) {
	w := &limitWriter{left: 20}
	n, err := WriteTo(w, sampleTensors(), nil)
	if !errors.Is(err, errDiskFull) || n != 20 {
		t.Errorf("WriteTo = %d, %v; want 20, %v", n, err, errDiskFull)
	}
}

var errDiskFull = errors.New("disk full")

type limitWriter struct{ left int }

func (w *limitWriter) Write(p []byte) (int, error) {
	if len(p) <= w.left {
		w.left -= len(p)
		return len(p), nil
	}
	n := w.left
	w.left = 0
	return n, errDiskFull
}

func TestUnreadableDTypes(t *testing.T) {
	f, err := Parse(mustWriteTo(t, sampleTensors(), nil), "mem.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	ids, _ := f.Tensor("ids")
	if got := binary.LittleEndian.Uint64(ids.Data[8:]); got != 2 {
		t.Errorf("raw I64 element 1 = %d, want 2", got)
	}
	_, err = ids.Float32()
	wantErr(t, err, "mem.safetensors", `tensor "ids"`, "I64")
	if !errors.Is(err, ErrUnsupportedDType) {
		t.Errorf("error %v does not wrap ErrUnsupportedDType", err)
	}
	w, _ := f.Tensor("w.f32")
	_, err = w.BFloat16()
	wantErr(t, err, "mem.safetensors", `tensor "w.f32"`, "F32")
	bad := Tensor{Name: "user", DType: F32, Shape: []int{3}, Data: make([]byte, 8)}
	_, err = bad.Float32()
	wantErr(t, err, "<memory>", `tensor "user"`, "8 bytes")
}
