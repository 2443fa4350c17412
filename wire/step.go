package wire

import (
	"fmt"
	"math"
)

// DType is the element type of a step's payload. WARNING: only append; the values are part
// of the protocol.
type DType uint8

const (
	I32  DType = 1 // int32 token ids
	F32  DType = 2 // float32
	BF16 DType = 3 // bfloat16 bit patterns (the high half of a float32)
)

func (d DType) String() string {
	switch d {
	case I32:
		return "I32"
	case F32:
		return "F32"
	case BF16:
		return "BF16"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size is the width of one element in bytes, 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case I32, F32:
		return 4
	case BF16:
		return 2
	}
	return 0
}

// SegFlags are the per-sequence flags of a segment. WARNING: only append.
type SegFlags uint32

const (
	SegFirst     SegFlags = 1 << 0 // first chunk of a new sequence: prepend the meta tokens
	SegPromptEnd SegFlags = 1 << 1 // the chunk ends the prompt
	SegRelease   SegFlags = 1 << 2 // free the sequence's state after this step
	SegAllLogits SegFlags = 1 << 3 // return logits for every row instead of only the last

	segKnown = SegFirst | SegPromptEnd | SegRelease | SegAllLogits
)

// Segment describes the payload rows of one sequence in a step.
type Segment struct {
	Seq   uint64   // sequence id
	Start uint32   // text tokens already processed for the sequence
	Rows  uint32   // payload rows that belong to the sequence
	Flags SegFlags // SegFirst | SegPromptEnd | SegRelease | SegAllLogits
}

// Step is one micro-batch on its way through the pipeline: a Tokens, Hidden or Logits frame.
//
// The payload is Rows×Width values, row-major, in the slice that matches DType (I32, F32 or
// BF16); the other two slices are ignored by the encoder and truncated to length 0 by the
// decoder, which keeps their capacity for reuse.
type Step struct {
	Kind     Kind
	Epoch    uint64 // plan epoch the step runs under
	StepID   uint64 // unique per coordinator; replies echo it
	Replica  uint32 // pipeline replica
	Hop      uint32 // stage index the frame is addressed to
	Segments []Segment
	DType    DType
	Rows     int // payload rows: the sum of the segments' rows
	Width    int // values per row: 1 for tokens, the hidden size, or the vocabulary size
	I32      []int32
	F32      []float32
	BF16     []uint16
}

// Sizes of the fixed parts of a step frame.
const (
	stepPrefix     = HeaderSize + 28 // header + epoch, step, replica, hop, nseg
	segmentSize    = 20
	payloadHdrSize = 12
)

// EncodedSize is the size of s as a frame, or an error if s cannot be encoded.
func (s *Step) EncodedSize() (int, error) {
	if err := s.Validate(); err != nil {
		return 0, err
	}
	return s.encodedSize(), nil
}

func (s *Step) encodedSize() int {
	return stepPrefix + segmentSize*len(s.Segments) + payloadHdrSize + s.Rows*s.Width*s.DType.Size() + CRCSize
}

// Validate checks s against the rules listed in the package documentation.
func (s *Step) Validate() error {
	if err := s.validatePayloadShape(); err != nil {
		return err
	}
	if err := s.validateSegments(); err != nil {
		return err
	}
	if s.Kind == KindTokens {
		for i, t := range s.I32[:s.Rows] {
			if t < 0 {
				return invalidf("token id %d at row %d is negative", t, i)
			}
		}
	}
	return nil
}

func (s *Step) validatePayloadShape() error {
	switch s.Kind {
	case KindTokens:
		if s.DType != I32 {
			return invalidf("%s frame with dtype %s, want I32", s.Kind, s.DType)
		}
		if s.Width != 1 {
			return invalidf("%s frame with width %d, want 1", s.Kind, s.Width)
		}
	case KindHidden, KindLogits:
		if s.DType != F32 && s.DType != BF16 {
			return invalidf("%s frame with dtype %s, want F32 or BF16", s.Kind, s.DType)
		}
	default:
		return invalidf("step kind %s", s.Kind)
	}
	if s.Width < 1 || uint64(s.Width) > math.MaxUint32 {
		return invalidf("width %d", s.Width)
	}
	if s.Rows < 0 || uint64(s.Rows) > math.MaxUint32 {
		return invalidf("rows %d", s.Rows)
	}
	if len(s.Segments) == 0 {
		return invalidf("no segments")
	}
	fixed := uint64(stepPrefix+payloadHdrSize+CRCSize) + segmentSize*uint64(len(s.Segments))
	values := uint64(s.Rows) * uint64(s.Width)
	if fixed > math.MaxUint32 || values > (math.MaxUint32-fixed)/uint64(s.DType.Size()) {
		return invalidf("%d segments and %d×%d %s exceed the 4 GiB frame limit", len(s.Segments), s.Rows, s.Width, s.DType)
	}
	if n := s.payloadLen(); uint64(n) != values {
		return invalidf("%s payload holds %d values, rows×width is %d", s.DType, n, values)
	}
	return nil
}

func (s *Step) payloadLen() int {
	switch s.DType {
	case I32:
		return len(s.I32)
	case F32:
		return len(s.F32)
	case BF16:
		return len(s.BF16)
	}
	return 0
}

func (s *Step) validateSegments() error {
	var sum uint64
	for i, g := range s.Segments {
		if err := s.validateSegment(g); err != nil {
			return fmt.Errorf("segment %d (seq %d): %w", i, g.Seq, err)
		}
		sum += uint64(g.Rows)
	}
	if sum != uint64(s.Rows) {
		return invalidf("segment rows add up to %d, payload has %d rows", sum, s.Rows)
	}
	return checkDistinctSeqs(s.Segments)
}

func (s *Step) validateSegment(g Segment) error {
	if g.Flags&^segKnown != 0 {
		return invalidf("undefined segment flags %#x", uint32(g.Flags&^segKnown))
	}
	if g.Flags&SegFirst != 0 && g.Start != 0 {
		return invalidf("first chunk starts at %d, want 0", g.Start)
	}
	if uint64(g.Start)+uint64(g.Rows) > math.MaxUint32 {
		return invalidf("start %d + rows %d overflows 32 bits", g.Start, g.Rows)
	}
	if s.Kind == KindLogits {
		if g.Flags&SegAllLogits == 0 && g.Rows > 1 {
			return invalidf("%d logits rows without the AllLogits flag", g.Rows)
		}
		return nil
	}
	if g.Rows == 0 && g.Flags&SegRelease == 0 {
		return invalidf("no rows and no Release flag")
	}
	return nil
}

// checkDistinctSeqs rejects a step that lists a sequence twice: by pairs for small batches,
// with a set for large ones so a hostile frame cannot make the check quadratic.
func checkDistinctSeqs(segs []Segment) error {
	if len(segs) <= 64 {
		for i := 1; i < len(segs); i++ {
			for j := range i {
				if segs[i].Seq == segs[j].Seq {
					return invalidf("sequence %d appears in segments %d and %d", segs[i].Seq, j, i)
				}
			}
		}
		return nil
	}
	seen := make(map[uint64]int, len(segs))
	for i, g := range segs {
		if j, ok := seen[g.Seq]; ok {
			return invalidf("sequence %d appears in segments %d and %d", g.Seq, j, i)
		}
		seen[g.Seq] = i
	}
	return nil
}
