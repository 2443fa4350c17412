package weightstore

import (
	"errors"
	"fmt"
)

// Sentinels wrapped by *Error, for callers that branch on the kind of failure.
var (
	// ErrMissing: the bucket, the manifest or an object the manifest lists is not there.
	ErrMissing = errors.New("not found")
	// ErrHashMismatch: an object's bytes differ from what the manifest records (size or SHA-256).
	ErrHashMismatch = errors.New("content does not match the manifest")
	// ErrLayerRange: the requested layer range is not inside the published model.
	ErrLayerRange = errors.New("layer range outside the model")
	// ErrBadManifest: the manifest object is not a manifest this build reads.
	ErrBadManifest = errors.New("invalid manifest")
)

// Error reports a failure against one bucket and, when it concerns one, the object at fault.
type Error struct {
	Bucket string // object store bucket
	Object string // object name ("layer.3", "manifest", ...); "" for the bucket as a whole
	Err    error  // what is wrong; wraps one of the sentinels above where one applies
}

func (e *Error) Error() string {
	if e.Object == "" {
		return fmt.Sprintf("weightstore: bucket %q: %v", e.Bucket, e.Err)
	}
	return fmt.Sprintf("weightstore: bucket %q: object %q: %v", e.Bucket, e.Object, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// objErr builds an *Error for one object of bucket.
func objErr(bucket, object string, format string, args ...any) error {
	return &Error{Bucket: bucket, Object: object, Err: fmt.Errorf(format, args...)}
}
