// Package client is a Go client of a hymbaserve cluster's gRPC API (Inference and Admin), used by
// hymbactl and the integration tests. Dial takes options for a cluster that requires API keys
// (WithAPIKey) or serves TLS (WithTLS); docs/security.md describes both.
package client
