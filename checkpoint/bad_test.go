package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// entry formats one header entry.
func entry(name, dtype, shape, offsets string) string {
	return fmt.Sprintf(`%q:{"dtype":%q,"shape":%s,"data_offsets":%s}`, name, dtype, shape, offsets)
}

// badFiles are broken files, each with the strings its error must contain besides the file name.
var badFiles = []struct {
	name  string
	file  []byte
	wants []string
}{
	{"empty file", nil, []string{"header", "shorter than the 8-byte"}},
	{"5-byte file", []byte{1, 0, 0, 0, 0}, []string{"header", "shorter than the 8-byte"}},
	{"header length larger than file", append(binary.LittleEndian.AppendUint64(nil, 1000), "{}"...), []string{"header", "1000", "runs past the end"}},
	{"header length over limit", binary.LittleEndian.AppendUint64(nil, 1<<40), []string{"header", "exceeds the limit"}},
	{"not JSON", rawFile("not json at all", nil), []string{"header", "not a JSON object"}},
	{"JSON array", rawFile("[1,2]", nil), []string{"header", "not a JSON object"}},
	{"unterminated JSON", rawFile(`{"a":{"dtype":"F32"`, nil), []string{`tensor "a"`, "invalid entry"}},
	{"unterminated object", rawFile(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}`, make([]byte, 4)), []string{"header", "invalid JSON"}},
	{"missing comma", rawFile(`{"__metadata__":{} "a":1}`, nil), []string{"header", "invalid JSON"}},
	{"trailing data", rawFile(`{}x`, nil), []string{"header", "after the JSON object"}},
	{"second object", rawFile(`{}{}`, nil), []string{"header", "after the JSON object"}},
	{"invalid UTF-8", rawFile("{\"\xff\":1}", nil), []string{"header", "UTF-8"}},
	{"offsets past the end", rawFile("{"+entry("a", "F32", "[2]", "[0,8]")+"}", make([]byte, 4)), []string{`tensor "a"`, "past the end"}},
	{"overlapping offsets", rawFile("{"+entry("a", "F32", "[2]", "[0,8]")+","+entry("b", "F32", "[2]", "[4,12]")+"}", make([]byte, 12)), []string{`tensor "b"`, `overlap tensor "a"`}},
	{"contained offsets", rawFile("{"+entry("big", "F32", "[4]", "[0,16]")+","+entry("in", "F32", "[1]", "[4,8]")+"}", make([]byte, 16)), []string{`tensor "in"`, `overlap tensor "big"`}},
	{"shape product mismatch", rawFile("{"+entry("a", "F32", "[2,2]", "[0,12]")+"}", make([]byte, 12)), []string{`tensor "a"`, "needs 16 bytes"}},
	{"negative shape", rawFile("{"+entry("a", "F32", "[-1,4]", "[0,0]")+"}", nil), []string{`tensor "a"`, "non-negative integer"}},
	{"fractional shape", rawFile("{"+entry("a", "F32", "[1.5]", "[0,4]")+"}", make([]byte, 4)), []string{`tensor "a"`, "non-negative integer"}},
	{"shape overflow", rawFile("{"+entry("a", "F32", "[4611686018427387904,4611686018427387904]", "[0,0]")+"}", nil), []string{`tensor "a"`, "overflows"}},
	{"byte size overflow", rawFile("{"+entry("a", "F64", "[4611686018427387904]", "[0,0]")+"}", nil), []string{`tensor "a"`, "overflows"}},
	{"huge shape entry", rawFile("{"+entry("a", "F32", "[1e30]", "[0,0]")+"}", nil), []string{`tensor "a"`, "non-negative integer"}},
	{"begin after end", rawFile("{"+entry("a", "F32", "[1]", "[8,4]")+"}", make([]byte, 8)), []string{`tensor "a"`, "begin after end"}},
	{"negative offset", rawFile("{"+entry("a", "F32", "[2]", "[-4,4]")+"}", make([]byte, 8)), []string{`tensor "a"`, "non-negative"}},
	{"three offsets", rawFile("{"+entry("a", "F32", "[1]", "[0,4,8]")+"}", make([]byte, 8)), []string{`tensor "a"`, "[begin, end]"}},
	{"unknown dtype", rawFile("{"+entry("a", "Q4", "[1]", "[0,1]")+"}", make([]byte, 1)), []string{`tensor "a"`, `unknown dtype "Q4"`}},
	{"partial byte", rawFile("{"+entry("a", "F4", "[3]", "[0,2]")+"}", make([]byte, 2)), []string{`tensor "a"`, "whole bytes"}},
	{"missing dtype", rawFile(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), []string{`tensor "a"`, "missing dtype"}},
	{"null shape", rawFile(`{"a":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, make([]byte, 4)), []string{`tensor "a"`, "missing shape"}},
	{"missing offsets", rawFile(`{"a":{"dtype":"F32","shape":[1]}}`, make([]byte, 4)), []string{`tensor "a"`, "data_offsets"}},
	{"entry not an object", rawFile(`{"a":5}`, nil), []string{`tensor "a"`, "invalid entry"}},
	{"shape not an array", rawFile(`{"a":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}`, make([]byte, 8)), []string{`tensor "a"`, "invalid entry"}},
	{"duplicate name", rawFile("{"+entry("a", "F32", "[1]", "[0,4]")+","+entry("a", "F32", "[1]", "[4,8]")+"}", make([]byte, 8)), []string{`tensor "a"`, "twice"}},
	{"duplicate metadata", rawFile(`{"__metadata__":{},"__metadata__":{}}`, nil), []string{"header", "__metadata__ listed twice"}},
	{"metadata not strings", rawFile(`{"__metadata__":{"k":1}}`, nil), []string{"header", "__metadata__ must map strings"}},
	{"empty name", rawFile("{"+entry("", "F32", "[1]", "[0,4]")+"}", make([]byte, 4)), []string{"header", "empty tensor name"}},
}

