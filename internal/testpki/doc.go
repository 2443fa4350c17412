// Package testpki issues throwaway certificates for tests: a certificate authority whose
// certificate and key files, and those of the server and client certificates it signs, are
// written into the test's temporary directory. Nothing here is for production use.
package testpki
