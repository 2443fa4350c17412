package weightstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hymbaserve/hymbaserve/model"
)

// ChunkSize is the object store chunk size Publish uses (1 MiB, or the server's max_payload when
// that is smaller).
const ChunkSize = 1 << 20

// Publish stores every tensor of src needed by cfg as objects in bucket (created if absent): one
// object per layer ("layer.<i>": a safetensors blob of the tensors named "model.layers.<i>.…"),
// "embed" (model.embed_tokens.weight), "meta" (model.memory_tokens), "final_norm"
// (model.final_layernorm.weight), "config.json", and last the "manifest" that commits them. An
// object whose bytes are already in the bucket is not uploaded again: the returned Manifest's
// Uploaded, Skipped and Deleted say what happened. src must list its tensors
// (model.Tensors, *checkpoint.Checkpoint or anything with a Names() []string method); it is
// checked against cfg with model.New before anything is written.
func Publish(ctx context.Context, js jetstream.JetStream, bucket string, cfg *model.Config, src model.TensorSource, name string) (*Manifest, error) {
	if err := checkSource(cfg, src, name); err != nil {
		return nil, err
	}
	blobs, err := plan(cfg, src)
	if err != nil {
		return nil, err
	}
	obs, err := openOrCreate(ctx, js, bucket)
	if err != nil {
		return nil, err
	}
	p := publisher{ctx: ctx, obs: obs, bucket: bucket, chunk: chunkSize(js)}
	m := &Manifest{Format: FormatVersion, Model: name, NumLayers: cfg.NumHiddenLayers, Objects: map[string]Entry{}}
	for _, b := range blobs {
		if m.Objects[b.name], err = p.put(m, b); err != nil {
			return nil, err
		}
	}
	if _, err := p.put(m, blob{name: ManifestObject, raw: m.encode()}); err != nil {
		return nil, err
	}
	if m.Deleted, err = p.deleteStale(m); err != nil {
		return nil, err
	}
	return m, nil
}

// checkSource refuses arguments that would publish a model no worker could load.
func checkSource(cfg *model.Config, src model.TensorSource, name string) error {
	switch {
	case cfg == nil:
		return errors.New("weightstore: publish: config is nil")
	case src == nil:
		return errors.New("weightstore: publish: tensor source is nil")
	case name == "":
		return errors.New("weightstore: publish: model name is empty")
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("weightstore: publish: %w", err)
	}
	if _, err := model.New(cfg, src, model.LoadOptions{}); err != nil {
		return fmt.Errorf("weightstore: publish: the tensors do not form the model config.json describes: %w", err)
	}
	return nil
}

// openOrCreate binds to bucket, creating it (file storage, one replica) when it does not exist.
func openOrCreate(ctx context.Context, js jetstream.JetStream, bucket string) (jetstream.ObjectStore, error) {
	obs, err := js.ObjectStore(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: bucket, Description: "hymbaserve model weights"})
		if errors.Is(err, jetstream.ErrBucketExists) { // created by a concurrent publisher
			obs, err = js.ObjectStore(ctx, bucket)
		}
	}
	if err != nil {
		return nil, &Error{Bucket: bucket, Err: fmt.Errorf("open or create the object store: %w", err)}
	}
	return obs, nil
}

// chunkSize is ChunkSize, capped by the connection's max_payload (chunks carry no headers).
func chunkSize(js jetstream.JetStream) uint32 {
	if nc := js.Conn(); nc != nil && nc.MaxPayload() > 0 && nc.MaxPayload() < ChunkSize {
		return uint32(nc.MaxPayload())
	}
	return ChunkSize
}

// publisher uploads the objects of one Publish call.
type publisher struct {
	ctx    context.Context
	obs    jetstream.ObjectStore
	bucket string
	chunk  uint32
}

// put stores b unless the bucket already holds the same bytes under its name, records which in
// m, and returns b's entry.
func (p *publisher) put(m *Manifest, b blob) (Entry, error) {
	h := sha256.New()
	size, err := b.writeTo(h)
	if err != nil {
		return Entry{}, objErr(p.bucket, b.name, "encode: %w", err)
	}
	sum := h.Sum(nil)
	e := Entry{SHA256: hex.EncodeToString(sum), Size: size}
	same, err := p.holds(b.name, sum, size)
	if err != nil {
		return Entry{}, err
	}
	if same {
		m.Skipped = append(m.Skipped, b.name)
		return e, nil
	}
	if err := p.upload(b, sum); err != nil {
		return Entry{}, err
	}
	m.Uploaded = append(m.Uploaded, b.name)
	return e, nil
}

// holds reports whether the bucket has an object called name of this size and SHA-256, from its
// metadata alone (the object store records every object's SHA-256).
func (p *publisher) holds(name string, sum []byte, size int64) (bool, error) {
	info, err := p.obs.GetInfo(p.ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return false, nil
	}
	if err != nil {
		return false, objErr(p.bucket, name, "read object info: %w", err)
	}
	return info.Digest == natsDigest(sum) && info.Size == uint64(size), nil
}

// natsDigest spells a SHA-256 the way the object store records it.
func natsDigest(sum []byte) string { return "SHA-256=" + base64.URLEncoding.EncodeToString(sum) }

var errUploadEnded = errors.New("upload ended")

// upload streams b into the bucket in full chunks, without holding the whole object in memory,
// and checks that the object store saw the bytes that were hashed.
func (p *publisher) upload(b blob, sum []byte) error {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := b.writeTo(pw)
		pw.CloseWithError(err) // nil: EOF for the reader
	}()
	meta := jetstream.ObjectMeta{Name: b.name, Opts: &jetstream.ObjectMetaOptions{ChunkSize: p.chunk}}
	info, err := p.obs.Put(p.ctx, meta, fullReader{pr})
	pr.CloseWithError(errUploadEnded) // unblocks the writer if Put stopped reading early
	<-done
	if err != nil {
		return objErr(p.bucket, b.name, "upload: %w", err)
	}
	if info.Digest != natsDigest(sum) {
		return objErr(p.bucket, b.name, "%w: the tensors changed while they were published", ErrHashMismatch)
	}
	return nil
}

// fullReader fills every Read completely until the end, so that each object store chunk is a
// full one however the writer splits its writes.
type fullReader struct{ r io.Reader }

func (f fullReader) Read(b []byte) (int, error) {
	n, err := io.ReadFull(f.r, b)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}

// deleteStale removes objects this package writes that the new manifest no longer lists, such
// as the extra layers of a deeper model published to the bucket before. Other objects are left.
func (p *publisher) deleteStale(m *Manifest) ([]string, error) {
	infos, err := p.obs.List(p.ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, &Error{Bucket: p.bucket, Err: fmt.Errorf("list objects: %w", err)}
	}
	var deleted []string
	for _, info := range infos {
		_, listed := m.Objects[info.Name]
		if listed || info.Name == ManifestObject || !knownObject(info.Name) {
			continue
		}
		if err := p.obs.Delete(p.ctx, info.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			return nil, objErr(p.bucket, info.Name, "delete stale object: %w", err)
		}
		deleted = append(deleted, info.Name)
	}
	slices.Sort(deleted)
	return deleted, nil
}
