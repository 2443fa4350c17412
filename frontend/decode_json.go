package frontend

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
)

// decodeBody reads one JSON object from r into v; trailing non-space data
// is an error. Errors name the field at fault.
func decodeBody(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	_, err := dec.Token()
	var tooBig *http.MaxBytesError
	switch {
	case err == io.EOF:
		return nil
	case errors.As(err, &tooBig):
		return bodyError(err)
	}
	return invalidf("", "request body has data after the JSON object")
}

// bodyError turns a JSON decoding error into a client-facing *Error.
func bodyError(err error) error {
	var (
		tooBig *http.MaxBytesError
		syn    *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return &Error{Kind: errTooLarge, Msg: fmt.Sprintf("request body exceeds %d bytes", tooBig.Limit)}
	case errors.Is(err, io.EOF):
		return invalidf("", "request body is empty; want a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalidf("", "request body ends inside its JSON value")
	case errors.As(err, &syn):
		return invalidf("", "request body is not valid JSON: %v (at byte %d)", syn, syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return invalidf("", "request body must be a JSON object, not %s", typ.Value)
		}
		field := jsonPath(typ.Field)
		return invalidf(field, "field %q is %s; want %s", field, typ.Value, typeName(typ.Type))
	}
	return invalidf("", "request body: %v", err)
}

// jsonPath drops the Go names of embedded structs from an
// UnmarshalTypeError field path, leaving the JSON field names.
func jsonPath(field string) string {
	return strings.TrimPrefix(field, "commonBody.")
}

// typeName names a Go type the way a JSON client thinks of it.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer in range"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer in range"
	case reflect.Float32, reflect.Float64:
		return "a number in range"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// rawKind returns the JSON kind of raw by its first byte: '"', '[', '{',
// 'n' (null, also for an absent field), 't'/'f', or '0' for numbers.
func rawKind(raw json.RawMessage) byte {
	if len(raw) == 0 {
		return 'n'
	}
	switch c := raw[0]; c {
	case '"', '[', '{', 'n', 't', 'f':
		return c
	}
	return '0'
}
