package wire

import (
	"encoding/binary"
	"slices"
)

// AppendStep validates s and appends it to dst as a step frame. It grows dst at most once;
// with enough capacity it does not allocate. On error dst is returned unchanged.
func AppendStep(dst []byte, s *Step) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return dst, err
	}
	start := len(dst)
	dst = slices.Grow(dst, s.encodedSize())
	dst = appendHeader(dst, s.Kind)
	dst = binary.LittleEndian.AppendUint64(dst, s.Epoch)
	dst = binary.LittleEndian.AppendUint64(dst, s.StepID)
	dst = binary.LittleEndian.AppendUint32(dst, s.Replica)
	dst = binary.LittleEndian.AppendUint32(dst, s.Hop)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s.Segments)))
	for _, g := range s.Segments {
		dst = binary.LittleEndian.AppendUint64(dst, g.Seq)
		dst = binary.LittleEndian.AppendUint32(dst, g.Start)
		dst = binary.LittleEndian.AppendUint32(dst, g.Rows)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(g.Flags))
	}
	dst = append(dst, byte(s.DType), 0, 0, 0)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(s.Rows))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(s.Width))
	dst = appendPayload(dst, s)
	return finishFrame(dst, start), nil
}

func appendPayload(dst []byte, s *Step) []byte {
	n := len(dst)
	dst = dst[:n+s.Rows*s.Width*s.DType.Size()]
	switch s.DType {
	case I32:
		putI32s(dst[n:], s.I32)
	case F32:
		putF32s(dst[n:], s.F32)
	case BF16:
		putU16s(dst[n:], s.BF16)
	}
	return dst
}
