package weightstore

import (
	"fmt"
	"strconv"
	"strings"
)

// Object names in a bucket. Layer l's tensors are in LayerObject(l), "layer.<l>".
const (
	ManifestObject  = "manifest"
	ConfigObject    = "config.json"
	EmbedObject     = "embed"
	MetaObject      = "meta"
	FinalNormObject = "final_norm"
	layerPrefix     = "layer."
)

// Tensors outside the layers, each in an object of its own.
const (
	embedTensor     = "model.embed_tokens.weight"
	metaTensor      = "model.memory_tokens"
	finalNormTensor = "model.final_layernorm.weight"
	layerTensorRoot = "model.layers."
)

// singles maps the objects that hold one tensor to that tensor.
var singles = map[string]string{EmbedObject: embedTensor, MetaObject: metaTensor, FinalNormObject: finalNormTensor}

// LayerObject is the name of the object holding layer l's tensors: "layer.<l>".
func LayerObject(l int) string { return layerPrefix + strconv.Itoa(l) }

// layerTensorPrefix is the prefix every tensor name of layer l starts with: "model.layers.<l>.".
func layerTensorPrefix(l int) string { return layerTensorRoot + strconv.Itoa(l) + "." }

// parseLayerObject returns l for an object named "layer.<l>" (canonical decimal, no sign or
// leading zero), and false for any other name.
func parseLayerObject(name string) (int, bool) {
	s, ok := strings.CutPrefix(name, layerPrefix)
	if !ok {
		return 0, false
	}
	return parseIndex(s)
}

// layerOfTensor returns the layer of a tensor named "model.layers.<l>.<rest>", false for a
// tensor outside the layers, and an error for a name under "model.layers." whose index is not a
// layer number.
func layerOfTensor(name string) (int, bool, error) {
	s, ok := strings.CutPrefix(name, layerTensorRoot)
	if !ok {
		return 0, false, nil
	}
	idx, _, found := strings.Cut(s, ".")
	l, valid := parseIndex(idx)
	if !found || !valid {
		return 0, false, fmt.Errorf("tensor %q: %q is not a layer index", name, idx)
	}
	return l, true, nil
}

// parseIndex parses a canonical non-negative decimal (so "3" but not "03", "+3" or "3 ").
func parseIndex(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// knownObject reports whether name is one this package writes (so Publish may delete it when a
// new model no longer has it).
func knownObject(name string) bool {
	if _, ok := parseLayerObject(name); ok {
		return true
	}
	_, single := singles[name]
	return single || name == ConfigObject || name == ManifestObject
}
