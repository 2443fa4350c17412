package weightstore

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/hymbaserve/hymbaserve/model"
)

// FormatVersion is the manifest format this build writes and reads.
const FormatVersion = 1

// MaxObjectSize bounds the size a manifest may record for one object (64 GiB; the largest
// object of Hymba-1.5B, the embedding, is about 102 MB), so that a damaged manifest cannot make
// Fetch attempt an absurd allocation.
const MaxObjectSize = 64 << 30

// Manifest is the table of contents of a bucket: which model it holds and the size and SHA-256
// of every object, so that a worker verifies what it fetches and a publisher skips what is
// already there. It is stored as JSON in the object "manifest" (see the package doc).
type Manifest struct {
	Format    int              `json:"format"`     // FormatVersion
	Model     string           `json:"model"`      // name the model is served under
	NumLayers int              `json:"num_layers"` // config.json num_hidden_layers
	Objects   map[string]Entry `json:"objects"`    // object name → content; the manifest itself is not listed

	// Filled by Publish, not stored: the objects it wrote, those already in the bucket with
	// identical content, and stale objects of an earlier model it removed. "manifest" is in
	// Uploaded or Skipped too. A re-publish of identical content has Uploaded empty.
	Uploaded []string `json:"-"`
	Skipped  []string `json:"-"`
	Deleted  []string `json:"-"`
}

// Entry describes one object's content.
type Entry struct {
	SHA256 string `json:"sha256"` // lowercase hex SHA-256 of the object's bytes
	Size   int64  `json:"size"`   // bytes
}

// ObjectsFor lists the weight objects a worker serving layers [first, last) needs: its layer
// objects in order, then "embed" when first == 0 or last == NumLayers (the embedding is also the
// tied LM head), "meta" when first == 0 and the model has meta tokens, and "final_norm" when
// last == NumLayers. A range outside [0, NumLayers) or empty is an error wrapping ErrLayerRange.
func (m *Manifest) ObjectsFor(first, last int) ([]string, error) {
	if first < 0 || first >= last || last > m.NumLayers {
		return nil, fmt.Errorf("%w: [%d,%d) is not a non-empty range inside model %q's layers [0,%d)",
			ErrLayerRange, first, last, m.Model, m.NumLayers)
	}
	var names []string
	for l := first; l < last; l++ {
		names = append(names, LayerObject(l))
	}
	head := last == m.NumLayers
	if first == 0 || head {
		names = append(names, EmbedObject)
	}
	if _, ok := m.Objects[MetaObject]; ok && first == 0 {
		names = append(names, MetaObject)
	}
	if head {
		names = append(names, FinalNormObject)
	}
	return names, nil
}

// Size is the total size in bytes of the named objects.
func (m *Manifest) Size(names []string) int64 {
	var n int64
	for _, name := range names {
		n += m.Objects[name].Size
	}
	return n
}

// encode returns the manifest as indented JSON; object keys come out sorted, so equal manifests
// encode to equal bytes.
func (m *Manifest) encode() []byte {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		panic("weightstore: manifest does not encode: " + err.Error()) // only strings, ints and maps
	}
	return append(b, '\n')
}

// decodeManifest parses and validates a manifest. Unknown fields and unknown object names are
// ignored, for forward compatibility; everything this build relies on is checked.
func decodeManifest(data []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadManifest, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrBadManifest)
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadManifest, err)
	}
	return &m, nil
}

// validate checks the fields, that every entry is well formed and that every object a range of
// layers can need is listed.
func (m *Manifest) validate() error {
	switch {
	case m.Format != FormatVersion:
		return fmt.Errorf("format %d, this build reads format %d", m.Format, FormatVersion)
	case m.Model == "":
		return fmt.Errorf(`"model" is empty`)
	case m.NumLayers <= 0 || m.NumLayers > len(m.Objects):
		return fmt.Errorf(`"num_layers" %d is not between 1 and the %d objects listed`, m.NumLayers, len(m.Objects))
	}
	for _, name := range slices.Sorted(maps.Keys(m.Objects)) {
		if err := m.Objects[name].validate(); err != nil {
			return fmt.Errorf("object %q: %v", name, err)
		}
		if l, ok := parseLayerObject(name); ok && l >= m.NumLayers {
			return fmt.Errorf("object %q is beyond num_layers %d", name, m.NumLayers)
		}
	}
	required := []string{ConfigObject, EmbedObject, FinalNormObject}
	for l := range m.NumLayers {
		required = append(required, LayerObject(l))
	}
	for _, name := range required {
		if _, ok := m.Objects[name]; !ok {
			return fmt.Errorf("object %q is not listed", name)
		}
	}
	return nil
}

func (e Entry) validate() error {
	if len(e.SHA256) != 64 || e.SHA256 != hexLower(e.SHA256) {
		return fmt.Errorf(`"sha256" %q is not 64 lowercase hex digits`, e.SHA256)
	}
	if e.Size <= 0 || e.Size > MaxObjectSize {
		return fmt.Errorf(`"size" %d is not between 1 and %d`, e.Size, int64(MaxObjectSize))
	}
	return nil
}

// hexLower returns s if it is lowercase hex, else "".
func hexLower(s string) string {
	b, err := hex.DecodeString(s)
	if err != nil {
		return ""
	}
	return hex.EncodeToString(b)
}

// checkConfig checks the manifest against the config.json it lists.
func (m *Manifest) checkConfig(cfg *model.Config) error {
	if cfg.NumHiddenLayers != m.NumLayers {
		return fmt.Errorf("%w: config.json has num_hidden_layers %d, the manifest num_layers %d",
			ErrBadManifest, cfg.NumHiddenLayers, m.NumLayers)
	}
	if _, ok := m.Objects[MetaObject]; !ok && cfg.NumMemoryTokens > 0 {
		return fmt.Errorf("%w: config.json has %d meta tokens but object %q is not listed",
			ErrBadManifest, cfg.NumMemoryTokens, MetaObject)
	}
	return nil
}
