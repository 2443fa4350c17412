package weightstore

import (
	"slices"
	"testing"

	"github.com/hymbaserve/hymbaserve/internal/devstack"
	"github.com/hymbaserve/hymbaserve/model"
)

// TestFetchTransfersOnlyNeeded counts the objects each Fetch reads: the manifest, config.json and
// exactly the weight objects of its stage, each once.
func TestFetchTransfersOnlyNeeded(t *testing.T) {
	js := startJS(t)
	cfg, ck := golden(t)
	publish(t, js, "tiny", cfg, ck, "tiny-hymba")
	rec := record(js)
	head := []string{ManifestObject, ConfigObject}
	cases := []struct {
		first, last int
		want        []string
	}{
		{0, 3, []string{"layer.0", "layer.1", "layer.2", "embed", "meta"}},
		{3, 7, []string{"layer.3", "layer.4", "layer.5", "layer.6"}},
		{7, 8, []string{"layer.7", "embed", "final_norm"}},
		{4, 5, []string{"layer.4"}},
		{0, 8, []string{"layer.0", "layer.1", "layer.2", "layer.3", "layer.4", "layer.5", "layer.6", "layer.7", "embed", "meta", "final_norm"}},
	}
	for _, c := range cases {
		_, src, err := Fetch(testCtx(t), rec, "tiny", c.first, c.last)
		if err != nil {
			t.Fatalf("Fetch [%d,%d): %v", c.first, c.last, err)
		}
		gets, puts := rec.log.take()
		if want := append(slices.Clone(head), c.want...); !slices.Equal(gets, want) || len(puts) != 0 {
			t.Errorf("Fetch [%d,%d) read %v and wrote %v, want read %v and nothing written", c.first, c.last, gets, puts, want)
		}
		w := src.(*Weights)
		if !slices.Equal(w.Objects(), c.want) {
			t.Errorf("Fetch [%d,%d): Weights.Objects %v, want %v", c.first, c.last, w.Objects(), c.want)
		}
		if size := w.Manifest().Size(c.want); w.Bytes() != size {
			t.Errorf("Fetch [%d,%d): Weights.Bytes %d, manifest sizes sum to %d", c.first, c.last, w.Bytes(), size)
		}
	}
}

// TestRepublishIdenticalSkips publishes the same weights twice (the second transfers nothing),
// then changes one layer (only it and the manifest are uploaded, and a fetch sees the change).
func TestRepublishIdenticalSkips(t *testing.T) {
	js := startJS(t)
	rec := record(js)
	cfg, ts := goldenTensors(t)
	first := publish(t, rec, "tiny", cfg, ts, "tiny-hymba")
	if _, puts := rec.log.take(); len(puts) != len(first.Objects)+1 {
		t.Fatalf("first publish put %d objects, want %d", len(puts), len(first.Objects)+1)
	}

	again := publish(t, rec, "tiny", cfg, ts, "tiny-hymba")
	if _, puts := rec.log.take(); len(puts) != 0 || len(again.Uploaded) != 0 {
		t.Fatalf("identical re-publish put %v (Uploaded %v), want nothing", puts, again.Uploaded)
	}
	if len(again.Skipped) != len(first.Objects)+1 || !slices.Contains(again.Skipped, ManifestObject) {
		t.Fatalf("identical re-publish skipped %v, want every object and the manifest", again.Skipped)
	}
	if string(again.encode()) != string(first.encode()) {
		t.Fatalf("identical re-publish changed the manifest:\n%s\nto\n%s", first.encode(), again.encode())
	}

	const changed = "model.layers.5.input_layernorm.weight"
	tn := ts[changed]
	tn.Data = slices.Clone(tn.Data)
	tn.Data[0] ^= 0x40
	ts[changed] = tn
	third := publish(t, rec, "tiny", cfg, ts, "tiny-hymba")
	if _, puts := rec.log.take(); !slices.Equal(puts, []string{"layer.5", ManifestObject}) || !slices.Equal(third.Uploaded, puts) {
		t.Fatalf("publish after changing layer 5 put %v (Uploaded %v), want [layer.5 manifest]", puts, third.Uploaded)
	}
	_, src, err := Fetch(testCtx(t), js, "tiny", 5, 6)
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Tensor(changed)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Data, tn.Data) {
		t.Fatal("fetch after re-publish returned the old layer 5")
	}
}

