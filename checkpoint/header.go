package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxHeaderSize is the largest JSON header accepted, in bytes: the limit of the reference
// implementation (100 MB). The real Hymba-1.5B header (611 entries) is well under 100 kB.
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key holding the free-form string metadata.
const metadataKey = "__metadata__"

// Header is the validated header of one safetensors file.
type Header struct {
	Len       int64             // N, length of the JSON header in bytes (padding included)
	DataStart int64             // 8 + N: file offset of the data section
	DataSize  int64             // bytes from DataStart to the end of the file
	Tensors   []TensorInfo      // in header order
	Metadata  map[string]string // the "__metadata__" object; nil when absent
}

// TensorInfo is one validated header entry. Begin and End are byte offsets relative to the data
// section, Begin <= End <= Header.DataSize, and End-Begin is exactly the size of Shape in DType.
type TensorInfo struct {
	Name       string
	DType      DType
	Shape      []int
	Begin, End int64
}

// ParseHeader parses and validates the header of a safetensors file of fileSize bytes whose
// first bytes are b. b must hold at least the 8-byte length prefix and the JSON header; it may
// hold the whole file. ParseHeader never reads past the header and never panics: every problem
// (length prefix against the file size and MaxHeaderSize, UTF-8 and JSON validity, duplicate
// names, unknown dtypes, negative or overflowing shapes, offsets outside the data section or
// not matching shape×dtype, overlapping tensors) is an *Error naming file and the tensor or
// "header" at fault.
func ParseHeader(b []byte, fileSize int64, file string) (*Header, error) {
	n, err := headerLen(b, fileSize, file)
	if err != nil {
		return nil, err
	}
	h := &Header{Len: n, DataStart: 8 + n, DataSize: fileSize - 8 - n}
	if err := decodeHeader(b[8:8+n], file, h); err != nil {
		return nil, err
	}
	if err := checkOverlap(h.Tensors, file); err != nil {
		return nil, err
	}
	return h, nil
}

// headerLen reads and checks the 8-byte little-endian header length N.
func headerLen(b []byte, fileSize int64, file string) (int64, error) {
	switch {
	case int64(len(b)) > fileSize:
		return 0, headerErr(file, "buffer of %d bytes is longer than the file size %d", len(b), fileSize)
	case fileSize < 8:
		return 0, headerErr(file, "file is %d bytes, shorter than the 8-byte header length prefix", fileSize)
	case len(b) < 8:
		return 0, headerErr(file, "buffer of %d bytes does not hold the 8-byte header length prefix", len(b))
	}
	u := binary.LittleEndian.Uint64(b)
	if u > MaxHeaderSize {
		return 0, headerErr(file, "header length %d exceeds the limit of %d bytes", u, MaxHeaderSize)
	}
	n := int64(u)
	if 8+n > fileSize {
		return 0, headerErr(file, "header length %d runs past the end of the %d-byte file (truncated?)", n, fileSize)
	}
	if int64(len(b)) < 8+n {
		return 0, headerErr(file, "buffer holds %d of the %d header bytes", len(b)-8, n)
	}
	return n, nil
}

// decodeHeader decodes the JSON object key by key, so that a name listed twice is caught
// (encoding/json into a map would silently keep the last one).
func decodeHeader(raw []byte, file string, h *Header) error {
	if !utf8.Valid(raw) {
		return headerErr(file, "not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return headerErr(file, "not a JSON object")
	}
	seen := make(map[string]bool)
	err := forEachKey(dec, file, func(key string) error { return decodeKey(dec, key, seen, file, h) })
	if err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return headerErr(file, "data after the JSON object (only space padding is allowed)")
	}
	return nil
}

// forEachKey walks the members of the JSON object whose '{' the decoder has just read, up to
// and including its '}', calling fn with each key; fn must decode the member's value. Walking
// keys one by one (rather than decoding into a map) is what catches a name listed twice.
func forEachKey(dec *json.Decoder, file string, fn func(key string) error) error {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return headerErr(file, "invalid JSON: %s", jsonProblem(err))
		}
		key, _ := tok.(string)
		if err := fn(key); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return headerErr(file, "invalid JSON: %s", jsonProblem(err))
	}
	return nil
}

// jsonProblem words a decoding error for the user, without Go type names.
func jsonProblem(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field == "" {
			return fmt.Sprintf("a JSON %s where an object {dtype, shape, data_offsets} belongs", te.Value)
		}
		return fmt.Sprintf("field %q is a JSON %s", te.Field, te.Value)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of the JSON"
	}
	return err.Error()
}

// decodeKey decodes the value of one top-level key: the metadata object or a tensor entry.
func decodeKey(dec *json.Decoder, key string, seen map[string]bool, file string, h *Header) error {
	if seen[key] {
		if key == metadataKey {
			return headerErr(file, "%s listed twice", metadataKey)
		}
		return tensorErr(file, key, "listed twice in the header")
	}
	seen[key] = true
	if key == metadataKey {
		if err := dec.Decode(&h.Metadata); err != nil {
			return headerErr(file, "%s must map strings to strings: %v", metadataKey, err)
		}
		return nil
	}
	if key == "" {
		return headerErr(file, "empty tensor name")
	}
	var e rawEntry
	if err := dec.Decode(&e); err != nil {
		return tensorErr(file, key, "invalid entry: %s", jsonProblem(err))
	}
	info, err := e.validate(key, h.DataSize, file)
	if err != nil {
		return err
	}
	h.Tensors = append(h.Tensors, info)
	return nil
}
