package frontend

import (
	"crypto/subtle"
	"strings"
)

// keyRing checks bearer API keys. An empty ring admits everyone.
type keyRing [][]byte

func newKeyRing(keys []string) keyRing {
	var ring keyRing
	for _, k := range keys {
		if k != "" {
			ring = append(ring, []byte(k))
		}
	}
	return ring
}

// admits reports whether the Authorization header value carries one of the
// keys. Every key is compared in constant time.
func (ring keyRing) admits(authorization string) bool {
	if len(ring) == 0 {
		return true
	}
	token, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok {
		return false
	}
	match := 0
	for _, k := range ring {
		match |= subtle.ConstantTimeCompare(k, []byte(token))
	}
	return match == 1
}
