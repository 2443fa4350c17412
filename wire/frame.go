package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Protocol versions. A decoder accepts frames whose version lies in [ProtocolVersionMin,
// ProtocolVersionMax]; an encoder writes ProtocolVersion.
const (
	ProtocolVersionMin = 1
	ProtocolVersionMax = 1
	ProtocolVersion    = ProtocolVersionMax
)

// HeaderSize is the size of the header every frame starts with; CRCSize the size of the
// checksum every frame ends with.
const (
	HeaderSize = 12
	CRCSize    = 4
)

// Magic opens every frame.
var Magic = [4]byte{'H', 'Y', 'M', 'W'}

// Errors wrapped by every decoding error; test with errors.Is.
var (
	ErrShort    = errors.New("wire: truncated")
	ErrMagic    = errors.New("wire: bad magic")
	ErrVersion  = errors.New("wire: unsupported version")
	ErrChecksum = errors.New("wire: checksum mismatch")
	ErrInvalid  = errors.New("wire: invalid")
)

// Kind is a frame's type. WARNING: only append; the values are part of the protocol.
type Kind uint8

const (
	KindTokens Kind = 1 // token ids into the first stage
	KindHidden Kind = 2 // hidden states between stages
	KindLogits Kind = 3 // logits from the last stage to the coordinator
	KindError  Kind = 4 // an ErrorFrame
)

func (k Kind) String() string {
	switch k {
	case KindTokens:
		return "Tokens"
	case KindHidden:
		return "Hidden"
	case KindLogits:
		return "Logits"
	case KindError:
		return "Error"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// IsStep reports whether frames of kind k decode as a Step.
func (k Kind) IsStep() bool { return k == KindTokens || k == KindHidden || k == KindLogits }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// FrameKind checks a frame's header, length and checksum and returns its kind, so a receiver
// can tell step frames from error frames before decoding.
func FrameKind(b []byte) (Kind, error) {
	if err := checkFrame(b); err != nil {
		return 0, err
	}
	return Kind(b[5]), nil
}

// checkFrame validates the header, the length field and the trailing CRC of frame b.
func checkFrame(b []byte) error {
	if len(b) >= 4 && [4]byte(b[:4]) != Magic {
		return fmt.Errorf("%w: not a frame, it starts % x", ErrMagic, b[:4])
	}
	if len(b) < HeaderSize+CRCSize {
		return fmt.Errorf("%w: frame of %d bytes, the header and crc need %d", ErrShort, len(b), HeaderSize+CRCSize)
	}
	if v := b[4]; v < ProtocolVersionMin || v > ProtocolVersionMax {
		return fmt.Errorf("%w: frame version %d, this build reads %d..%d", ErrVersion, v, ProtocolVersionMin, ProtocolVersionMax)
	}
	if k := Kind(b[5]); !k.IsStep() && k != KindError {
		return invalidf("frame kind %d", uint8(k))
	}
	if f := binary.LittleEndian.Uint16(b[6:]); f != 0 {
		return invalidf("frame flags %#x: no flags are defined in version %d", f, b[4])
	}
	n := binary.LittleEndian.Uint32(b[8:])
	if uint64(n) > uint64(len(b)) {
		return fmt.Errorf("%w: length field says %d bytes, have %d", ErrShort, n, len(b))
	}
	if uint64(n) < uint64(len(b)) {
		return invalidf("length field says %d bytes, have %d (trailing bytes)", n, len(b))
	}
	body := len(b) - CRCSize
	want := binary.LittleEndian.Uint32(b[body:])
	if got := crc32.Checksum(b[:body], castagnoli); got != want {
		return fmt.Errorf("%w: frame crc %#08x, computed %#08x", ErrChecksum, want, got)
	}
	return nil
}

// appendHeader appends the frame header; the length is patched by finishFrame.
func appendHeader(dst []byte, k Kind) []byte {
	dst = append(dst, Magic[:]...)
	dst = append(dst, ProtocolVersion, byte(k), 0, 0)
	return binary.LittleEndian.AppendUint32(dst, 0)
}

// finishFrame patches the length of the frame that starts at dst[start] and appends its CRC.
func finishFrame(dst []byte, start int) []byte {
	n := len(dst) - start + CRCSize
	binary.LittleEndian.PutUint32(dst[start+8:], uint32(n))
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}
