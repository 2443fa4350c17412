package sample

import (
	"strings"
	"testing"
)

const eosID = 2

type push struct {
	id   int
	text string
}

type step struct {
	emit   string
	done   bool
	reason StopReason
}

func texts(ts ...string) []push {
	out := make([]push, len(ts))
	for i, s := range ts {
		out[i] = push{id: 100 + i, text: s}
	}
	return out
}

func TestStopper(t *testing.T) {
	tests := []struct {
		name    string
		stops   []string
		max     int
		pushes  []push
		want    []step
		matched string
		flush   string
	}{
		{
			name: "stop string split over tokens is held back", stops: []string{"</end>"},
			pushes:  texts("Hello", " wor", "ld</", "en", "d> after"),
			want:    []step{{"Hello", false, ""}, {" wor", false, ""}, {"ld", false, ""}, {"", false, ""}, {"", true, "stop"}},
			matched: "</end>",
		},
		{
			name: "partial prefix released when it is not a stop", stops: []string{"STOP"},
			pushes: texts("ab", "ST", "O", "x", "S"),
			want:   []step{{"ab", false, ""}, {"", false, ""}, {"", false, ""}, {"STOx", false, ""}, {"", false, ""}},
			flush:  "S",
		},
		{
			name: "overlapping prefix releases only what cannot start a stop", stops: []string{"aab"},
			pushes:  texts("a", "a", "a", "b"),
			want:    []step{{"", false, ""}, {"", false, ""}, {"a", false, ""}, {"", true, "stop"}},
			matched: "aab",
		},
		{
			name: "stop inside one token emits the text before it", stops: []string{"###"},
			pushes: texts("one two### three"),
			want:   []step{{"one two", true, "stop"}}, matched: "###",
		},
		{
			name: "eos releases held text and drops its own", stops: []string{"##"},
			pushes: []push{{100, "x#"}, {eosID, "</s>"}},
			want:   []step{{"x", false, ""}, {"#", true, "stop"}},
		},
		{
			name: "eos beats a stop string and the limit on the same token", stops: []string{"</s>"}, max: 2,
			pushes: []push{{100, "hi"}, {eosID, "</s>"}},
			want:   []step{{"hi", false, ""}, {"", true, "stop"}},
		},
		{
			name: "max tokens emits everything held", stops: []string{"cd"}, max: 3,
			pushes: texts("a", "b", "c"),
			want:   []step{{"a", false, ""}, {"b", false, ""}, {"c", true, "length"}},
		},
		{
			name: "stop string on the last allowed token beats length", stops: []string{"cd"}, max: 3,
			pushes: texts("a", "c", "d"),
			want:   []step{{"a", false, ""}, {"", false, ""}, {"", true, "stop"}}, matched: "cd",
		},
		{
			name: "first stop to end wins among several", stops: []string{"world", "lo w"},
			pushes: texts("hello world"),
			want:   []step{{"hel", true, "stop"}}, matched: "lo w",
		},
		{
			name: "longest wins among stops ending together", stops: []string{"c", "bc"},
			pushes: texts("abc"),
			want:   []step{{"a", true, "stop"}}, matched: "bc",
		},
		{
			name: "each of several stops held back", stops: []string{"XY", "ZW"},
			pushes: texts("aX", "bZ", "W!"),
			want:   []step{{"a", false, ""}, {"Xb", false, ""}, {"", true, "stop"}}, matched: "ZW",
		},
		{
			name: "empty text tokens", stops: []string{"ab"}, max: 5,
			pushes:  texts("", "a", "", "", "b"),
			want:    []step{{"", false, ""}, {"", false, ""}, {"", false, ""}, {"", false, ""}, {"", true, "stop"}},
			matched: "ab",
		},
		{
			name: "empty stop strings ignored", stops: []string{"", ""},
			pushes: texts("abc"), want: []step{{"abc", false, ""}},
		},
		{
			name: "multibyte stop split inside a rune", stops: []string{"é!"},
			pushes: texts("caf", "\xc3", "\xa9", "!"),
			want:   []step{{"caf", false, ""}, {"", false, ""}, {"", false, ""}, {"", true, "stop"}}, matched: "é!",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := NewStopper([]int{eosID}, tc.stops, tc.max)
			for i, p := range tc.pushes {
				emit, done, reason := st.Push(p.id, p.text)
				if got := (step{emit, done, reason}); got != tc.want[i] {
					t.Fatalf("push %d (%q): got %+v, want %+v", i, p.text, got, tc.want[i])
				}
			}
			if st.Matched() != tc.matched {
				t.Errorf("Matched() = %q, want %q", st.Matched(), tc.matched)
			}
			if got := st.Flush(); got != tc.flush {
				t.Errorf("Flush() = %q, want %q", got, tc.flush)
			}
		})
	}
}

