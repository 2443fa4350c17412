package checkpoint

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
)

// rawEntry is a tensor entry as written; pointers tell a missing or null field from an empty one.
// Unknown fields are ignored, for forward compatibility.
type rawEntry struct {
	DType   *string        `json:"dtype"`
	Shape   *[]json.Number `json:"shape"`
	Offsets *[]json.Number `json:"data_offsets"`
}

// validate checks one entry against the data section size and returns it in typed form.
func (e *rawEntry) validate(name string, dataSize int64, file string) (TensorInfo, error) {
	info := TensorInfo{Name: name}
	if e.DType == nil {
		return info, tensorErr(file, name, "missing dtype")
	}
	info.DType = DType(*e.DType)
	if !info.DType.Known() {
		return info, tensorErr(file, name, "unknown dtype %q", *e.DType)
	}
	shape, err := parseShape(e.Shape)
	if err != nil {
		return info, tensorErr(file, name, "%v", err)
	}
	info.Shape = shape
	info.Begin, info.End, err = parseOffsets(e.Offsets, dataSize)
	if err != nil {
		return info, tensorErr(file, name, "%v", err)
	}
	size, err := byteSize(info.DType, shape)
	if err != nil {
		return info, tensorErr(file, name, "%v", err)
	}
	if size != info.End-info.Begin {
		return info, tensorErr(file, name, "shape %v of %s needs %d bytes but data_offsets [%d, %d] span %d",
			shape, info.DType, size, info.Begin, info.End, info.End-info.Begin)
	}
	return info, nil
}

// parseShape turns the JSON dims into non-negative ints.
func parseShape(raw *[]json.Number) ([]int, error) {
	if raw == nil {
		return nil, fmt.Errorf("missing shape")
	}
	shape := make([]int, len(*raw))
	for i, num := range *raw {
		d, err := strconv.ParseInt(num.String(), 10, 64)
		switch {
		case err == nil && d > math.MaxInt:
			return nil, fmt.Errorf("shape entry %d is %s, which overflows int", i, num)
		case err != nil || d < 0:
			return nil, fmt.Errorf("shape entry %d is %s, want a non-negative integer", i, num)
		}
		shape[i] = int(d)
	}
	return shape, nil
}

// parseOffsets parses [begin, end] and checks 0 <= begin <= end <= dataSize.
func parseOffsets(raw *[]json.Number, dataSize int64) (begin, end int64, err error) {
	if raw == nil || len(*raw) != 2 {
		return 0, 0, fmt.Errorf("data_offsets must be [begin, end]")
	}
	b, errB := strconv.ParseInt((*raw)[0].String(), 10, 64)
	e, errE := strconv.ParseInt((*raw)[1].String(), 10, 64)
	switch {
	case errB != nil || errE != nil || b < 0 || e < 0:
		return 0, 0, fmt.Errorf("data_offsets [%s, %s] must be non-negative integers", (*raw)[0], (*raw)[1])
	case b > e:
		return 0, 0, fmt.Errorf("data_offsets [%d, %d] begin after end", b, e)
	case e > dataSize:
		return 0, 0, fmt.Errorf("data_offsets [%d, %d] run past the end of the %d-byte data section", b, e, dataSize)
	}
	return b, e, nil
}

// byteSize is the storage size of shape in dtype d, with every product checked for overflow; the
// size must fit in an int, as it is sliced out of a []byte. Sub-byte dtypes must fill whole bytes.
func byteSize(d DType, shape []int) (int64, error) {
	n, err := numElements(shape)
	if err != nil {
		return 0, err
	}
	hi, nbits := bits.Mul64(uint64(n), uint64(d.Bits()))
	if hi != 0 || nbits/8 > math.MaxInt {
		return 0, fmt.Errorf("shape %v of %s overflows", shape, d)
	}
	if nbits%8 != 0 {
		return 0, fmt.Errorf("shape %v of %s does not fill whole bytes", shape, d)
	}
	return int64(nbits / 8), nil
}

// numElements is the product of shape, checked for negative entries and overflow.
func numElements(shape []int) (int64, error) {
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("shape %v has a negative entry", shape)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, fmt.Errorf("shape %v overflows", shape)
		}
		n = lo
	}
	return int64(n), nil
}

// checkOverlap refuses two tensors sharing a byte. Zero-size tensors hold no bytes and never
// overlap; gaps between tensors and bytes after the last one are tolerated (see doc.go).
func checkOverlap(ts []TensorInfo, file string) error {
	order := make([]int, 0, len(ts))
	for i, t := range ts {
		if t.End > t.Begin {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		if ts[a].Begin != ts[b].Begin {
			return cmp.Compare(ts[a].Begin, ts[b].Begin)
		}
		return cmp.Compare(ts[a].End, ts[b].End)
	})
	for k := 1; k < len(order); k++ {
		prev, cur := ts[order[k-1]], ts[order[k]]
		if cur.Begin < prev.End {
			return tensorErr(file, cur.Name, "data_offsets [%d, %d] overlap tensor %q [%d, %d]",
				cur.Begin, cur.End, prev.Name, prev.Begin, prev.End)
		}
	}
	return nil
}
