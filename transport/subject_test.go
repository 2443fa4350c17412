package transport

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckSubject(t *testing.T) {
	for _, tc := range []struct {
		subject    string
		pub, subOK bool
	}{
		{"a", true, true},
		{"hymba.c1.stage.w-0", true, true},
		{"a.*", false, true},
		{"*", false, true},
		{">", false, true},
		{"a.*.c.>", false, true},
		{"", false, false},
		{"a..b", false, false},
		{".a", false, false},
		{"a.", false, false},
		{"a b", false, false},
		{"a\nb", false, false},
		{"a.>.b", false, false},
		{"a.b*", false, false},
		{"a.>b", false, false},
	} {
		if err := checkSubject(tc.subject, false); (err == nil) != tc.pub || (err != nil && !errors.Is(err, ErrBadSubject)) {
			t.Errorf("publish subject %q: %v", tc.subject, err)
		}
		if err := checkSubject(tc.subject, true); (err == nil) != tc.subOK {
			t.Errorf("subscribe subject %q: %v", tc.subject, err)
		}
	}
}

func TestMatchSubject(t *testing.T) {
	for _, tc := range []struct {
		pattern, subject string
		want             bool
	}{
		{"a.b", "a.b", true},
		{"a.b", "a.c", false},
		{"a.b", "a.b.c", false},
		{"a.b.c", "a.b", false},
		{"a.*", "a.b", true},
		{"a.*", "a.b.c", false},
		{"a.*", "a", false},
		{"*.b", "x.b", true},
		{"a.>", "a.b", true},
		{"a.>", "a.b.c", true},
		{"a.>", "a", false},
		{">", "a.b", true},
		{"a.*.>", "a.b", false},
		{"a.*.>", "a.b.c", true},
	} {
		if got := matchSubject(strings.Split(tc.pattern, "."), strings.Split(tc.subject, ".")); got != tc.want {
			t.Errorf("match(%q, %q) = %v, want %v", tc.pattern, tc.subject, got, tc.want)
		}
	}
}

func TestSubjects(t *testing.T) {
	s, err := NewSubjects("prod-eu_1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		got  func(string) (string, error)
		want string
	}{
		{s.Stage, "hymba.prod-eu_1.stage.w7"},
		{s.Coord, "hymba.prod-eu_1.coord.w7"},
		{s.Control, "hymba.prod-eu_1.ctl.w7"},
		{s.KV, "hymba.prod-eu_1.kv.w7"},
	} {
		got, err := tc.got("w7")
		if err != nil || got != tc.want {
			t.Errorf("got %q, %v; want %q", got, err, tc.want)
		}
		if err := checkSubject(got, false); err != nil {
			t.Errorf("%q is not a publishable subject: %v", got, err)
		}
	}
	if got := s.AllStages(); got != "hymba.prod-eu_1.stage.*" {
		t.Errorf("AllStages = %q", got)
	}
	for _, bad := range []string{"", "w.1", "w*", "w>", "w 1", "wörker", strings.Repeat("x", MaxTokenLen+1)} {
		if _, err := s.Stage(bad); !errors.Is(err, ErrBadSubject) || !strings.Contains(err.Error(), "worker id") {
			t.Errorf("Stage(%q): %v", bad, err)
		}
	}
	if _, err := NewSubjects("a.b"); err == nil || !strings.Contains(err.Error(), "cluster name") {
		t.Errorf("NewSubjects(a.b): %v", err)
	}
	if _, err := (Subjects{}).Stage("w"); !errors.Is(err, ErrBadSubject) {
		t.Errorf("zero Subjects: %v", err)
	}
}
