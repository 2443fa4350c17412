// Package frontend holds hymbaserve's public servers and the seam they
// serve through: the Backend interface, which the coordinator implements.
//
//   - NewGRPCServer: the hymbaserve.v1 Inference service (streaming
//     Generate, Tokenize), the Admin service (Status), the standard
//     grpc.health.v1 service, whose status follows the backend's readiness,
//     and server reflection (for grpcurl).
//   - NewHTTPHandler: an OpenAI-compatible HTTP API: /v1/models,
//     /v1/completions and /v1/chat/completions (with and without
//     server-sent-event streaming), /healthz and /readyz.
//
// Both servers decode and validate requests into one Request type, so a
// backend sees the same guarantees from either; the backend tokenizes and
// applies the chat template. docs/api.md is the user's reference.
//
// # Usage
//
//	var b frontend.Backend = coord // the coordinator
//	g := frontend.NewGRPCServer(b, frontend.GRPCConfig{Logger: log})
//	go g.Serve(grpcListener)
//	defer g.GracefulStop()
//	h := &http.Server{Handler: frontend.NewHTTPHandler(b, frontend.HTTPConfig{Logger: log}),
//		ReadHeaderTimeout: 10 * time.Second}
//	go h.Serve(httpListener)
//
// # Errors
//
// A backend reports failures by wrapping one of ErrInvalidRequest,
// ErrContextLength, ErrUnavailable, ErrOverloaded or ErrNotFound (with
// Errorf, which can name the request field at fault, or fmt.Errorf and %w).
// The table in catalogue.go maps each kind to an HTTP status, an OpenAI
// error type and code, and a gRPC code; every HTTP error body has the
// OpenAI shape {"error":{"message","type","param","code"}}, and gRPC
// statuses carry ErrorInfo (and BadRequest / RetryInfo) details. Any other
// error is an internal error: it is logged, and clients see only "internal
// server error". Messages are client-facing and carry no package prefix.
//
// # Decisions where the OpenAI API is silent or does not fit
//
//   - Defaults: temperature 1, top_p 1, top_k 0 (off), repetition_penalty
//     1 (off). max_tokens defaults to 16 on /v1/completions (OpenAI's
//     documented default) and to the server's limit elsewhere; generation
//     also stops at EOS, a stop string, or the end of the context window
//     (finish_reason "length").
//   - The backend returns ErrContextLength only when the prompt alone leaves
//     no room to generate; prompt + max_tokens beyond the context is not an
//     error, the output ends at the window with "length". Token-id prompts
//     are checked here already.
//   - The request "model" may be omitted; any other name than the served
//     one is 404 model_not_found.
//   - Fields this server cannot honour are rejected with 400 rather than
//     silently ignored: n != 1, best_of != 1, echo, suffix, logprobs,
//     logit_bias, non-zero presence/frequency penalties, tools, tool calls,
//     non-text content parts, response_format other than text. Unknown
//     fields are ignored; "user" is ignored.
//   - top_k -1 (vLLM's "off") is taken as 0; role "developer" as "system";
//     a list of text content parts is joined with "\n".
//   - A streamed request that fails before its first chunk gets a plain
//     JSON error with its real status (400, 429, 503, ...); after output
//     has started, the error arrives as a data: {"error":...} event followed
//     by data: [DONE].
//   - Request ids: X-Request-Id (HTTP) or request_id (gRPC) when well
//     formed, else a random one; echoed in the X-Request-Id header, the
//     response id ("cmpl-<id>", "chatcmpl-<id>") and the first gRPC message.
//   - Client disconnect or call cancellation cancels the context passed to
//     Backend.Generate; a failed write to the client does too.
//   - A panic in a gRPC handler becomes an Internal error for that call
//     (net/http already recovers HTTP handler panics).
package frontend
