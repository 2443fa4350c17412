package wire

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// validFrames is one encoded frame of every kind.
func validFrames(t *testing.T) map[string][]byte {
	frames := map[string][]byte{}
	for _, tc := range sampleSteps() {
		if tc.step.Rows*tc.step.Width <= 256 {
			frames[tc.name] = mustAppendStep(t, tc.step)
		}
	}
	e, err := AppendError(nil, &ErrorFrame{Epoch: 3, StepID: 4, Hop: 2, Code: CodeInternal, Worker: "w-1", Message: "oom"})
	if err != nil {
		t.Fatal(err)
	}
	frames["error"] = e
	return frames
}

func decodeAny(b []byte) error {
	if _, err := DecodeStep(b); err == nil {
		return nil
	}
	_, err := DecodeError(b)
	return err
}

func TestDecodeTruncatedAtEveryOffset(t *testing.T) {
	for name, b := range validFrames(t) {
		for n := range len(b) {
			if _, err := DecodeStep(b[:n]); !errors.Is(err, ErrShort) {
				t.Fatalf("%s cut to %d of %d bytes: DecodeStep error %v, want ErrShort", name, n, len(b), err)
			}
			if _, err := DecodeError(b[:n]); !errors.Is(err, ErrShort) {
				t.Fatalf("%s cut to %d of %d bytes: DecodeError error %v, want ErrShort", name, n, len(b), err)
			}
		}
	}
}

func TestDecodeDetectsEveryBitFlip(t *testing.T) {
	for name, b := range validFrames(t) {
		for i := range len(b) * 8 {
			c := append([]byte(nil), b...)
			c[i/8] ^= 1 << (i % 8)
			if err := decodeAny(c); err == nil {
				t.Fatalf("%s with bit %d flipped decoded without error", name, i)
			}
		}
	}
}

func TestDecodeTrailingBytes(t *testing.T) {
	b := validFrames(t)["tokens-prefill"]
	if _, err := DecodeStep(append(b, 0)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "trailing") {
		t.Fatalf("frame with a trailing byte: %v", err)
	}
}

// TestDecodeLyingFields edits one field of a valid frame and reseals its checksum, so the edit
// must be caught by the field checks themselves.
func TestDecodeLyingFields(t *testing.T) {
	base := mustAppendStep(t, sampleStep(KindHidden, F32, 2, Segment{Seq: 1, Rows: 2, Flags: SegFirst}, Segment{Seq: 2, Start: 4, Rows: 1}))
	p := stepPrefix + 2*segmentSize // payload header offset
	cases := []struct {
		name string
		edit func(b []byte) []byte
		is   error
		want string
	}{
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }, ErrMagic, "bad magic"},
		{"version 0", func(b []byte) []byte { b[4] = 0; return b }, ErrVersion, "version 0"},
		{"version 2", func(b []byte) []byte { b[4] = 2; return b }, ErrVersion, "version 2"},
		{"kind", func(b []byte) []byte { b[5] = 200; return b }, ErrInvalid, "frame kind 200"},
		{"kind error", func(b []byte) []byte { b[5] = byte(KindError); return b }, ErrInvalid, "is not a step"},
		{"frame flags", func(b []byte) []byte { b[6] = 1; return b }, ErrInvalid, "frame flags"},
		{"nseg huge", func(b []byte) []byte { put32(b, 36, 0xffffffff); return b }, ErrInvalid, "segment count 4294967295"},
		{"nseg +1", func(b []byte) []byte { put32(b, 36, 3); return b }, ErrInvalid, ""},
		{"nseg -1", func(b []byte) []byte { put32(b, 36, 1); return b }, ErrInvalid, ""},
		{"nseg 0", func(b []byte) []byte { put32(b, 36, 0); return b }, ErrInvalid, ""},
		{"dtype", func(b []byte) []byte { b[p] = 9; return b }, ErrInvalid, "payload dtype 9"},
		{"dtype i32", func(b []byte) []byte { b[p] = byte(I32); return b }, ErrInvalid, "want F32 or BF16"},
		{"dtype bf16", func(b []byte) []byte { b[p] = byte(BF16); return b }, ErrInvalid, "does not match"},
		{"reserved", func(b []byte) []byte { b[p+2] = 1; return b }, ErrInvalid, "reserved"},
		{"rows +1", func(b []byte) []byte { put32(b, p+4, 4); return b }, ErrInvalid, "does not match"},
		{"rows huge", func(b []byte) []byte { put32(b, p+4, 0xffffffff); return b }, ErrInvalid, "does not match"},
		{"rows and width swapped", func(b []byte) []byte { put32(b, p+4, 2); put32(b, p+8, 3); return b }, ErrInvalid, "add up to"},
		{"width 0", func(b []byte) []byte { put32(b, p+8, 0); return b }, ErrInvalid, "width 0"},
		{"width huge", func(b []byte) []byte { put32(b, p+8, 0x80000000); return b }, ErrInvalid, "does not match"},
		{"segment rows", func(b []byte) []byte { put32(b, stepPrefix+12, 3); return b }, ErrInvalid, "add up to"},
		{"segment flags", func(b []byte) []byte { put32(b, stepPrefix+16, 0x100); return b }, ErrInvalid, "undefined segment flags"},
		{"first with start", func(b []byte) []byte { put32(b, stepPrefix+8, 1); return b }, ErrInvalid, "first chunk starts at 1"},
		{"duplicate seq", func(b []byte) []byte { b[stepPrefix+segmentSize] = 1; return b }, ErrInvalid, "appears in segments"},
		{"data removed", func(b []byte) []byte { return append(b[:len(b)-8], b[len(b)-4:]...) }, ErrInvalid, "does not match"},
		{"data added", func(b []byte) []byte { return append(b[:len(b)-4], 0, 0, 0, 0, 0, 0, 0, 0) }, ErrInvalid, "does not match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := reseal(tc.edit(append([]byte(nil), base...)))
			_, err := DecodeStep(b)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %v containing %q", err, tc.is, tc.want)
			}
		})
	}
}

func TestDecodeChecksum(t *testing.T) {
	b := validFrames(t)["hidden-bf16"]
	b[len(b)-1] ^= 0x80
	if _, err := DecodeStep(b); !errors.Is(err, ErrChecksum) {
		t.Fatalf("corrupt crc: %v, want ErrChecksum", err)
	}
	b[len(b)-1] ^= 0x80
	b[60] ^= 1
	if _, err := DecodeStep(b); !errors.Is(err, ErrChecksum) {
		t.Fatalf("corrupt data: %v, want ErrChecksum", err)
	}
}

func put32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
