package checkpoint

// DType is a safetensors element type, spelled as in the file header ("F32", "BF16", ...).
type DType string

// Element types. F32, BF16 and F16 can be read as values (Tensor.Float32); the others are
// recognised so that a checkpoint holding them opens, lists and re-exports, but their values
// are refused at access.
const (
	F32  DType = "F32"
	BF16 DType = "BF16"
	F16  DType = "F16"
	F64  DType = "F64"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

// dtypeBits is every dtype of the safetensors specification with its element width in bits.
// F4 and F6_* are packed below one byte per element.
var dtypeBits = map[DType]int{
	"BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32,
	"I64": 64, "U64": 64, "F64": 64, "C64": 64,
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}

// Bits is the width of one element in bits, or 0 for a dtype the safetensors format does not
// define.
func (d DType) Bits() int { return dtypeBits[d] }

// Known reports whether d is a dtype of the safetensors format.
func (d DType) Known() bool { return dtypeBits[d] != 0 }

// Readable reports whether Tensor.Float32 can widen values of this dtype.
func (d DType) Readable() bool { return d == F32 || d == BF16 || d == F16 }
