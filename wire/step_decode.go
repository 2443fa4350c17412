package wire

import (
	"encoding/binary"
	"fmt"
)

// DecodeStep decodes a step frame into a new Step. The Step does not alias b.
func DecodeStep(b []byte) (*Step, error) {
	s := new(Step)
	if err := DecodeStepInto(s, b); err != nil {
		return nil, err
	}
	return s, nil
}

// DecodeStepInto decodes a step frame into s, reusing the capacity of s's slices: decoding a
// stream of same-shaped frames into one Step does not allocate. s does not alias b. On error
// the contents of s are unspecified.
func DecodeStepInto(s *Step, b []byte) error {
	if err := checkFrame(b); err != nil {
		return err
	}
	if k := Kind(b[5]); !k.IsStep() {
		return invalidf("frame kind %s is not a step", k)
	}
	body := b[:len(b)-CRCSize]
	if len(body) < stepPrefix {
		return fmt.Errorf("%w: step frame of %d bytes, its fixed fields need %d", ErrShort, len(b), stepPrefix+CRCSize)
	}
	s.Kind = Kind(b[5])
	s.Epoch = binary.LittleEndian.Uint64(body[12:])
	s.StepID = binary.LittleEndian.Uint64(body[20:])
	s.Replica = binary.LittleEndian.Uint32(body[28:])
	s.Hop = binary.LittleEndian.Uint32(body[32:])
	p, err := decodeSegments(s, body)
	if err != nil {
		return err
	}
	if err := decodePayload(s, body[p:]); err != nil {
		return err
	}
	return s.Validate()
}

// decodeSegments reads the segment table and returns the offset of the payload header.
func decodeSegments(s *Step, body []byte) (int, error) {
	n := binary.LittleEndian.Uint32(body[36:])
	need := uint64(stepPrefix) + segmentSize*uint64(n) + payloadHdrSize
	if need > uint64(len(body)) {
		return 0, invalidf("segment count %d needs %d bytes before the payload, frame has %d", n, need, len(body))
	}
	s.Segments = grow(s.Segments, int(n))
	off := stepPrefix
	for i := range s.Segments {
		e := body[off : off+segmentSize]
		s.Segments[i] = Segment{
			Seq:   binary.LittleEndian.Uint64(e),
			Start: binary.LittleEndian.Uint32(e[8:]),
			Rows:  binary.LittleEndian.Uint32(e[12:]),
			Flags: SegFlags(binary.LittleEndian.Uint32(e[16:])),
		}
		off += segmentSize
	}
	return off, nil
}

// decodePayload reads the payload header and data from p, which extends to the CRC.
func decodePayload(s *Step, p []byte) error {
	s.DType = DType(p[0])
	size := s.DType.Size()
	if size == 0 {
		return invalidf("payload dtype %d", p[0])
	}
	if p[1]|p[2]|p[3] != 0 {
		return invalidf("payload reserved bytes % x, want 0", p[1:4])
	}
	rows := binary.LittleEndian.Uint32(p[4:])
	width := binary.LittleEndian.Uint32(p[8:])
	data := p[payloadHdrSize:]
	if width == 0 {
		return invalidf("payload width 0")
	}
	values := uint64(rows) * uint64(width)
	if values > uint64(len(data)/size) || values*uint64(size) != uint64(len(data)) {
		return invalidf("payload rows %d × width %d of %s does not match the %d data bytes the frame carries", rows, width, s.DType, len(data))
	}
	s.Rows, s.Width = int(rows), int(width)
	s.I32, s.F32, s.BF16 = s.I32[:0], s.F32[:0], s.BF16[:0]
	switch s.DType {
	case I32:
		s.I32 = grow(s.I32, int(values))
		getI32s(s.I32, data)
	case F32:
		s.F32 = grow(s.F32, int(values))
		getF32s(s.F32, data)
	case BF16:
		s.BF16 = grow(s.BF16, int(values))
		getU16s(s.BF16, data)
	}
	return nil
}

// grow returns s resized to n elements, reusing its capacity when it suffices.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
