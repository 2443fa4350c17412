package weightstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hymbaserve/hymbaserve/model"
)

// maxManifestSize bounds the manifest read (a 32-layer model's is about 4 KB).
const maxManifestSize = 1 << 20

// Fetch downloads the objects a worker needs for layers [first, last) — its layer objects, plus
// "embed" and "meta" when first == 0, "embed" and "final_norm" when last == cfg.NumHiddenLayers —
// verifies each one's size and SHA-256 against the manifest, parses them with checkpoint.Parse
// and returns the config and a source over their tensors (a *Weights). Nothing else is
// transferred besides the manifest and config.json. Errors are *Error values naming the bucket
// and object at fault, wrapping ErrMissing, ErrHashMismatch, ErrLayerRange or ErrBadManifest.
func Fetch(ctx context.Context, js jetstream.JetStream, bucket string, first, last int) (*model.Config, model.TensorSource, error) {
	obs, err := openBucket(ctx, js, bucket)
	if err != nil {
		return nil, nil, err
	}
	m, err := readManifest(ctx, obs, bucket)
	if err != nil {
		return nil, nil, err
	}
	names, err := m.ObjectsFor(first, last)
	if err != nil {
		return nil, nil, &Error{Bucket: bucket, Err: err}
	}
	cfg, err := fetchConfig(ctx, obs, bucket, m)
	if err != nil {
		return nil, nil, err
	}
	w := newWeights(bucket, m, first, last)
	for _, name := range names {
		data, err := fetchObject(ctx, obs, bucket, name, m.Objects[name])
		if err != nil {
			return nil, nil, err
		}
		if err := w.add(name, data); err != nil {
			return nil, nil, err
		}
	}
	return cfg, w, nil
}

// ReadManifest returns the manifest of bucket: which model it holds, its layer count and the
// size of every object (see Manifest.ObjectsFor and Manifest.Size to plan a fetch).
func ReadManifest(ctx context.Context, js jetstream.JetStream, bucket string) (*Manifest, error) {
	obs, err := openBucket(ctx, js, bucket)
	if err != nil {
		return nil, err
	}
	return readManifest(ctx, obs, bucket)
}

// openBucket binds to an existing bucket.
func openBucket(ctx context.Context, js jetstream.JetStream, bucket string) (jetstream.ObjectStore, error) {
	obs, err := js.ObjectStore(ctx, bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, &Error{Bucket: bucket, Err: fmt.Errorf("%w: no such object store bucket (nothing published?)", ErrMissing)}
	}
	if err != nil {
		return nil, &Error{Bucket: bucket, Err: fmt.Errorf("open the object store: %w", err)}
	}
	return obs, nil
}

func readManifest(ctx context.Context, obs jetstream.ObjectStore, bucket string) (*Manifest, error) {
	res, size, err := get(ctx, obs, bucket, ManifestObject)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	if size > maxManifestSize {
		return nil, objErr(bucket, ManifestObject, "%w: %d bytes, more than the %d a manifest may have", ErrBadManifest, size, maxManifestSize)
	}
	data, err := readExact(res, size)
	if err != nil {
		return nil, objErr(bucket, ManifestObject, "%w", err)
	}
	m, err := decodeManifest(data)
	if err != nil {
		return nil, objErr(bucket, ManifestObject, "%w", err)
	}
	return m, nil
}

// fetchConfig fetches, verifies and parses config.json and checks it against the manifest.
func fetchConfig(ctx context.Context, obs jetstream.ObjectStore, bucket string, m *Manifest) (*model.Config, error) {
	data, err := fetchObject(ctx, obs, bucket, ConfigObject, m.Objects[ConfigObject])
	if err != nil {
		return nil, err
	}
	cfg, err := model.ParseConfig(data)
	if err != nil {
		return nil, objErr(bucket, ConfigObject, "%w", err)
	}
	if err := m.checkConfig(cfg); err != nil {
		return nil, objErr(bucket, ConfigObject, "%w", err)
	}
	return cfg, nil
}

// fetchObject downloads one object and checks its size and SHA-256 against e. A size mismatch is
// caught from the object's metadata, before its bytes are transferred.
func fetchObject(ctx context.Context, obs jetstream.ObjectStore, bucket, name string, e Entry) ([]byte, error) {
	res, size, err := get(ctx, obs, bucket, name)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	if size != e.Size {
		return nil, objErr(bucket, name, "%w: the bucket holds %d bytes, the manifest records %d", ErrHashMismatch, size, e.Size)
	}
	data, err := readExact(res, size)
	if err != nil {
		return nil, objErr(bucket, name, "%w", err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != e.SHA256 {
		return nil, objErr(bucket, name, "%w: SHA-256 %x, the manifest records %s", ErrHashMismatch, sum, e.SHA256)
	}
	return data, nil
}

// get starts the download of an object and returns it with its size.
func get(ctx context.Context, obs jetstream.ObjectStore, bucket, name string) (jetstream.ObjectResult, int64, error) {
	res, err := obs.Get(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		what := "the manifest lists it but the bucket has no such object"
		if name == ManifestObject {
			what = "the bucket has no manifest (nothing published, or a publish that did not finish)"
		}
		return nil, 0, objErr(bucket, name, "%w: %s", ErrMissing, what)
	}
	if err != nil {
		return nil, 0, objErr(bucket, name, "get: %w", err)
	}
	info, err := res.Info()
	if err == nil && info.Size > 1<<62 {
		err = fmt.Errorf("object size %d out of range", info.Size)
	}
	if err != nil {
		return nil, 0, errors.Join(objErr(bucket, name, "get: %w", err), res.Close())
	}
	return res, int64(info.Size), nil
}

// readExact reads exactly size bytes and then the end of the object, which is where the object
// store checks its own digest of the chunks.
func readExact(r io.Reader, size int64) ([]byte, error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("%w: shorter than the %d bytes its metadata records", ErrHashMismatch, size)
	} else if err != nil {
		return nil, readErr(err)
	}
	var one [1]byte
	for {
		n, err := r.Read(one[:])
		switch {
		case n > 0:
			return nil, fmt.Errorf("%w: longer than the %d bytes its metadata records", ErrHashMismatch, size)
		case err == io.EOF:
			return data, nil
		case err != nil:
			return nil, readErr(err)
		}
	}
}

// readErr classifies a read error: the object store's own digest check failing means corrupt
// chunks.
func readErr(err error) error {
	if errors.Is(err, jetstream.ErrDigestMismatch) {
		return fmt.Errorf("%w: %w", ErrHashMismatch, err)
	}
	return fmt.Errorf("read: %w", err)
}
