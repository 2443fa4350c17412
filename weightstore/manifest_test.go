package weightstore

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// validManifest is a well-formed 2-layer manifest.
func validManifest() *Manifest {
	e := Entry{SHA256: strings.Repeat("ab", 32), Size: 10}
	return &Manifest{Format: FormatVersion, Model: "m", NumLayers: 2, Objects: map[string]Entry{
		ConfigObject: e, EmbedObject: e, MetaObject: e, FinalNormObject: e, "layer.0": e, "layer.1": e,
	}}
}

func TestManifestRoundTrip(t *testing.T) {
	m := validManifest()
	m.Uploaded = []string{"x"} // not stored
	got, err := decodeManifest(m.encode())
	if err != nil {
		t.Fatal(err)
	}
	if string(got.encode()) != string(m.encode()) || got.Uploaded != nil {
		t.Fatalf("round trip changed the manifest:\n%s\nto\n%s", m.encode(), got.encode())
	}
	extra := strings.Replace(string(m.encode()), `"format": 1,`, `"format": 1, "future": {"x": 1},`, 1)
	extra = strings.Replace(extra, `"objects": {`, `"objects": {"tokenizer.json": {"sha256": "`+strings.Repeat("0", 64)+`", "size": 3},`, 1)
	if _, err := decodeManifest([]byte(extra)); err != nil {
		t.Fatalf("unknown field and object refused: %v", err)
	}
}

func TestDecodeManifestRejects(t *testing.T) {
	edit := func(f func(*Manifest)) string {
		m := validManifest()
		f(m)
		return string(m.encode())
	}
	cases := []struct{ name, data, want string }{
		{"empty", "", "EOF"},
		{"not json", "manifest", "invalid character"},
		{"trailing", edit(func(*Manifest) {}) + "{}", "after the JSON object"},
		{"wrong type", `{"format": "1"}`, "format"},
		{"format", edit(func(m *Manifest) { m.Format = 2 }), "format 2"},
		{"no model", edit(func(m *Manifest) { m.Model = "" }), `"model" is empty`},
		{"no layers", edit(func(m *Manifest) { m.NumLayers = 0 }), "num_layers"},
		{"huge layers", edit(func(m *Manifest) { m.NumLayers = 1 << 40 }), "num_layers"},
		{"layer missing", edit(func(m *Manifest) { delete(m.Objects, "layer.1") }), `"layer.1" is not listed`},
		{"embed missing", edit(func(m *Manifest) { delete(m.Objects, EmbedObject) }), `"embed" is not listed`},
		{"config missing", edit(func(m *Manifest) { delete(m.Objects, ConfigObject) }), `"config.json" is not listed`},
		{"layer beyond", edit(func(m *Manifest) { m.Objects["layer.2"] = m.Objects["layer.0"] }), `"layer.2" is beyond`},
		{"short hash", edit(func(m *Manifest) { m.Objects["layer.0"] = Entry{SHA256: "abcd", Size: 1} }), `"layer.0"`},
		{"upper hash", edit(func(m *Manifest) { m.Objects["embed"] = Entry{SHA256: strings.Repeat("AB", 32), Size: 1} }), "lowercase hex"},
		{"zero size", edit(func(m *Manifest) { m.Objects["meta"] = Entry{SHA256: strings.Repeat("00", 32)} }), `"size" 0`},
		{"huge size", edit(func(m *Manifest) { m.Objects["meta"] = Entry{SHA256: strings.Repeat("00", 32), Size: 1 << 50} }), `"size" 1125899906842624`},
	}
	for _, c := range cases {
		_, err := decodeManifest([]byte(c.data))
		if !errors.Is(err, ErrBadManifest) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want ErrBadManifest saying %q", c.name, err, c.want)
		}
	}
}