// TestBadFiles feeds every broken file to Parse and to Open (from disk, through the mmap path).
func TestBadFiles(t *testing.T) {
	for _, tc := range badFiles {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.file, "blob.safetensors")
			wantErr(t, err, append(tc.wants, "blob.safetensors")...)
			if _, ok := errors.AsType[*Error](err); !ok {
				t.Errorf("Parse error %T is not *Error", err)
			}
			path := writeTemp(t, "broken.safetensors", tc.file)
			c, err := Open(path)
			if err == nil {
				c.Close()
			}
			wantErr(t, err, append(tc.wants, path)...)
		})
	}
}

// TestTruncated cuts a valid file at several points: in the length prefix, in the header, at
// the start of the data and inside each tensor. The error names the header, or the first tensor
// (in header order) that the cut leaves incomplete.
func TestTruncated(t *testing.T) {
	full := mustWriteTo(t, []Tensor{
		FromFloat32("a", []int{2, 2}, []float32{1, 2, 3, 4}),
		FromBFloat16("b", []int{3}, []uint16{1, 2, 3}),
		FromFloat32("c", []int{1}, []float32{5}),
	}, nil)
	h, err := ParseHeader(full, int64(len(full)), "full")
	if err != nil {
		t.Fatal(err)
	}
	dataStart := int(h.DataStart)
	for _, cut := range []int{0, 3, 7, 8, 9, dataStart / 2, dataStart - 1, dataStart, dataStart + 10, dataStart + 20, len(full) - 1} {
		want := "header"
		for _, info := range h.Tensors {
			if cut >= dataStart && info.End > int64(cut-dataStart) {
				want = fmt.Sprintf("tensor %q", info.Name)
				break
			}
		}
		_, err := Parse(full[:cut], "cut.safetensors")
		wantErr(t, err, "cut.safetensors", want)
	}
}

func TestMissingTensor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "one.safetensors")
	if err := Write(path, []Tensor{FromFloat32("a", []int{1}, []float32{1})}, nil); err != nil {
		t.Fatal(err)
	}
	c := mustOpen(t, path)
	_, err := c.Tensor("model.layers.9.mamba.D.0")
	wantErr(t, err, path, `tensor "model.layers.9.mamba.D.0"`, "not found")
	if !errors.Is(err, ErrNotFound) || c.Has("model.layers.9.mamba.D.0") || !c.Has("a") {
		t.Errorf("missing tensor: errors.Is(ErrNotFound)=%v, Has wrong", errors.Is(err, ErrNotFound))
	}
}

func TestOpenBadPaths(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "nope"))
	wantErr(t, err, filepath.Join(dir, "nope"))
	_, err = Open(dir)
	wantErr(t, err, dir, SingleFileName, IndexFileName)
	if err := os.Mkdir(filepath.Join(dir, SingleFileName), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir)
	wantErr(t, err, filepath.Join(dir, SingleFileName), "not a regular file")
}

func TestClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := Write(path, []Tensor{FromFloat32("a", []int{1}, []float32{1})}, nil); err != nil {
		t.Fatal(err)
	}
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = c.Tensor("a")
	wantErr(t, err, path, `tensor "a"`, "closed")
	if !errors.Is(err, ErrClosed) {
		t.Errorf("%v does not wrap ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
