package weightstore

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hymbaserve/hymbaserve/model"
)

// TestPublishFetchGolden publishes the golden tiny checkpoint (BF16, opened memory-mapped) and
// fetches it back as three pipeline stages.
func TestPublishFetchGolden(t *testing.T) {
	cfg, ck := golden(t)
	roundTrip(t, startJS(t), "tiny", cfg, ck, [][2]int{{0, 3}, {3, 7}, {7, 8}})
}

// roundTrip publishes src into a new bucket, fetches every range, and checks that every stage
// gets exactly its tensors, byte for byte, and loads as that stage's model part, and that the
// stages together hold every tensor of the source.
func roundTrip(t *testing.T, js jetstream.JetStream, bucket string, cfg *model.Config, src model.TensorSource, ranges [][2]int) {
	t.Helper()
	m := publish(t, js, bucket, cfg, src, bucket+"-model")
	checkPublished(t, m, cfg)
	names, err := listNames(src)
	if err != nil {
		t.Fatal(err)
	}
	fetched := map[string]bool{}
	for _, r := range ranges {
		for _, name := range checkStage(t, js, bucket, cfg, src, names, r[0], r[1]) {
			fetched[name] = true
		}
	}
	if len(fetched) != len(names) {
		t.Errorf("the stages fetched %d distinct tensors, the source has %d", len(fetched), len(names))
	}
}

// checkPublished checks the manifest of a first publish into an empty bucket.
func checkPublished(t *testing.T, m *Manifest, cfg *model.Config) {
	t.Helper()
	want := []string{ConfigObject, EmbedObject, FinalNormObject, MetaObject}
	for l := range cfg.NumHiddenLayers {
		want = append(want, LayerObject(l))
	}
	got := make([]string, 0, len(m.Objects))
	for name := range m.Objects {
		got = append(got, name)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("manifest objects %v, want %v", got, want)
	}
	if m.NumLayers != cfg.NumHiddenLayers || m.Format != FormatVersion {
		t.Errorf("manifest num_layers %d format %d, want %d and %d", m.NumLayers, m.Format, cfg.NumHiddenLayers, FormatVersion)
	}
	if len(m.Uploaded) != len(want)+1 || len(m.Skipped) != 0 || !slices.Contains(m.Uploaded, ManifestObject) {
		t.Errorf("first publish uploaded %v and skipped %v, want every object and the manifest uploaded", m.Uploaded, m.Skipped)
	}
}

// checkStage fetches [first, last), compares every tensor with the source and loads the stage's
// model part. It returns the fetched tensor names.
func checkStage(t *testing.T, js jetstream.JetStream, bucket string, cfg *model.Config, src model.TensorSource, all []string, first, last int) []string {
	t.Helper()
	gotCfg, ts, err := Fetch(testCtx(t), js, bucket, first, last)
	if err != nil {
		t.Fatalf("Fetch [%d,%d): %v", first, last, err)
	}
	if a, b := mustJSON(t, gotCfg), mustJSON(t, cfg); !bytes.Equal(a, b) {
		t.Fatalf("fetched config differs:\n%s\nwant\n%s", a, b)
	}
	w := ts.(*Weights)
	want := stageTensors(all, cfg.NumHiddenLayers, first, last)
	if got := w.Names(); !slices.Equal(got, want) {
		t.Fatalf("[%d,%d) fetched tensors %v, want %v", first, last, got, want)
	}
	for _, name := range want {
		got, err := w.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := src.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		if got.DType != ref.DType || !slices.Equal(got.Shape, ref.Shape) || !bytes.Equal(got.Data, ref.Data) {
			t.Fatalf("tensor %q: fetched %s %v (%d bytes) differs from the source's %s %v (%d bytes)",
				name, got.DType, got.Shape, len(got.Data), ref.DType, ref.Shape, len(ref.Data))
		}
	}
	part, err := model.New(gotCfg, ts, model.LoadOptions{First: first, Last: last})
	if err != nil {
		t.Fatalf("model.New over fetched [%d,%d): %v", first, last, err)
	}
	if len(part.Layers) != last-first || part.HasEmbed() != (first == 0) || part.HasHead() != (last == cfg.NumHiddenLayers) {
		t.Fatalf("model part [%d,%d): %d layers, embed %v, head %v", first, last, len(part.Layers), part.HasEmbed(), part.HasHead())
	}
	return want
}

// stageTensors is what a stage needs, computed independently of the package: the tensors of its
// layers by prefix, the embedding at either end, meta tokens first and the final norm last.
func stageTensors(all []string, numLayers, first, last int) []string {
	var want []string
	for _, name := range all {
		for l := first; l < last; l++ {
			if strings.HasPrefix(name, "model.layers."+strconv.Itoa(l)+".") {
				want = append(want, name)
			}
		}
	}
	if first == 0 || last == numLayers {
		want = append(want, "model.embed_tokens.weight")
	}
	if first == 0 {
		want = append(want, "model.memory_tokens")
	}
	if last == numLayers {
		want = append(want, "model.final_layernorm.weight")
	}
	slices.Sort(want)
	return want
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
