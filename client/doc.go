// Package client is a Go client of a hymbaserve cluster's gRPC API (Inference and Admin), used by
// hymbactl and the integration tests.
package client
