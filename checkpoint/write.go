package checkpoint

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"unicode/utf8"
)

// Write writes tensors, in the order given, and meta (omitted when empty) as the safetensors
// file path. It writes a temporary file in the same directory, syncs it and renames it over
// path, so a reader never sees a partial file and a checkpoint mapped from the old file keeps
// its (unlinked) data.
func Write(path string, tensors []Tensor, meta map[string]string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tmp.Close(), os.Remove(tmp.Name()))
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if _, err := writeTo(bw, path, tensors, meta); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", path, err)
	}
	if err := finish(tmp, path); err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", path, err)
	}
	return nil
}

// finish makes the temporary file readable like an ordinary output file, flushes it to disk
// and moves it to path.
func finish(tmp *os.File, path string) error {
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteTo writes tensors, in the order given, and meta (omitted when empty) to w as one
// safetensors stream and returns the number of bytes written. Every tensor is checked (name
// non-empty, unique and not "__metadata__"; dtype known; len(Data) matching Shape) before the
// first byte is written.
func WriteTo(w io.Writer, tensors []Tensor, meta map[string]string) (int64, error) {
	return writeTo(w, "<stream>", tensors, meta)
}

func writeTo(w io.Writer, file string, tensors []Tensor, meta map[string]string) (int64, error) {
	hdr, err := encodeHeader(file, tensors, meta)
	if err != nil {
		return 0, err
	}
	cw := &countingWriter{w: w}
	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(hdr)))
	cw.write(prefix[:])
	cw.write(hdr)
	for _, t := range tensors {
		cw.write(t.Data)
	}
	if cw.err != nil {
		return cw.n, fmt.Errorf("checkpoint: write %s: %w", file, cw.err)
	}
	return cw.n, nil
}

// encodeHeader builds the JSON header, "__metadata__" first and tensors in the given order at
// consecutive offsets, padded with spaces to a multiple of 8 bytes as the reference writer does,
// so that the data section starts 8-byte aligned.
func encodeHeader(file string, tensors []Tensor, meta map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	if err := checkMeta(file, meta); err != nil {
		return nil, err
	}
	if len(meta) > 0 {
		buf.WriteString(`"` + metadataKey + `":`)
		writeJSON(&buf, meta) // map keys come out sorted
	}
	seen := make(map[string]bool, len(tensors))
	var off int64
	for i, t := range tensors {
		if err := checkWritable(file, i, t, seen); err != nil {
			return nil, err
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		writeEntry(&buf, t, off)
		off += int64(len(t.Data))
	}
	buf.WriteByte('}')
	for buf.Len()%8 != 0 {
		buf.WriteByte(' ')
	}
	if buf.Len() > MaxHeaderSize {
		return nil, headerErr(file, "header of %d bytes exceeds the limit of %d", buf.Len(), MaxHeaderSize)
	}
	return buf.Bytes(), nil
}

// checkMeta refuses metadata that JSON would not carry unchanged.
func checkMeta(file string, meta map[string]string) error {
	for k, v := range meta {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return headerErr(file, "%s entry %q: not valid UTF-8", metadataKey, k)
		}
	}
	return nil
}

// checkWritable refuses a tensor the reader would refuse.
func checkWritable(file string, i int, t Tensor, seen map[string]bool) error {
	switch {
	case t.Name == "":
		return headerErr(file, "tensor %d has an empty name", i)
	case !utf8.ValidString(t.Name):
		return headerErr(file, "tensor %d: name %q is not valid UTF-8", i, t.Name)
	case t.Name == metadataKey:
		return tensorErr(file, t.Name, "name is reserved for metadata")
	case seen[t.Name]:
		return tensorErr(file, t.Name, "given twice")
	case !t.DType.Known():
		return tensorErr(file, t.Name, "unknown dtype %q", t.DType)
	}
	seen[t.Name] = true
	size, err := byteSize(t.DType, t.Shape)
	if err != nil {
		return tensorErr(file, t.Name, "%v", err)
	}
	if size != int64(len(t.Data)) {
		return tensorErr(file, t.Name, "holds %d bytes, shape %v of %s needs %d", len(t.Data), t.Shape, t.DType, size)
	}
	return nil
}

// writeEntry appends `"name":{"dtype":..,"shape":[..],"data_offsets":[off,off+len]}`.
func writeEntry(buf *bytes.Buffer, t Tensor, off int64) {
	writeJSON(buf, t.Name)
	buf.WriteString(`:{"dtype":`)
	writeJSON(buf, string(t.DType))
	buf.WriteString(`,"shape":[`)
	for i, d := range t.Shape {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(strconv.Itoa(d))
	}
	buf.WriteString(`],"data_offsets":[`)
	buf.WriteString(strconv.FormatInt(off, 10) + "," + strconv.FormatInt(off+int64(len(t.Data)), 10) + "]}")
}

// writeJSON appends v as compact JSON without HTML escaping (names are written as they are).
func writeJSON(buf *bytes.Buffer, v any) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	// Strings and map[string]string always encode (invalid UTF-8 is refused before this).
	_ = enc.Encode(v)
	buf.Truncate(buf.Len() - 1) // Encode's trailing newline
}

// countingWriter counts bytes and keeps the first error, after which it writes nothing.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) write(p []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
}
