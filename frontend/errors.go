package frontend

import (
	"errors"
	"fmt"
)

// Error kinds. A backend reports a failure by wrapping one of them, with
// Errorf or fmt.Errorf("%w: ...", kind); the servers map the kind to an
// HTTP status and OpenAI error type/code and to a gRPC status code (see
// docs/api.md). Their messages are client-facing, so they carry no package
// prefix.
var (
	// ErrInvalidRequest: the request is malformed or out of range.
	// HTTP 400 invalid_request_error, gRPC InvalidArgument.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrContextLength: the prompt does not fit the model's context.
	// HTTP 400 code context_length_exceeded, gRPC InvalidArgument.
	ErrContextLength = errors.New("context length exceeded")
	// ErrUnavailable: no pipeline can serve now; retry later.
	// HTTP 503, gRPC Unavailable.
	ErrUnavailable = errors.New("service unavailable")
	// ErrOverloaded: the cluster sheds load; retry later.
	// HTTP 429, gRPC ResourceExhausted.
	ErrOverloaded = errors.New("server overloaded")
	// ErrNotFound: the named model or object does not exist.
	// HTTP 404, gRPC NotFound.
	ErrNotFound = errors.New("not found")

	// errUnauthenticated: missing or wrong API key. HTTP 401, gRPC
	// Unauthenticated.
	errUnauthenticated = errors.New("unauthenticated")
)

// Error is a client-facing error of one kind, naming the request field at
// fault. errors.Is(err, kind) holds for an *Error of that kind.
type Error struct {
	Kind  error  // one of the Err* kinds
	Param string // request field at fault, e.g. "max_tokens", "messages[1].role"; "" if none
	Code  string // overrides the kind's OpenAI error code when set
	Msg   string // message for the client
}

// Errorf returns an *Error of the given kind about param, with a formatted
// message.
func Errorf(kind error, param, format string, args ...any) error {
	return &Error{Kind: kind, Param: param, Msg: fmt.Sprintf(format, args...)}
}

// invalidf is Errorf(ErrInvalidRequest, ...).
func invalidf(param, format string, args ...any) error {
	return Errorf(ErrInvalidRequest, param, format, args...)
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the error's kind.
func (e *Error) Unwrap() error { return e.Kind }