func TestStopperAfterDone(t *testing.T) {
	st := NewStopper(nil, []string{"x"}, 0)
	if _, done, _ := st.Push(1, "ax"); !done {
		t.Fatal("stop string did not finish")
	}
	for range 2 {
		if emit, done, reason := st.Push(1, "more"); emit != "" || !done || reason != ReasonStop {
			t.Fatalf("Push after done = (%q, %v, %q), want (\"\", true, \"stop\")", emit, done, reason)
		}
	}
	if st.Flush() != "" || st.Tokens() != 1 || st.Reason() != ReasonStop {
		t.Fatalf("after done: Flush %q, Tokens %d, Reason %q", st.Flush(), st.Tokens(), st.Reason())
	}
}

func TestStopperNoLimit(t *testing.T) {
	st := NewStopper([]int{eosID}, nil, 0)
	var b strings.Builder
	for i := range 5000 {
		emit, done, _ := st.Push(10, "t")
		if done {
			t.Fatalf("maxTokens 0 finished after %d tokens", i+1)
		}
		b.WriteString(emit)
	}
	if b.Len() != 5000 || st.Tokens() != 5000 {
		t.Fatalf("emitted %d bytes over %d tokens, want 5000", b.Len(), st.Tokens())
	}
}

func TestStopperDoesNotAliasInputs(t *testing.T) {
	eos := []int{eosID}
	stops := []string{"zz"}
	st := NewStopper(eos, stops, 0)
	eos[0], stops[0] = 7, "a"
	if _, done, _ := st.Push(7, "a"); done {
		t.Fatal("Stopper saw a later change to the caller's slices")
	}
}

func TestStopperPushAfterFlush(t *testing.T) {
	st := NewStopper(nil, []string{"abc"}, 0)
	if emit, _, _ := st.Push(1, "xab"); emit != "x" {
		t.Fatalf("emit %q, want \"x\"", emit)
	}
	if got := st.Flush(); got != "ab" {
		t.Fatalf("Flush() = %q, want \"ab\"", got)
	}
	if emit, done, _ := st.Push(1, "c"); emit != "c" || done {
		t.Fatalf("after Flush, Push(\"c\") = (%q, %v), want (\"c\", false): no match across flushed text", emit, done)
	}
	if emit, done, _ := st.Push(1, "abc"); emit != "" || !done || st.Matched() != "abc" {
		t.Fatalf("Push(\"abc\") = (%q, %v, %q), want a match", emit, done, st.Matched())
	}
}

func TestStopperLongStopString(t *testing.T) {
	stop := strings.Repeat("a", 5000) + "b"
	st := NewStopper(nil, []string{stop}, 0)
	var out strings.Builder
	for range 20000 {
		emit, done, _ := st.Push(1, "a")
		if done {
			t.Fatal("finished without the stop string")
		}
		out.WriteString(emit)
	}
	if out.Len() != 20000-5000 {
		t.Fatalf("emitted %d bytes, want %d held back as a possible stop", out.Len(), 20000-5000)
	}
	if emit, done, _ := st.Push(1, "b"); emit != "" || !done {
		t.Fatalf("Push(\"b\") = (%q, %v), want the stop", emit, done)
	}
}
