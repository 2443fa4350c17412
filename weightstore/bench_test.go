package weightstore

import (
	"strconv"
	"sync"
	"testing"

	"github.com/hymbaserve/hymbaserve/model"
)

// benchModel is Hymba-1.5B's first layer and embedding with random BF16 weights: one real-size
// layer object (≈ 90 MB) and the real embedding (≈ 102 MB).
var benchModel = sync.OnceValues(func() (*model.Config, model.Tensors) {
	cfg := model.Hymba15B()
	cfg.NumHiddenLayers = 1
	cfg.GlobalAttnIdx = []int{0}
	cfg.KVReuseGroup = nil
	cfg.LayerType = []string{"h"}
	return cfg, model.RandomTensors(cfg, 1, true)
})

func benchBytes(ts model.Tensors) int64 {
	var n int64
	for _, t := range ts {
		n += int64(len(t.Data))
	}
	return n
}

// BenchmarkPublish uploads the model into a fresh bucket each time (bytes/s over tensor bytes).
func BenchmarkPublish(b *testing.B) {
	cfg, ts := benchModel()
	js := startJS(b)
	ctx := testCtx(b)
	b.SetBytes(benchBytes(ts))
	for i := 0; b.Loop(); i++ {
		bucket := "b" + strconv.Itoa(i)
		if _, err := Publish(ctx, js, bucket, cfg, ts, "bench"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := js.DeleteObjectStore(ctx, bucket); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkRepublishIdentical re-publishes unchanged weights: hashing plus one metadata lookup
// per object, nothing uploaded.
func BenchmarkRepublishIdentical(b *testing.B) {
	cfg, ts := benchModel()
	js := startJS(b)
	publish(b, js, "b", cfg, ts, "bench")
	ctx := testCtx(b)
	b.SetBytes(benchBytes(ts))
	for b.Loop() {
		m, err := Publish(ctx, js, "b", cfg, ts, "bench")
		if err != nil || len(m.Uploaded) != 0 {
			b.Fatalf("re-publish uploaded %v (%v)", m.Uploaded, err)
		}
	}
}

// BenchmarkFetch fetches the whole model (layer, embedding, meta tokens, final norm), verified.
func BenchmarkFetch(b *testing.B) {
	cfg, ts := benchModel()
	js := startJS(b)
	publish(b, js, "b", cfg, ts, "bench")
	ctx := testCtx(b)
	b.SetBytes(benchBytes(ts))
	for b.Loop() {
		if _, _, err := Fetch(ctx, js, "b", 0, 1); err != nil {
			b.Fatal(err)
		}
	}
}
