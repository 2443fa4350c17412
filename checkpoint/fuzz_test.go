package checkpoint

import "testing"

// FuzzParseHeader feeds arbitrary bytes to ParseHeader and Parse. Neither may panic; an accepted
// header must satisfy every invariant the readers rely on, and every tensor of an accepted file
// must be readable without a panic.
func FuzzParseHeader(f *testing.F) {
	for _, tc := range badFiles {
		f.Add(tc.file)
	}
	f.Add(mustWriteToF(f, []Tensor{ // small, so that the fuzzer minimises quickly
		FromFloat32("w", []int{2}, []float32{1, -2}),
		FromBFloat16("b", []int{3}, []uint16{0x3f80, 0x7fc0, 1}),
		{Name: "h", DType: F16, Shape: []int{2}, Data: []byte{0x00, 0x3c, 0x01, 0x00}},
		{Name: "i", DType: I64, Shape: []int{1}, Data: make([]byte, 8)},
	}, map[string]string{"format": "pt"}))
	f.Add(rawFile("{"+entry("a", "BF16", "[3]", "[1,7]")+","+entry("z", "F32", "[]", "[8,12]")+"}", make([]byte, 13)))
	f.Add(rawFile(`{"__metadata__":null,"e":{"dtype":"F4","shape":[0],"data_offsets":[0,0]}}`, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b, int64(len(b)), "fuzz")
		if err != nil {
			return
		}
		checkInvariants(t, h, int64(len(b)))
		file, err := Parse(b, "fuzz")
		if err != nil {
			t.Fatalf("ParseHeader accepted what Parse refuses: %v", err)
		}
		for _, name := range file.Names() {
			x, err := file.Tensor(name)
			if err != nil {
				t.Fatal(err)
			}
			if x.DType.Readable() {
				if v, err := x.Float32(); err != nil || len(v) != x.NumElements() {
					t.Fatalf("%s: Float32 = %d values, %v; want %d", name, len(v), err, x.NumElements())
				}
			}
		}
	})
}

// checkInvariants checks what ParseHeader promises about an accepted header.
func checkInvariants(t *testing.T, h *Header, fileSize int64) {
	t.Helper()
	if h.DataStart != 8+h.Len || h.DataStart+h.DataSize != fileSize || h.Len > MaxHeaderSize {
		t.Fatalf("bad layout: len %d start %d size %d of file %d", h.Len, h.DataStart, h.DataSize, fileSize)
	}
	seen := map[string]bool{}
	for _, a := range h.Tensors {
		if seen[a.Name] || a.Name == "" || a.Name == metadataKey {
			t.Fatalf("tensor name %q empty, reserved or duplicated", a.Name)
		}
		seen[a.Name] = true
		size, err := byteSize(a.DType, a.Shape)
		if !a.DType.Known() || err != nil || a.Begin < 0 || a.Begin > a.End || a.End > h.DataSize || size != a.End-a.Begin {
			t.Fatalf("tensor %q: %s %v at [%d, %d] in %d bytes (%v)", a.Name, a.DType, a.Shape, a.Begin, a.End, h.DataSize, err)
		}
		for _, b := range h.Tensors {
			if a.Name != b.Name && a.Begin < b.End && b.Begin < a.End {
				t.Fatalf("tensors %q and %q overlap", a.Name, b.Name)
			}
		}
	}
}

func mustWriteToF(f *testing.F, ts []Tensor, meta map[string]string) []byte {
	f.Helper()
	var buf bytesBuffer
	if _, err := WriteTo(&buf, ts, meta); err != nil {
		f.Fatal(err)
	}
	return buf
}

// bytesBuffer is a minimal io.Writer collecting bytes.
type bytesBuffer []byte

func (b *bytesBuffer) Write(p []byte) (int, error) {
	*b = append(*b, p...)
	return len(p), nil
}
