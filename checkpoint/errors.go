package checkpoint

import (
	"errors"
	"fmt"
)

// Sentinels wrapped by *Error where a caller may want to branch.
var (
	// ErrNotFound: the checkpoint has no tensor of the requested name.
	ErrNotFound = errors.New("tensor not found")
	// ErrUnsupportedDType: the tensor's values cannot be read as the requested type.
	ErrUnsupportedDType = errors.New("unsupported dtype")
	// ErrClosed: the checkpoint was closed.
	ErrClosed = errors.New("checkpoint closed")
)

// Error reports a problem with one file of a checkpoint. It names the file and the tensor at
// fault; a problem with the file as a whole (its length prefix, its JSON, its metadata) is
// reported against the "header".
type Error struct {
	File   string // path (or name given to Parse) of the file at fault
	Tensor string // tensor at fault; "" for the header as a whole
	Err    error  // what is wrong
}

func (e *Error) Error() string {
	if e.Tensor == "" {
		return fmt.Sprintf("checkpoint: %s: header: %v", e.File, e.Err)
	}
	return fmt.Sprintf("checkpoint: %s: tensor %q: %v", e.File, e.Tensor, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// headerErr builds an *Error for the header of file.
func headerErr(file, format string, args ...any) error {
	return &Error{File: file, Err: fmt.Errorf(format, args...)}
}

// tensorErr builds an *Error for one tensor of file.
func tensorErr(file, tensor, format string, args ...any) error {
	return &Error{File: file, Tensor: tensor, Err: fmt.Errorf(format, args...)}
}
