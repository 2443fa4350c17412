package checkpoint

import (
	"math"
	"slices"
	"testing"
	"unsafe"
)

// misalignedFile builds a file whose header is not padded, so the data section starts at
// 8+N with 8+N odd: no tensor in it is 2- or 4-byte aligned in a page-aligned mapping.
// "f" is F32 at data offset 0; "g" is F32 at data offset 6, after the 3-element BF16 "b".
func misalignedFile(t *testing.T) ([]byte, []float32, []uint16) {
	t.Helper()
	fv := []float32{1.25, -3, float32(math.Inf(1)), math.SmallestNonzeroFloat32}
	bv := []uint16{0x3f80, 0xc040, 0x0001}
	gv := []float32{7, 8}
	header := `{"f":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},` +
		`"b":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]},` +
		`"g":{"dtype":"F32","shape":[2],"data_offsets":[22,30]}}`
	if (8+len(header))%2 == 0 {
		header += " "
	}
	data := append(encodeF32(fv), encodeU16(bv)...)
	data = append(data, encodeF32(gv)...)
	return rawFile(header, data), fv, bv
}

func TestMisalignedDataIsCopiedCorrectly(t *testing.T) {
	raw, fv, bv := misalignedFile(t)
	c := mustOpen(t, writeTemp(t, "odd.safetensors", raw))
	for name, want := range map[string][]float32{"f": fv, "g": {7, 8}} {
		x := mustTensor(t, c, name)
		if uintptr(unsafe.Pointer(&x.Data[0]))%4 == 0 {
			t.Fatalf("%s: test file is aligned; it must not be", name)
		}
		got, err := x.Float32()
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(got, want) {
			t.Errorf("%s: Float32() = %v, want %v", name, got, want)
		}
		if uintptr(unsafe.Pointer(&got[0]))%4 != 0 {
			t.Errorf("%s: Float32() returned a misaligned slice", name)
		}
	}
	b := mustTensor(t, c, "b")
	got, err := b.BFloat16()
	if err != nil || !slices.Equal(got, bv) {
		t.Errorf("BFloat16() = %#v, %v; want %#v", got, err, bv)
	}
	widened, err := b.Float32()
	if err != nil || !sameBits(widened, []float32{1, -3, math.Float32frombits(0x00010000)}) {
		t.Errorf("b.Float32() = %v, %v", widened, err)
	}
}

// TestMisalignedBuffer parses an aligned file placed at an odd address in memory (as a
// network buffer may be): values must still be right.
func TestMisalignedBuffer(t *testing.T) {
	want := []float32{1, 2, 3, -0.5}
	file := mustWriteTo(t, []Tensor{FromFloat32("x", []int{4}, want)}, nil)
	buf := make([]byte, len(file)+1)
	copy(buf[1:], file)
	f, err := Parse(buf[1:], "net")
	if err != nil {
		t.Fatal(err)
	}
	x, _ := f.Tensor("x")
	got, err := x.Float32()
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Float32() = %v, %v; want %v", got, err, want)
	}
	if &x.Data[0] != &buf[len(buf)-16] {
		t.Error("Data does not alias the parsed buffer")
	}
}
