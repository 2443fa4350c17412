package kvshare

import (
	"fmt"
	"strings"
)

// DType is the type a pool's pages store K/V values in. The zero value is F32.
type DType uint8

const (
	// F32 pages hold float32 values: what every bit-identical property and the golden tests
	// are measured on, and the default.
	F32 DType = iota
	// BF16 pages hold bfloat16 values (the upper 16 bits of a float32): half the memory.
	// Writes round to nearest, ties to even; reads widen exactly.
	BF16
)

// String returns "f32" or "bf16" (the spelling ParseDType and the --kv flags take).
func (d DType) String() string {
	switch d {
	case F32:
		return "f32"
	case BF16:
		return "bf16"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size is the bytes of one value, 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case F32:
		return 4
	case BF16:
		return 2
	}
	return 0
}

func (d DType) valid() bool { return d.Size() > 0 }

// ParseDType reads a K/V dtype: "f32" (also "float32", "fp32") or "bf16" (also "bfloat16"),
// case-insensitive. The error names the value it could not read.
func ParseDType(s string) (DType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "f32", "float32", "fp32":
		return F32, nil
	case "bf16", "bfloat16":
		return BF16, nil
	}
	return F32, fmt.Errorf("kvshare: K/V dtype %q: want f32 or bf16", s)
}

// PageBytes is the memory of one page of rows rows of kw K and vw V values of type dt.
func PageBytes(rows, kw, vw int, dt DType) int64 {
	return int64(rows) * int64(kw+vw) * int64(dt.Size())
}
