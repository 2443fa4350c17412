package frontend

import (
	"context"
	"errors"
	"net/http"

	"google.golang.org/grpc/codes"
)

// HTTP-only error kinds; gRPC enforces methods and sizes itself.
var (
	errMethodNotAllowed = errors.New("method not allowed")
	errTooLarge         = errors.New("request too large")
)

// errClass says how one error kind reaches clients. The table below is the
// project's single error catalogue; docs/api.md mirrors it.
type errClass struct {
	kind      error
	status    int    // HTTP status
	typ       string // OpenAI error type
	code      string // OpenAI error code; the gRPC ErrorInfo reason is its upper case
	grpc      codes.Code
	retryable bool // a later retry can succeed; HTTP sends Retry-After
}

// catalogue is searched in order; ErrContextLength comes before
// ErrInvalidRequest so that an error wrapping both reports the former.
var catalogue = []errClass{
	{ErrContextLength, http.StatusBadRequest, "invalid_request_error", "context_length_exceeded", codes.InvalidArgument, false},
	{ErrInvalidRequest, http.StatusBadRequest, "invalid_request_error", "invalid_request", codes.InvalidArgument, false},
	{ErrNotFound, http.StatusNotFound, "invalid_request_error", "not_found", codes.NotFound, false},
	{errUnauthenticated, http.StatusUnauthorized, "authentication_error", "invalid_api_key", codes.Unauthenticated, false},
	{errMethodNotAllowed, http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", codes.Unimplemented, false},
	{errTooLarge, http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", codes.ResourceExhausted, false},
	{ErrOverloaded, http.StatusTooManyRequests, "rate_limit_error", "overloaded", codes.ResourceExhausted, true},
	{ErrUnavailable, http.StatusServiceUnavailable, "service_unavailable_error", "unavailable", codes.Unavailable, true},
	{context.DeadlineExceeded, http.StatusGatewayTimeout, "timeout_error", "timeout", codes.DeadlineExceeded, true},
	{context.Canceled, 499, "cancelled_error", "cancelled", codes.Canceled, false},
}

// internalClass covers every error outside the catalogue. Its message is not
// shown to clients; the servers log it.
var internalClass = errClass{nil, http.StatusInternalServerError, "server_error", "internal_error", codes.Internal, false}

// apiError is an error as a client sees it.
type apiError struct {
	class errClass
	msg   string
	param string // "" if none
	code  string
}

// describe classifies err for a client.
func describe(err error) apiError {
	class := internalClass
	for _, c := range catalogue {
		if errors.Is(err, c.kind) {
			class = c
			break
		}
	}
	if class.kind == nil {
		return apiError{class: class, msg: "internal server error", code: class.code}
	}
	ae := apiError{class: class, msg: err.Error(), code: class.code}
	var e *Error
	if errors.As(err, &e) {
		ae.param = e.Param
		if e.Code != "" {
			ae.code = e.Code
		}
	}
	return ae
}