func TestObjectsFor(t *testing.T) {
	m := validManifest()
	m.NumLayers = 3
	m.Objects["layer.2"] = m.Objects["layer.0"]
	cases := []struct {
		first, last int
		want        []string
	}{
		{0, 1, []string{"layer.0", "embed", "meta"}},
		{1, 2, []string{"layer.1"}},
		{1, 3, []string{"layer.1", "layer.2", "embed", "final_norm"}},
		{0, 3, []string{"layer.0", "layer.1", "layer.2", "embed", "meta", "final_norm"}},
	}
	for _, c := range cases {
		got, err := m.ObjectsFor(c.first, c.last)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ObjectsFor(%d,%d) = %v, %v; want %v", c.first, c.last, got, err, c.want)
		}
	}
	delete(m.Objects, MetaObject)
	if got, _ := m.ObjectsFor(0, 1); slices.Contains(got, MetaObject) {
		t.Errorf("ObjectsFor lists meta for a model without it: %v", got)
	}
	for _, r := range [][2]int{{-1, 1}, {1, 1}, {2, 1}, {0, 4}} {
		if _, err := m.ObjectsFor(r[0], r[1]); !errors.Is(err, ErrLayerRange) {
			t.Errorf("ObjectsFor(%d,%d): error %v, want ErrLayerRange", r[0], r[1], err)
		}
	}
	if got := m.Size([]string{"layer.0", "embed"}); got != 20 {
		t.Errorf("Size = %d, want 20", got)
	}
}

func TestNames(t *testing.T) {
	for name, want := range map[string]int{"layer.0": 0, "layer.31": 31} {
		if l, ok := parseLayerObject(name); !ok || l != want {
			t.Errorf("parseLayerObject(%q) = %d, %v", name, l, ok)
		}
	}
	for _, name := range []string{"layer.", "layer.-1", "layer.01", "layer.+1", "layer.1 ", "layers.1", "embed"} {
		if _, ok := parseLayerObject(name); ok {
			t.Errorf("parseLayerObject(%q) accepted", name)
		}
	}
	if l, ok, err := layerOfTensor("model.layers.12.mamba.D.0"); l != 12 || !ok || err != nil {
		t.Errorf("layerOfTensor = %d, %v, %v", l, ok, err)
	}
	if _, ok, err := layerOfTensor("model.embed_tokens.weight"); ok || err != nil {
		t.Errorf("embedding taken for a layer tensor (%v, %v)", ok, err)
	}
	for _, name := range []string{"model.layers.x.w", "model.layers.1", "model.layers..w", "model.layers.-2.w"} {
		if _, _, err := layerOfTensor(name); err == nil {
			t.Errorf("layerOfTensor(%q) accepted", name)
		}
	}
}

func TestCheckContents(t *testing.T) {
	cases := []struct {
		object string
		names  []string
		ok     bool
	}{
		{"layer.3", []string{"model.layers.3.a", "model.layers.3.mamba.b"}, true},
		{"layer.3", []string{"model.layers.3.a", "model.layers.30.a"}, false},
		{"layer.3", nil, false},
		{"embed", []string{"model.embed_tokens.weight"}, true},
		{"embed", []string{"model.embed_tokens.weight", "model.memory_tokens"}, false},
		{"final_norm", []string{"model.memory_tokens"}, false},
		{"config.json", nil, false},
	}
	for _, c := range cases {
		if err := checkContents(c.object, c.names); (err == nil) != c.ok {
			t.Errorf("checkContents(%q, %v) = %v, want ok %v", c.object, c.names, err, c.ok)
		}
	}
}

// FuzzDecodeManifest: decoding never panics, and what decodes re-encodes to a manifest that
// decodes the same.
func FuzzDecodeManifest(f *testing.F) {
	f.Add(validManifest().encode())
	f.Add([]byte(`{"format":1,"model":"m","num_layers":1,"objects":{"layer.0":{"sha256":"","size":-1}}}`))
	f.Add([]byte(`{"objects":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeManifest(data)
		if err != nil {
			if !errors.Is(err, ErrBadManifest) {
				t.Fatalf("error %v does not wrap ErrBadManifest", err)
			}
			return
		}
		again, err := decodeManifest(m.encode())
		if err != nil || string(again.encode()) != string(m.encode()) {
			t.Fatalf("re-encoded manifest does not decode the same: %v", err)
		}
		if _, err := m.ObjectsFor(0, m.NumLayers); err != nil {
			t.Fatalf("valid manifest cannot serve the whole model: %v", err)
		}
	})
}
