package registry

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestMemberRoundTrip(t *testing.T) {
	m := Member{ID: "w-1.a_b", Addr: "[::1]:50051", GossipAddr: "10.0.0.1:7946",
		Capacity: Capacity{MemBytes: 24 << 30, Speed: 2.5}, Labels: map[string]string{"gpu": "h200"},
		Cordoned: true, StartedAt: time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC)}
	b, err := encodeMember(m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "ordon") {
		t.Fatalf("cordon flag stored in the member record: %s", b)
	}
	got, err := decodeMember("k", m.ID, b)
	if err != nil {
		t.Fatal(err)
	}
	m.Cordoned = false
	if got.ID != m.ID || got.Addr != m.Addr || got.GossipAddr != m.GossipAddr || got.Capacity != m.Capacity ||
		got.Labels["gpu"] != "h200" || !got.StartedAt.Equal(m.StartedAt) || got.Cordoned {
		t.Fatalf("round trip: got %+v; want %+v", got, m)
	}
}

func TestDecodeMemberErrorsNameTheKey(t *testing.T) {
	const key = "/hymbaserve/c/members/info/w1"
	for name, val := range map[string]string{
		"garbage":     "\x00\xff",
		"truncated":   `{"id":"w1"`,
		"wrong id":    `{"id":"w2"}`,
		"wrong type":  `{"id":"w1","capacity":{"mem_bytes":"lots"}}`,
		"invalid mem": `{"id":"w1","capacity":{"mem_bytes":-5}}`,
		"bad addr":    `{"id":"w1","addr":"nope"}`,
	} {
		_, err := decodeMember(key, "w1", []byte(val))
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: err = %v; want an error naming %s", name, err, key)
		}
	}
	if _, err := decodeMember(key, "w1", []byte(`{"id":"w1","future_field":[1,2]}`)); err != nil {
		t.Errorf("unknown field rejected: %v", err)
	}
}

func TestValidateIDAndPlan(t *testing.T) {
	for _, id := range []string{"a", "A9", "w-1", "node.x_y", strings.Repeat("z", MaxIDLen)} {
		if err := ValidateID("id", id); err != nil {
			t.Errorf("ValidateID(%q): %v", id, err)
		}
	}
	for _, id := range []string{"", "-a", ".a", "a/b", "a b", "é", strings.Repeat("z", MaxIDLen+1)} {
		if err := ValidateID("id", id); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateID(%q) = %v; want ErrInvalid", id, err)
		}
	}
	if err := validatePlan(0, []byte(`{"stages":[]}`)); err != nil {
		t.Errorf("valid plan: %v", err)
	}
	if err := validatePlan(0, []byte(`{"a":`)); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("truncated plan: err = %v", err)
	}
}

func TestMemberKeys(t *testing.T) {
	k := newKeys("prod")
	if got := k.member("w1"); got != "/hymbaserve/prod/members/info/w1" {
		t.Fatalf("member key %q", got)
	}
	for key, want := range map[string]struct {
		kind memberKeyKind
		id   string
	}{
		"/hymbaserve/prod/members/info/w1":   {keyInfo, "w1"},
		"/hymbaserve/prod/members/cordon/w1": {keyCordon, "w1"},
		"/hymbaserve/prod/members/info/a/b":  {keyOther, ""},
		"/hymbaserve/prod/members/other/w1":  {keyOther, ""},
		"/hymbaserve/prod/plan":              {keyOther, ""},
	} {
		kind, id := k.parseMemberKey(key)
		if kind != want.kind || id != want.id {
			t.Errorf("parseMemberKey(%q) = %v, %q; want %v, %q", key, kind, id, want.kind, want.id)
		}
	}
}

func TestRegistrationChangesDropOldest(t *testing.T) {
	r := &Registration{changes: make(chan RegChange, changeBuffer)}
	for i := 0; i < changeBuffer+5; i++ {
		r.setState(RegLost, int64(i), nil)
	}
	r.setState(RegActive, 99, nil)
	var last RegChange
	for n := 0; n < changeBuffer; n++ {
		last = <-r.changes
	}
	if last.State != RegActive || last.Lease != 99 {
		t.Fatalf("newest change %+v; want active lease 99 kept", last)
	}
	r.setState(RegClosed, 0, nil)
	r.setState(RegActive, 1, nil) // ignored after close
	if c, ok := <-r.changes; !ok || c.State != RegClosed {
		t.Fatalf("got %+v (open %v); want closed", c, ok)
	}
	if _, ok := <-r.changes; ok {
		t.Fatal("changes not closed after RegClosed")
	}
}
