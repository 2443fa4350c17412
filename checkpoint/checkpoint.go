package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// File names looked for in a checkpoint directory, in this order (as transformers does).
const (
	SingleFileName = "model.safetensors"
	IndexFileName  = "model.safetensors.index.json"
)

// Checkpoint is an opened safetensors checkpoint: one file or the shards of an index, all
// memory-mapped. It is safe for concurrent use. Tensors it returns point into the mappings and
// must not be used after Close.
type Checkpoint struct {
	path  string           // the file or index that was opened
	files []*File          // every mapped file, shards in sorted order
	owner map[string]*File // tensor name → file holding it
	names []string         // sorted
	meta  map[string]string

	mu     sync.RWMutex
	closed bool
}

// Open opens a checkpoint. path is a directory holding model.safetensors, or else
// model.safetensors.index.json and the shards its "weight_map" names; or the path of a
// .safetensors file or of an index file itself. Every file is mapped and its header fully
// validated here, so a damaged checkpoint is refused at Open, never later.
func Open(path string) (*Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if !st.IsDir() {
		if strings.HasSuffix(path, ".json") {
			return openIndex(path)
		}
		return openSingle(path)
	}
	if p := filepath.Join(path, SingleFileName); present(p) {
		return openSingle(p)
	}
	if p := filepath.Join(path, IndexFileName); present(p) {
		return openIndex(p)
	}
	return nil, fmt.Errorf("checkpoint: %s: directory holds neither %s nor %s", path, SingleFileName, IndexFileName)
}

// present reports whether p exists, or may exist but cannot be inspected (Open then reports why).
func present(p string) bool {
	_, err := os.Stat(p)
	return err == nil || !errors.Is(err, fs.ErrNotExist)
}

// openFile maps and validates one safetensors file. Header problems come back as *Error; I/O
// errors come back bare, for the caller to put in context.
func openFile(path string) (*File, error) {
	data, release, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	h, err := ParseHeader(data, int64(len(data)), path)
	if err != nil {
		return nil, errors.Join(err, release())
	}
	f := newFile(path, data, h)
	f.release = release
	return f, nil
}

func openSingle(path string) (*Checkpoint, error) {
	f, err := openFile(path)
	if err != nil {
		if _, ok := errors.AsType[*Error](err); !ok {
			err = fmt.Errorf("checkpoint: %w", err)
		}
		return nil, err
	}
	c := &Checkpoint{path: path, files: []*File{f}, owner: make(map[string]*File), meta: f.Metadata()}
	for _, name := range f.Names() {
		c.owner[name] = f
	}
	c.names = f.Names()
	return c, nil
}

// Tensor returns the tensor called name, its Data pointing into the mapped file. A missing
// name is an *Error wrapping ErrNotFound that names the file or index searched.
func (c *Checkpoint) Tensor(name string) (Tensor, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return Tensor{}, &Error{File: c.path, Tensor: name, Err: ErrClosed}
	}
	f, ok := c.owner[name]
	if !ok {
		return Tensor{}, c.notFound(name)
	}
	return f.Tensor(name)
}

func (c *Checkpoint) notFound(name string) error {
	if len(c.files) == 1 && c.files[0].name == c.path {
		return &Error{File: c.path, Tensor: name, Err: ErrNotFound}
	}
	shards := make([]string, len(c.files))
	for i, f := range c.files {
		shards[i] = filepath.Base(f.name)
	}
	return &Error{File: c.path, Tensor: name,
		Err: fmt.Errorf("%w in weight_map (shards %s)", ErrNotFound, strings.Join(shards, ", "))}
}

// Has reports whether the checkpoint holds a tensor called name.
func (c *Checkpoint) Has(name string) bool {
	_, ok := c.owner[name]
	return ok
}

// Names lists every tensor name, sorted.
func (c *Checkpoint) Names() []string { return slices.Clone(c.names) }

// Metadata returns a copy of the "__metadata__" strings; for a sharded checkpoint, the union
// over the shards, the first shard in name order winning on a conflicting key.
func (c *Checkpoint) Metadata() map[string]string { return maps.Clone(c.meta) }

// Path is the file or index file that was opened.
func (c *Checkpoint) Path() string { return c.path }

// Close unmaps every file. Tensors and slices obtained from the checkpoint must not be used
// afterwards: their memory is gone and touching it faults. Tensor calls after Close return an
// error wrapping ErrClosed; Close itself is idempotent.
func (c *Checkpoint) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return closeFiles(c.files)
}

func closeFiles(files []*File) error {
	var errs []error
	for _, f := range files {
		if f.release != nil {
			if err := f.release(); err != nil {
				errs = append(errs, fmt.Errorf("checkpoint: unmap %s: %w", f.name, err))
			}
		}
	}
	return errors.Join(errs...)
}