// TestPublishDeletesStaleObjects publishes a 4-layer model over the 8-layer one: the extra layer
// objects go, an object of someone else's stays, and the 4-layer model fetches whole.
func TestPublishDeletesStaleObjects(t *testing.T) {
	js := startJS(t)
	ctx := testCtx(t)
	cfg, ts := goldenTensors(t)
	publish(t, js, "w", cfg, ts, "tiny-hymba")
	obs, err := js.ObjectStore(ctx, "w")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := obs.PutString(ctx, "tokenizer.json", "{}"); err != nil {
		t.Fatal(err)
	}

	short, shortTs := shallow(cfg, ts, 4)
	m := publish(t, js, "w", short, shortTs, "tiny-hymba-4")
	if want := []string{"layer.4", "layer.5", "layer.6", "layer.7"}; !slices.Equal(m.Deleted, want) {
		t.Fatalf("Deleted %v, want %v", m.Deleted, want)
	}
	infos, err := obs.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, info := range infos {
		names = append(names, info.Name)
	}
	if len(names) != len(m.Objects)+2 || !slices.Contains(names, "tokenizer.json") || slices.Contains(names, "layer.4") {
		t.Fatalf("bucket holds %v after the publish, want the manifest, its %d objects and tokenizer.json", names, len(m.Objects))
	}
	gotCfg, _, err := Fetch(ctx, js, "w", 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	if gotCfg.NumHiddenLayers != 4 {
		t.Fatalf("fetched config has %d layers, want 4", gotCfg.NumHiddenLayers)
	}
}

// shallow cuts the golden model (global layers 0, 3, 7; reuse groups [1,2], [4,5,6]) to its
// first n layers (n >= 4), with a config that keeps every remaining layer's role.
func shallow(cfg *model.Config, ts model.Tensors, n int) (*model.Config, model.Tensors) {
	c := *cfg
	c.NumHiddenLayers = n
	c.GlobalAttnIdx = []int{0, 3}
	c.KVReuseGroup = [][]int{{1, 2}}
	c.LayerType = slices.Repeat([]string{"h"}, n)
	out := model.Tensors{}
	for name, tn := range ts {
		if l, ok, _ := layerOfTensor(name); !ok || l < n {
			out[name] = tn
		}
	}
	return &c, out
}

// TestPublishChunks: objects go in full chunks of ChunkSize, or of the server's max_payload when
// that is smaller, and still fetch.
func TestPublishChunks(t *testing.T) {
	cfg, ck := golden(t)
	for _, maxPayload := range []int32{0, 100 << 10} {
		js := startJSWith(t, devstack.NATSOptions{MaxPayload: maxPayload})
		chunk := int64(ChunkSize)
		if maxPayload > 0 {
			chunk = int64(maxPayload)
		}
		ctx := testCtx(t)
		m := publish(t, js, "tiny", cfg, ck, "tiny-hymba")
		obs, err := js.ObjectStore(ctx, "tiny")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"layer.0", "embed"} {
			info, err := obs.GetInfo(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			size := m.Objects[name].Size
			if want := (size + chunk - 1) / chunk; int64(info.Chunks) != want || int64(info.Size) != size {
				t.Errorf("max_payload %d: %s (%d bytes) stored in %d chunks of %d bytes, want %d full chunks",
					maxPayload, name, info.Size, info.Chunks, chunk, want)
			}
		}
		if _, _, err := Fetch(ctx, js, "tiny", 0, 8); err != nil {
			t.Fatalf("max_payload %d: %v", maxPayload, err)
		}
	}
}
