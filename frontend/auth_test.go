package frontend

import (
	"net/http"
	"testing"
)

// TestKeySetRotation checks that a shared KeySet replaces APIKeys and that keys set while
// the handler serves take effect on the next request.
func TestKeySetRotation(t *testing.T) {
	keys := NewKeySet([]string{"old", ""})
	if keys.Len() != 1 {
		t.Fatalf("Len %d, want 1 (empty keys dropped)", keys.Len())
	}
	srv := newHTTPServer(t, newTestBackend(), HTTPConfig{APIKeys: []string{"ignored"}, Keys: keys})
	status := func(key string) int {
		t.Helper()
		resp, _ := do(t, srv, http.MethodGet, "/v1/models", "", http.Header{"Authorization": {"Bearer " + key}})
		return resp.StatusCode
	}
	if status("old") != http.StatusOK || status("ignored") != http.StatusUnauthorized {
		t.Fatalf("before rotation: old %d, ignored %d", status("old"), status("ignored"))
	}
	keys.Set([]string{"new"})
	if status("new") != http.StatusOK || status("old") != http.StatusUnauthorized {
		t.Errorf("after rotation: new %d, old %d", status("new"), status("old"))
	}
	var zero KeySet
	if zero.Len() != 0 || !zero.admits("") {
		t.Error("the zero KeySet must be empty and admit everyone")
	}
}
