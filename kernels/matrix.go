package kernels

import (
	"fmt"
	"math"
)

// DType is the storage type of a weight matrix.
type DType uint8

const (
	F32  DType = iota // float32
	BF16              // bfloat16, widened exactly to float32 inside the kernels
)

func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case BF16:
		return "BF16"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Matrix is a row-major [Rows, Cols] weight matrix (a linear layer's [out, in]). Exactly one of
// F32 and BF16 holds Rows*Cols values; BF16 may point into a memory-mapped checkpoint.
type Matrix struct {
	Rows, Cols int
	F32        []float32
	BF16       []uint16
}

// DType reports how the matrix is stored.
func (m *Matrix) DType() DType {
	if m.BF16 != nil {
		return BF16
	}
	return F32
}

// Bytes is the size of the stored weights.
func (m *Matrix) Bytes() int64 {
	if m.BF16 != nil {
		return int64(len(m.BF16)) * 2
	}
	return int64(len(m.F32)) * 4
}

// RowSlice returns the sub-matrix of rows [lo, hi), sharing storage.
func (m *Matrix) RowSlice(lo, hi int) *Matrix {
	s := &Matrix{Rows: hi - lo, Cols: m.Cols}
	if m.BF16 != nil {
		s.BF16 = m.BF16[lo*m.Cols : hi*m.Cols]
	} else {
		s.F32 = m.F32[lo*m.Cols : hi*m.Cols]
	}
	return s
}

// Row widens row r into dst (len Cols).
func (m *Matrix) Row(dst []float32, r int) {
	if m.BF16 != nil {
		src := m.BF16[r*m.Cols : (r+1)*m.Cols]
		for i, b := range src {
			dst[i] = BF16ToF32(b)
		}
		return
	}
	copy(dst, m.F32[r*m.Cols:(r+1)*m.Cols])
}

// BF16ToF32 widens a bfloat16 exactly.
func BF16ToF32(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }

// F32ToBF16 rounds to the nearest bfloat16, ties to even (NaN stays NaN).
func F32ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return uint16(u>>16) | 0x40
	}
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}
