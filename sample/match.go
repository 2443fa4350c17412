package sample

// matcher follows one stop string through a byte stream with the Knuth–Morris–Pratt
// automaton: state is the length of the longest prefix of s that ends the stream so far, so
// each byte costs amortised O(1) however long s is and however the stream is cut.
type matcher struct {
	s     string
	fail  []int // fail[i]: length of the longest proper border of s[:i+1]
	state int
}

func newMatcher(s string) matcher {
	fail := make([]int, len(s))
	for i, k := 1, 0; i < len(s); i++ {
		for k > 0 && s[i] != s[k] {
			k = fail[k-1]
		}
		if s[i] == s[k] {
			k++
		}
		fail[i] = k
	}
	return matcher{s: s, fail: fail}
}

// step feeds byte b and reports whether s now ends the stream. After a match the state is
// left at len(s); the Stopper finishes on the first match, so it is never stepped again.
func (m *matcher) step(b byte) bool {
	for m.state > 0 && m.s[m.state] != b {
		m.state = m.fail[m.state-1]
	}
	if m.s[m.state] == b {
		m.state++
	}
	return m.state == len(m.s)
}
