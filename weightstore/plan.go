package weightstore

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/hymbaserve/hymbaserve/checkpoint"
	"github.com/hymbaserve/hymbaserve/model"
)

// blobMeta is the "__metadata__" of every safetensors object (as in Hugging Face files).
var blobMeta = map[string]string{"format": "pt"}

// blob is one object to publish: tensors written as one safetensors stream, or raw bytes.
type blob struct {
	name    string
	tensors []checkpoint.Tensor
	raw     []byte
}

// writeTo writes the object's bytes to w.
func (b blob) writeTo(w io.Writer) (int64, error) {
	if b.tensors == nil {
		n, err := w.Write(b.raw)
		return int64(n), err
	}
	return checkpoint.WriteTo(w, b.tensors, blobMeta)
}

// plan groups the tensors of src that cfg needs into objects: one per layer (every tensor named
// "model.layers.<l>.…", sorted by name), "embed", "meta" (when src has meta tokens),
// "final_norm", and "config.json". Other tensors (none in a Hymba checkpoint) are not published.
func plan(cfg *model.Config, src model.TensorSource) ([]blob, error) {
	names, err := listNames(src)
	if err != nil {
		return nil, err
	}
	layers, err := groupLayers(names, cfg.NumHiddenLayers)
	if err != nil {
		return nil, err
	}
	var blobs []blob
	for l, group := range layers {
		b, err := tensorBlob(src, LayerObject(l), group)
		if err != nil {
			return nil, err
		}
		blobs = append(blobs, b)
	}
	for _, obj := range []string{EmbedObject, MetaObject, FinalNormObject} {
		name := singles[obj]
		if obj == MetaObject && !slices.Contains(names, name) {
			continue // a model without meta tokens; model.New has checked that cfg agrees
		}
		b, err := tensorBlob(src, obj, []string{name})
		if err != nil {
			return nil, err
		}
		blobs = append(blobs, b)
	}
	raw, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("weightstore: encode config.json: %w", err)
	}
	return append(blobs, blob{name: ConfigObject, raw: append(raw, '\n')}), nil
}

// namer is a TensorSource that can list its tensors, like *checkpoint.Checkpoint.
type namer interface{ Names() []string }

// listNames lists the tensors of src, sorted.
func listNames(src model.TensorSource) ([]string, error) {
	switch s := src.(type) {
	case model.Tensors:
		return slices.Sorted(maps.Keys(s)), nil
	case namer:
		return slices.Sorted(slices.Values(s.Names())), nil
	}
	return nil, fmt.Errorf("weightstore: tensor source %T cannot list its tensors (it needs a Names() []string method)", src)
}

// groupLayers returns the tensor names of each layer, in name order. A tensor of a layer the
// config does not have is an error: the checkpoint and the config disagree.
func groupLayers(names []string, numLayers int) ([][]string, error) {
	layers := make([][]string, numLayers)
	for _, name := range names {
		l, ok, err := layerOfTensor(name)
		if err != nil {
			return nil, fmt.Errorf("weightstore: %w", err)
		}
		if !ok {
			continue
		}
		if l >= numLayers {
			return nil, fmt.Errorf("weightstore: tensor %q is in layer %d, but config.json has num_hidden_layers %d", name, l, numLayers)
		}
		layers[l] = append(layers[l], name)
	}
	return layers, nil
}

// tensorBlob reads the named tensors from src into an object.
func tensorBlob(src model.TensorSource, object string, names []string) (blob, error) {
	b := blob{name: object, tensors: make([]checkpoint.Tensor, 0, len(names))}
	for _, name := range names {
		t, err := src.Tensor(name)
		if err != nil {
			return blob{}, fmt.Errorf("weightstore: object %q: %w", object, err)
		}
		t.Name = name
		b.tensors = append(b.tensors, t)
	}
	return b, nil
}
