package frontend

import (
	"crypto/subtle"
	"fmt"
	"strings"
	"sync/atomic"
)

// KeySet is a set of bearer API keys that can be replaced while the servers run (key
// rotation). An empty set admits every request. The zero value is an empty set; it is safe
// for concurrent use.
type KeySet struct {
	ring atomic.Pointer[keyRing]
}

// NewKeySet returns a set holding keys (empty strings are dropped).
func NewKeySet(keys []string) *KeySet {
	s := &KeySet{}
	s.Set(keys)
	return s
}

// Set replaces the keys; requests from then on are checked against the new ones. Empty
// strings are dropped, so setting no non-empty key opens the API: callers that rotate keys
// from a file refuse an empty file instead.
func (s *KeySet) Set(keys []string) {
	ring := newKeyRing(keys)
	s.ring.Store(&ring)
}

// Len returns the number of keys.
func (s *KeySet) Len() int {
	if r := s.ring.Load(); r != nil {
		return len(*r)
	}
	return 0
}

// admits reports whether the Authorization header value carries one of the keys.
func (s *KeySet) admits(authorization string) bool {
	r := s.ring.Load()
	return r == nil || r.admits(authorization)
}

// ParseKeys parses an API key file: one key per line; blank lines, lines starting with #
// and surrounding white space are ignored. A key must be printable ASCII without spaces, as
// a bearer token in an HTTP header or gRPC metadata is: anything else is a typo (two keys on
// one line, say) or a binary file, and is refused. name is used in errors.
func ParseKeys(name string, data []byte) ([]string, error) {
	var keys []string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !printableToken(line) {
			return nil, fmt.Errorf("API key file %s, line %d: a key must be printable ASCII without spaces (one key per line)", name, i+1)
		}
		keys = append(keys, line)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("API key file %s holds no key (an empty file would open the API to everyone)", name)
	}
	return keys, nil
}

func printableToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// keySetOf returns the server's key set: the shared one when given, else a fixed one.
func keySetOf(shared *KeySet, fixed []string) *KeySet {
	if shared != nil {
		return shared
	}
	return NewKeySet(fixed)
}

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
