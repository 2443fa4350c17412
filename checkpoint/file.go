package checkpoint

import (
	"maps"
	"slices"
)

// File is one parsed safetensors file: its validated header and its bytes.
type File struct {
	name    string
	data    []byte
	header  *Header
	byName  map[string]int // tensor name → index in header.Tensors
	release func() error   // unmaps data; nil for Parse
}

// Parse parses a whole safetensors file held in memory, such as one fetched over the network,
// with the same validation as Open. name is used in error messages. The tensors alias data, so
// data must not be modified while they are in use.
func Parse(data []byte, name string) (*File, error) {
	h, err := ParseHeader(data, int64(len(data)), name)
	if err != nil {
		return nil, err
	}
	return newFile(name, data, h), nil
}

func newFile(name string, data []byte, h *Header) *File {
	f := &File{name: name, data: data, header: h, byName: make(map[string]int, len(h.Tensors))}
	for i, t := range h.Tensors {
		f.byName[t.Name] = i
	}
	return f
}

// Name is the path or name the file was opened or parsed under.
func (f *File) Name() string { return f.name }

// Has reports whether the file holds a tensor called name.
func (f *File) Has(name string) bool {
	_, ok := f.byName[name]
	return ok
}

// Names lists the tensor names, sorted.
func (f *File) Names() []string { return slices.Sorted(maps.Keys(f.byName)) }

// Metadata returns a copy of the header's "__metadata__" (empty, not nil, when absent).
func (f *File) Metadata() map[string]string {
	m := make(map[string]string, len(f.header.Metadata))
	maps.Copy(m, f.header.Metadata)
	return m
}

// Tensor returns the tensor called name; its Data aliases the file's bytes (no copy). A missing
// name is an *Error wrapping ErrNotFound.
func (f *File) Tensor(name string) (Tensor, error) {
	i, ok := f.byName[name]
	if !ok {
		return Tensor{}, &Error{File: f.name, Tensor: name, Err: ErrNotFound}
	}
	info := f.header.Tensors[i]
	lo, hi := f.header.DataStart+info.Begin, f.header.DataStart+info.End
	return Tensor{
		Name:  name,
		DType: info.DType,
		Shape: slices.Clone(info.Shape),
		Data:  f.data[lo:hi:hi],
		File:  f.name,
	}, nil
}
