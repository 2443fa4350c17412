package weightstore

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hymbaserve/hymbaserve/checkpoint"
	"github.com/hymbaserve/hymbaserve/internal/devstack"
	"github.com/hymbaserve/hymbaserve/model"
)

var goldenDir = filepath.Join("..", "testdata", "golden", "tiny-hymba")

// startJS starts a real embedded NATS server with JetStream (stock 1 MiB max_payload) and
// returns a JetStream client on it; both are closed at the end of the test.
func startJS(t testing.TB) jetstream.JetStream {
	t.Helper()
	return startJSWith(t, devstack.NATSOptions{})
}

// startJSWith is startJS with server options.
func startJSWith(t testing.TB, opts devstack.NATSOptions) jetstream.JetStream {
	t.Helper()
	srv, err := devstack.StartNATS(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	nc, err := nats.Connect(srv.ClientURL(), nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// testCtx bounds a test's calls so that a hang fails the test instead of the suite.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// golden opens the tiny-hymba BF16 checkpoint and its config.
func golden(t testing.TB) (*model.Config, *checkpoint.Checkpoint) {
	t.Helper()
	cfg, err := model.LoadConfig(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := checkpoint.Open(filepath.Join(goldenDir, "model.bf16.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ck.Close() })
	return cfg, ck
}

// goldenTensors copies the golden checkpoint into a map the test may change.
func goldenTensors(t testing.TB) (*model.Config, model.Tensors) {
	cfg, ck := golden(t)
	ts := model.Tensors{}
	for _, name := range ck.Names() {
		tn, err := ck.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		tn.Data = slices.Clone(tn.Data)
		ts[name] = tn
	}
	return cfg, ts
}

// publish publishes src and fails the test on error.
func publish(t testing.TB, js jetstream.JetStream, bucket string, cfg *model.Config, src model.TensorSource, name string) *Manifest {
	t.Helper()
	m, err := Publish(testCtx(t), js, bucket, cfg, src, name)
	if err != nil {
		t.Fatalf("Publish(%s): %v", bucket, err)
	}
	return m
}

// opLog records the object names a recordingJS transfers.
type opLog struct {
	mu         sync.Mutex
	gets, puts []string
}

func (l *opLog) add(list *[]string, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	*list = append(*list, name)
}

func (l *opLog) take() (gets, puts []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	gets, puts, l.gets, l.puts = l.gets, l.puts, nil, nil
	return gets, puts
}

// recordingJS is a real JetStream client whose object stores record every object read or
// written through them.
type recordingJS struct {
	jetstream.JetStream
	log *opLog
}

func record(js jetstream.JetStream) recordingJS { return recordingJS{js, &opLog{}} }

func (r recordingJS) ObjectStore(ctx context.Context, bucket string) (jetstream.ObjectStore, error) {
	obs, err := r.JetStream.ObjectStore(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return recordingOBS{obs, r.log}, nil
}

func (r recordingJS) CreateObjectStore(ctx context.Context, cfg jetstream.ObjectStoreConfig) (jetstream.ObjectStore, error) {
	obs, err := r.JetStream.CreateObjectStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return recordingOBS{obs, r.log}, nil
}

type recordingOBS struct {
	jetstream.ObjectStore
	log *opLog
}

func (o recordingOBS) Get(ctx context.Context, name string, opts ...jetstream.GetObjectOpt) (jetstream.ObjectResult, error) {
	o.log.add(&o.log.gets, name)
	return o.ObjectStore.Get(ctx, name, opts...)
}

func (o recordingOBS) GetBytes(ctx context.Context, name string, opts ...jetstream.GetObjectOpt) ([]byte, error) {
	o.log.add(&o.log.gets, name)
	return o.ObjectStore.GetBytes(ctx, name, opts...)
}

func (o recordingOBS) Put(ctx context.Context, meta jetstream.ObjectMeta, r io.Reader) (*jetstream.ObjectInfo, error) {
	o.log.add(&o.log.puts, meta.Name)
	return o.ObjectStore.Put(ctx, meta, r)
}

func (o recordingOBS) PutBytes(ctx context.Context, name string, data []byte) (*jetstream.ObjectInfo, error) {
	o.log.add(&o.log.puts, name)
	return o.ObjectStore.PutBytes(ctx, name, data)
}
