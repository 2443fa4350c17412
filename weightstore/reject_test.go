package weightstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hymbaserve/hymbaserve/checkpoint"
	"github.com/hymbaserve/hymbaserve/model"
)

// unlisted is a TensorSource that cannot list its tensors.
type unlisted struct{ model.Tensors }

// TestPublishRejects: arguments and sources no worker could load are refused with an error
// naming the fault, before the bucket is created.
func TestPublishRejects(t *testing.T) {
	js := startJS(t)
	ctx := testCtx(t)
	cfg, ts := goldenTensors(t)
	with := func(edit func(model.Tensors)) model.Tensors {
		out := model.Tensors{}
		for k, v := range ts {
			out[k] = v
		}
		edit(out)
		return out
	}
	extra := func(name string) model.Tensors {
		return with(func(m model.Tensors) { m[name] = checkpoint.FromFloat32(name, []int{1}, []float32{1}) })
	}
	badCfg := *cfg
	badCfg.HiddenSize = 0
	cases := []struct {
		name   string
		cfg    *model.Config
		src    model.TensorSource
		model  string
		bucket string
		want   string
	}{
		{"nil config", nil, ts, "m", "b1", "config is nil"},
		{"nil source", cfg, nil, "m", "b2", "source is nil"},
		{"no name", cfg, ts, "", "b3", "name is empty"},
		{"invalid config", &badCfg, ts, "m", "b4", "hidden_size"},
		{"missing tensor", cfg, with(func(m model.Tensors) { delete(m, "model.layers.2.mamba.D.0") }), "m", "b5", "model.layers.2.mamba.D.0"},
		{"wrong shape", cfg, with(func(m model.Tensors) {
			m["model.final_layernorm.weight"] = checkpoint.FromFloat32("model.final_layernorm.weight", []int{2}, []float32{1, 2})
		}), "m", "b6", "model.final_layernorm.weight"},
		{"layer beyond config", cfg, extra("model.layers.8.input_layernorm.weight"), "m", "b7", "num_hidden_layers 8"},
		{"bad layer index", cfg, extra("model.layers.03.input_layernorm.weight"), "m", "b8", `"03" is not a layer index`},
		{"unlisted source", cfg, unlisted{ts}, "m", "b9", "cannot list its tensors"},
	}
	for _, c := range cases {
		_, err := Publish(ctx, js, c.bucket, c.cfg, c.src, c.model)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
		if _, err := js.ObjectStore(ctx, c.bucket); !errors.Is(err, jetstream.ErrBucketNotFound) {
			t.Errorf("%s: bucket %q exists after a refused publish (%v)", c.name, c.bucket, err)
		}
	}
	_, err := Publish(ctx, js, "bad.bucket", cfg, ts, "m")
	if e, ok := errors.AsType[*Error](err); !ok || e.Bucket != "bad.bucket" {
		t.Errorf("invalid bucket name: error %v, want an *Error naming the bucket", err)
	}
}

// TestFutureLayerTensorsTravel: a tensor this build does not know, under a layer's prefix, is
// published with its layer and fetched with it; the model still loads.
func TestFutureLayerTensorsTravel(t *testing.T) {
	js := startJS(t)
	cfg, ts := goldenTensors(t)
	const name = "model.layers.2.mamba.future_gate.weight"
	ts[name] = checkpoint.FromFloat32(name, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	publish(t, js, "tiny", cfg, ts, "tiny-hymba-next")
	gotCfg, src, err := Fetch(testCtx(t), js, "tiny", 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Tensor(name)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Data) != string(ts[name].Data) || got.DType != checkpoint.F32 {
		t.Fatalf("fetched %s %v, want the published F32 [2 3]", got.DType, got.Shape)
	}
	if _, err := model.New(gotCfg, src, model.LoadOptions{First: 2, Last: 3}); err != nil {
		t.Fatal(err)
	}
}
