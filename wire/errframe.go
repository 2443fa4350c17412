package wire

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Code classifies an error frame. WARNING: only append; the values are part of the protocol.
// Decoders accept codes they do not know, so a newer worker can report a newer code.
type Code uint16

const (
	CodeStaleEpoch      Code = 1 // the step's epoch differs from the stage's plan epoch
	CodeMalformed       Code = 2 // the frame failed to decode or broke a rule
	CodeUnknownSequence Code = 3 // a segment names a sequence the stage holds no state for
	CodeInternal        Code = 4 // the stage failed while running the step
	CodeOverloaded      Code = 5 // the stage refused the step for lack of memory or queue room
	CodeShuttingDown    Code = 6 // the stage is draining and takes no new steps
)

func (c Code) String() string {
	switch c {
	case CodeStaleEpoch:
		return "stale epoch"
	case CodeMalformed:
		return "malformed"
	case CodeUnknownSequence:
		return "unknown sequence"
	case CodeInternal:
		return "internal"
	case CodeOverloaded:
		return "overloaded"
	case CodeShuttingDown:
		return "shutting down"
	}
	return fmt.Sprintf("code %d", uint16(c))
}

// Retryable reports whether the same step may succeed when sent again, after the sender has
// refreshed its plan or picked another replica: stale epoch, overloaded, shutting down.
func (c Code) Retryable() bool {
	return c == CodeStaleEpoch || c == CodeOverloaded || c == CodeShuttingDown
}

// Limits on the strings of an error frame.
const (
	MaxWorkerIDLen = 255
	MaxMessageLen  = 4096
)

const errFixed = HeaderSize + 34 // header + epoch, step, seq, hop, code, wlen, reserved, mlen

// ErrorFrame is a stage's answer to a step it could not run. It implements error.
type ErrorFrame struct {
	Epoch   uint64 // the reporter's plan epoch
	StepID  uint64 // the failed step, 0 when unknown
	Seq     uint64 // the sequence at fault for CodeUnknownSequence, else 0
	Hop     uint32 // the reporter's stage index
	Code    Code
	Worker  string // the reporter's worker id, at most MaxWorkerIDLen bytes of UTF-8
	Message string // UTF-8; the encoder truncates it to MaxMessageLen bytes
}

func (e *ErrorFrame) Error() string {
	return fmt.Sprintf("worker %q hop %d step %d epoch %d: %s: %s", e.Worker, e.Hop, e.StepID, e.Epoch, e.Code, e.Message)
}

// AppendError appends e to dst as an error frame. A message that is too long is cut at a rune
// boundary and invalid UTF-8 in it is replaced, so that reporting an error never fails because
// of its text; a zero code or a bad worker id is an error.
func AppendError(dst []byte, e *ErrorFrame) ([]byte, error) {
	if e.Code == 0 {
		return dst, invalidf("error frame code 0")
	}
	if len(e.Worker) > MaxWorkerIDLen || !utf8.ValidString(e.Worker) {
		return dst, invalidf("error frame worker id %q: want at most %d bytes of UTF-8", e.Worker, MaxWorkerIDLen)
	}
	msg := clipMessage(e.Message)
	start := len(dst)
	dst = slices.Grow(dst, errFixed+len(e.Worker)+len(msg)+CRCSize)
	dst = appendHeader(dst, KindError)
	dst = binary.LittleEndian.AppendUint64(dst, e.Epoch)
	dst = binary.LittleEndian.AppendUint64(dst, e.StepID)
	dst = binary.LittleEndian.AppendUint64(dst, e.Seq)
	dst = binary.LittleEndian.AppendUint32(dst, e.Hop)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(e.Code))
	dst = append(dst, byte(len(e.Worker)), 0)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(msg)))
	dst = append(dst, e.Worker...)
	dst = append(dst, msg...)
	return finishFrame(dst, start), nil
}

func clipMessage(m string) string {
	m = strings.ToValidUTF8(m, "\uFFFD")
	if len(m) <= MaxMessageLen {
		return m
	}
	cut := MaxMessageLen
	for cut > 0 && !utf8.RuneStart(m[cut]) {
		cut--
	}
	return m[:cut]
}

// DecodeError decodes an error frame. The strings do not alias b.
func DecodeError(b []byte) (*ErrorFrame, error) {
	if err := checkFrame(b); err != nil {
		return nil, err
	}
	if k := Kind(b[5]); k != KindError {
		return nil, invalidf("frame kind %s is not an error", k)
	}
	body := b[:len(b)-CRCSize]
	if len(body) < errFixed {
		return nil, fmt.Errorf("%w: error frame of %d bytes, its fixed fields need %d", ErrShort, len(b), errFixed+CRCSize)
	}
	e := &ErrorFrame{
		Epoch:  binary.LittleEndian.Uint64(body[12:]),
		StepID: binary.LittleEndian.Uint64(body[20:]),
		Seq:    binary.LittleEndian.Uint64(body[28:]),
		Hop:    binary.LittleEndian.Uint32(body[36:]),
		Code:   Code(binary.LittleEndian.Uint16(body[40:])),
	}
	wlen, mlen := int(body[42]), int(binary.LittleEndian.Uint16(body[44:]))
	if err := checkErrorFields(e.Code, body[43], wlen, mlen, len(body)); err != nil {
		return nil, err
	}
	worker, msg := body[errFixed:errFixed+wlen], body[errFixed+wlen:]
	if !utf8.Valid(worker) || !utf8.Valid(msg) {
		return nil, invalidf("error frame worker id or message is not UTF-8")
	}
	e.Worker, e.Message = string(worker), string(msg)
	return e, nil
}

func checkErrorFields(c Code, reserved byte, wlen, mlen, body int) error {
	if c == 0 {
		return invalidf("error frame code 0")
	}
	if reserved != 0 {
		return invalidf("error frame reserved byte %#x, want 0", reserved)
	}
	if mlen > MaxMessageLen {
		return invalidf("error frame message length %d exceeds %d", mlen, MaxMessageLen)
	}
	if errFixed+wlen+mlen != body {
		return invalidf("error frame worker length %d + message length %d do not match the %d bytes after the fixed fields", wlen, mlen, body-errFixed)
	}
	return nil
}
