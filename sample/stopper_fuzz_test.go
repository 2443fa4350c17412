package sample

import (
	"strings"
	"testing"
)

// FuzzStopper pushes text cut into random tokens (empty ones and EOS included) and checks the
// Stopper's contract: no panic; the emitted text never contains a stop string; on a stop
// string, emitted + match is the input up to the first place a stop ends, whatever the token
// cuts; otherwise nothing is lost (emitted + Flush, or everything on EOS and on the limit).
func FuzzStopper(f *testing.F) {
	f.Add("Hello world</end> tail", "</end>", []byte{3, 2, 5, 1, 0, 7}, uint8(0))
	f.Add("aaab aab", "aab|b a", []byte{1, 1, 1, 1}, uint8(0))
	f.Add("abcabc", "ca|bc|x", []byte{2, 255, 1}, uint8(3))
	f.Add("éé!é", "é!|!", []byte{1, 1, 1, 1, 1}, uint8(4))
	f.Fuzz(func(t *testing.T, text, stopSpec string, cuts []byte, maxTokens uint8) {
		stops := strings.SplitN(stopSpec, "|", 4)
		st := NewStopper([]int{eosID}, stops, int(maxTokens))
		var emitted, pushed strings.Builder
		done, eos := false, false
		rest := text
		for i := 0; !done && (len(rest) > 0 || i < len(cuts)); i++ {
			n := len(rest) // once the cuts run out, the rest is one token
			if i < len(cuts) {
				n = min(int(cuts[i]%8), len(rest))
			}
			var e string
			if i < len(cuts) && cuts[i] == 255 {
				e, done, _ = st.Push(eosID, "</s>")
				eos = done
			} else {
				pushed.WriteString(rest[:n])
				e, done, _ = st.Push(100, rest[:n])
				rest = rest[n:]
			}
			emitted.WriteString(e)
		}
		out, in := emitted.String(), pushed.String()
		for _, s := range stops {
			if s != "" && strings.Contains(out, s) {
				t.Fatalf("emitted %q contains stop %q", out, s)
			}
		}
		switch m := st.Matched(); {
		case m != "":
			checkStopMatch(t, stops, in, out, m)
		case eos, st.Reason() == ReasonLength:
			if out != in || st.Flush() != "" {
				t.Fatalf("finished (%s) but emitted %q of %q", st.Reason(), out, in)
			}
		default:
			if got := out + st.Flush(); got != in || done {
				t.Fatalf("emitted+flush %q, want %q (done %v)", got, in, done)
			}
		}
		if st.Reason() == ReasonLength && st.Tokens() != int(maxTokens) {
			t.Fatalf("length after %d tokens, limit %d", st.Tokens(), maxTokens)
		}
	})
}

// checkStopMatch verifies a stop-string finish: emitted + match is a prefix of the input, no
// stop ends earlier, no longer stop ends at the same place, and pushing the whole input as
// one token gives the same result.
func checkStopMatch(t *testing.T, stops []string, in, out, m string) {
	t.Helper()
	upTo := out + m
	if !strings.HasPrefix(in, upTo) {
		t.Fatalf("emitted %q + match %q is not a prefix of the input %q", out, m, in)
	}
	for _, s := range stops {
		if s != "" && strings.Contains(upTo[:len(upTo)-1], s) {
			t.Fatalf("stop %q ends before match %q in %q", s, m, upTo)
		}
		if len(s) > len(m) && strings.HasSuffix(upTo, s) {
			t.Fatalf("longer stop %q ends with match %q", s, m)
		}
	}
	one := NewStopper(nil, stops, 0)
	if e, done, _ := one.Push(100, in); e != out || !done || one.Matched() != m {
		t.Fatalf("one token gives (%q, %v, %q), token stream gave (%q, %q)", e, done, one.Matched(), out, m)
	}
}
