package weightstore

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hymbaserve/hymbaserve/checkpoint"
)

// wantErr checks that err wraps sentinel, is an *Error for bucket and object, and says each of
// the given words.
func wantErr(t *testing.T, err, sentinel error, bucket, object string, words ...string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v, want one wrapping %q", err, sentinel)
	}
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Bucket != bucket || e.Object != object {
		t.Fatalf("error %v (%#v), want an *Error for bucket %q object %q", err, e, bucket, object)
	}
	for _, w := range append(words, bucket, object) {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

// TestFetchCorruptObject replaces objects behind the manifest's back: a flipped byte or other
// length in a layer, a changed config.json, a garbage manifest. Each is refused, naming the object;
// stages that do not need a damaged layer still fetch.
func TestFetchCorruptObject(t *testing.T) {
	js := startJS(t)
	ctx := testCtx(t)
	cfg, ck := golden(t)
	publish(t, js, "tiny", cfg, ck, "tiny-hymba")
	obs, err := js.ObjectStore(ctx, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	replace := func(name string, edit func([]byte) []byte) {
		t.Helper()
		data, err := obs.GetBytes(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := obs.PutBytes(ctx, name, edit(data)); err != nil {
			t.Fatal(err)
		}
	}

	replace("layer.4", func(b []byte) []byte { b[len(b)-3] ^= 1; return b })
	_, _, err = Fetch(ctx, js, "tiny", 3, 7)
	wantErr(t, err, ErrHashMismatch, "tiny", "layer.4", "SHA-256")
	if _, _, err := Fetch(ctx, js, "tiny", 0, 3); err != nil {
		t.Fatalf("stage [0,3) does not need layer.4 but failed: %v", err)
	}

	replace("layer.6", func(b []byte) []byte { return append(b, 0) })
	_, _, err = Fetch(ctx, js, "tiny", 6, 7)
	wantErr(t, err, ErrHashMismatch, "tiny", "layer.6", "bytes")

	replace(ConfigObject, func(b []byte) []byte {
		if !strings.Contains(string(b), `"vocab_size": 512`) {
			t.Fatalf("config.json does not hold the expected vocab_size:\n%s", b)
		}
		return []byte(strings.Replace(string(b), `"vocab_size": 512`, `"vocab_size": 513`, 1))
	})
	_, _, err = Fetch(ctx, js, "tiny", 0, 3)
	wantErr(t, err, ErrHashMismatch, "tiny", ConfigObject)

	if _, err := obs.PutString(ctx, ManifestObject, `{"format": 1, "model": "x"`); err != nil {
		t.Fatal(err)
	}
	_, _, err = Fetch(ctx, js, "tiny", 0, 3)
	wantErr(t, err, ErrBadManifest, "tiny", ManifestObject)
}

// TestFetchMissing: no bucket, an empty bucket, a deleted layer object.
func TestFetchMissing(t *testing.T) {
	js := startJS(t)
	ctx := testCtx(t)
	_, _, err := Fetch(ctx, js, "nothing_here", 0, 1)
	wantErr(t, err, ErrMissing, "nothing_here", "", "bucket")

	if _, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: "empty"}); err != nil {
		t.Fatal(err)
	}
	_, err = ReadManifest(ctx, js, "empty")
	wantErr(t, err, ErrMissing, "empty", ManifestObject)

	cfg, ck := golden(t)
	publish(t, js, "tiny", cfg, ck, "tiny-hymba")
	obs, err := js.ObjectStore(ctx, "tiny")
	if err != nil {
		t.Fatal(err)
	}
	if err := obs.Delete(ctx, "layer.5"); err != nil {
		t.Fatal(err)
	}
	_, _, err = Fetch(ctx, js, "tiny", 3, 7)
	wantErr(t, err, ErrMissing, "tiny", "layer.5", "manifest lists it")
	if _, _, err := Fetch(ctx, js, "tiny", 6, 8); err != nil {
		t.Fatalf("stage [6,8) does not need layer.5 but failed: %v", err)
	}
}

// TestFetchLayerRange: ranges outside the model are refused after reading the manifest alone.
func TestFetchLayerRange(t *testing.T) {
	js := startJS(t)
	cfg, ck := golden(t)
	publish(t, js, "tiny", cfg, ck, "tiny-hymba")
	rec := record(js)
	for _, r := range [][2]int{{-1, 2}, {3, 3}, {5, 4}, {0, 9}, {8, 9}} {
		_, _, err := Fetch(testCtx(t), rec, "tiny", r[0], r[1])
		wantErr(t, err, ErrLayerRange, "tiny", "", "[0,8)", "tiny-hymba")
		if gets, _ := rec.log.take(); !slices.Equal(gets, []string{ManifestObject}) {
			t.Errorf("Fetch [%d,%d) read %v, want only the manifest", r[0], r[1], gets)
		}
	}
}

// TestWeightsOutsideStage: asking a stage's source for another stage's tensor is a clear error.
func TestWeightsOutsideStage(t *testing.T) {
	js := startJS(t)
	cfg, ck := golden(t)
	publish(t, js, "tiny", cfg, ck, "tiny-hymba")
	_, src, err := Fetch(testCtx(t), js, "tiny", 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Tensor("model.layers.0.input_layernorm.weight")
	if !errors.Is(err, checkpoint.ErrNotFound) || !strings.Contains(err.Error(), "[3,7)") || !strings.Contains(err.Error(), "layer.3") {
		t.Fatalf("error %v, want checkpoint.ErrNotFound naming the range and the fetched objects", err)
	}
}
