package frontend

import (
	"crypto/rand"
	"encoding/hex"
)

// maxRequestIDLen bounds caller-chosen request ids.
const maxRequestIDLen = 128

// newRequestID returns a random 24-hex-digit request id.
func newRequestID() string {
	var b [12]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(b[:])
}

// validRequestID reports whether id is 1-128 characters of [A-Za-z0-9._:-],
// safe to log and echo in headers.
func validRequestID(id string) bool {
	if len(id) == 0 || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == ':' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}
