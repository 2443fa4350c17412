package weightstore

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hymbaserve/hymbaserve/checkpoint"
)

// Weights is the model.TensorSource that Fetch returns: the tensors of the objects it fetched,
// parsed in place (Tensor.Data aliases the downloaded bytes, no copy). It is read-only and safe
// for concurrent use.
type Weights struct {
	bucket      string
	manifest    *Manifest
	first, last int
	objects     []string                    // fetched objects, in fetch order
	owner       map[string]*checkpoint.File // tensor name → parsed object holding it
	bytes       int64
}

func newWeights(bucket string, m *Manifest, first, last int) *Weights {
	return &Weights{bucket: bucket, manifest: m, first: first, last: last, owner: map[string]*checkpoint.File{}}
}

// Tensor returns the tensor called name. A tensor outside the fetched objects is an error
// wrapping checkpoint.ErrNotFound that names the bucket and the layer range.
func (w *Weights) Tensor(name string) (checkpoint.Tensor, error) {
	f, ok := w.owner[name]
	if !ok {
		return checkpoint.Tensor{}, &Error{Bucket: w.bucket, Err: fmt.Errorf("tensor %q: %w among the objects fetched for layers [%d,%d) (%s)",
			name, checkpoint.ErrNotFound, w.first, w.last, strings.Join(w.objects, ", "))}
	}
	return f.Tensor(name)
}

// Names lists every fetched tensor, sorted.
func (w *Weights) Names() []string { return slices.Sorted(maps.Keys(w.owner)) }

// Objects lists the weight objects that were fetched, in fetch order.
func (w *Weights) Objects() []string { return slices.Clone(w.objects) }

// Bytes is the size of the fetched weight objects.
func (w *Weights) Bytes() int64 { return w.bytes }

// Manifest is the manifest the objects were verified against.
func (w *Weights) Manifest() *Manifest { return w.manifest }

// add parses a verified object and indexes its tensors.
func (w *Weights) add(object string, data []byte) error {
	f, err := checkpoint.Parse(data, "nats:"+w.bucket+"/"+object)
	if err != nil {
		return objErr(w.bucket, object, "%w", err)
	}
	if err := checkContents(object, f.Names()); err != nil {
		return objErr(w.bucket, object, "%w", err)
	}
	for _, name := range f.Names() {
		if _, dup := w.owner[name]; dup {
			return objErr(w.bucket, object, "tensor %q is also in an object fetched before", name)
		}
		w.owner[name] = f
	}
	w.objects = append(w.objects, object)
	w.bytes += int64(len(data))
	return nil
}

// checkContents checks that an object holds the tensors its name promises: only tensors of layer
// l for "layer.<l>", exactly the one tensor for "embed", "meta" and "final_norm".
func checkContents(object string, names []string) error {
	if l, ok := parseLayerObject(object); ok {
		prefix := layerTensorPrefix(l)
		for _, name := range names {
			if !strings.HasPrefix(name, prefix) {
				return fmt.Errorf("holds tensor %q, which is not of layer %d", name, l)
			}
		}
		if len(names) == 0 {
			return fmt.Errorf("holds no tensor")
		}
		return nil
	}
	want, ok := singles[object]
	if !ok {
		return fmt.Errorf("is not a weight object")
	}
	if len(names) != 1 || names[0] != want {
		return fmt.Errorf("holds %q, want exactly %q", names, want)
	}
	return nil
}
