package checkpoint

// Tensor is one named tensor of a checkpoint.
//
// For a tensor of an opened checkpoint, Data points into the memory-mapped file: it is
// read-only (writing to it faults) and valid only until the Checkpoint is closed; the same
// holds for the zero-copy slices returned by Float32 and BFloat16. For Parse, Data aliases the
// parsed buffer.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte // raw little-endian bytes, len = NumElements × DType size
	File  string // file it came from, for error messages
}

// NumElements is the product of Shape (1 for a scalar, shape []).
func (t Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Float32 returns the values as float32. F32 data is returned as a zero-copy view when it is
// 4-byte aligned on a little-endian machine, and copied otherwise. BF16 and F16 are widened
// exactly (every value, subnormals, infinities and NaN payloads included) into a new slice.
// Any other dtype is an error wrapping ErrUnsupportedDType that names the file, tensor and dtype.
func (t Tensor) Float32() ([]float32, error) {
	if !t.DType.Readable() {
		return nil, t.unsupported("Float32 reads F32, BF16 or F16")
	}
	n, err := t.checkLen()
	if err != nil {
		return nil, err
	}
	switch t.DType {
	case F32:
		return f32View(t.Data, n), nil
	case BF16:
		return widenBF16(t.Data, n), nil
	default:
		return widenF16(t.Data, n), nil
	}
}

// BFloat16 returns BF16 values as their raw uint16 bit patterns: a zero-copy view when the data
// is 2-byte aligned on a little-endian machine, a copy otherwise. Any other dtype is an error
// wrapping ErrUnsupportedDType (no silent rounding of F32 weights).
func (t Tensor) BFloat16() ([]uint16, error) {
	if t.DType != BF16 {
		return nil, t.unsupported("BFloat16 reads BF16 only")
	}
	n, err := t.checkLen()
	if err != nil {
		return nil, err
	}
	return u16View(t.Data, n), nil
}

// checkLen checks that Data holds exactly Shape in DType and returns the element count.
func (t Tensor) checkLen() (int, error) {
	size, err := byteSize(t.DType, t.Shape)
	if err != nil {
		return 0, tensorErr(fileName(t.File), t.Name, "%v", err)
	}
	if size != int64(len(t.Data)) {
		return 0, tensorErr(fileName(t.File), t.Name, "holds %d bytes, shape %v of %s needs %d",
			len(t.Data), t.Shape, t.DType, size)
	}
	return t.NumElements(), nil
}

func (t Tensor) unsupported(what string) error {
	return tensorErr(fileName(t.File), t.Name, "%w %s (%s)", ErrUnsupportedDType, t.DType, what)
}

// fileName is the file named in errors about a tensor that came from no file.
func fileName(f string) string {
	if f == "" {
		return "<memory>"
	}
	return f
}

// FromFloat32 builds an F32 tensor holding a little-endian copy of v.
func FromFloat32(name string, shape []int, v []float32) Tensor {
	return Tensor{Name: name, DType: F32, Shape: shape, Data: encodeF32(v)}
}

// FromBFloat16 builds a BF16 tensor holding a little-endian copy of the bit patterns v.
func FromBFloat16(name string, shape []int, v []uint16) Tensor {
	return Tensor{Name: name, DType: BF16, Shape: shape, Data: encodeU16(v)}
}
