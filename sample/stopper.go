package sample

import "slices"

// StopReason says why generation finished, in the words of the OpenAI finish_reason field.
type StopReason string

const (
	// ReasonNone means generation has not finished.
	ReasonNone StopReason = ""
	// ReasonStop means an EOS token or a stop string ended generation.
	ReasonStop StopReason = "stop"
	// ReasonLength means the token limit ended generation.
	ReasonLength StopReason = "length"
)

// Stopper decides when the generation of one sequence ends and which decoded text may be
// streamed to the client. It is not safe for concurrent use.
//
// Stop strings match against the text as a byte stream, whatever the token boundaries:
// generation stops where the first occurrence of any stop string ends, and when several end
// there, the longest one (which starts first) counts. Text that may be the start of a stop
// string is held back until it is known not to be one, so a stop string is never streamed.
// Matching costs O(bytes × stop strings) in total, independent of the stop strings' length.
//
// Precedence on one token: EOS, then a stop string, then the token limit (as vLLM).
type Stopper struct {
	eos       []int
	stops     []matcher
	maxTokens int

	held    string // decoded text not yet emitted: a possible start of a stop string
	n       int    // tokens pushed
	reason  StopReason
	matched string
}

// NewStopper returns a Stopper that ends on any token id in eos, on any of the non-empty
// stop strings (empty ones are ignored), or after maxTokens tokens, EOS included; maxTokens
// <= 0 means no limit.
func NewStopper(eos []int, stops []string, maxTokens int) *Stopper {
	st := &Stopper{eos: slices.Clone(eos), maxTokens: maxTokens}
	for _, s := range stops {
		if s != "" {
			st.stops = append(st.stops, newMatcher(s))
		}
	}
	return st
}

// Push records token id whose newly decoded text is text, and returns the text that may now
// be streamed. On the finishing token, done is true and reason says why: for a stop string,
// emit ends just before it; for EOS, emit is the held-back text without the EOS token's own
// text; for the limit, emit is all remaining text. After done, Push returns ("", true, reason).
func (st *Stopper) Push(id int, text string) (emit string, done bool, reason StopReason) {
	if st.reason != ReasonNone {
		return "", true, st.reason
	}
	st.n++
	if slices.Contains(st.eos, id) {
		return st.finish(ReasonStop, st.held), true, ReasonStop
	}
	buf := st.held + text
	for i := range len(text) {
		if stop := st.step(text[i]); stop != "" {
			st.matched = stop
			end := len(st.held) + i + 1
			return st.finish(ReasonStop, buf[:end-len(stop)]), true, ReasonStop
		}
	}
	if st.maxTokens > 0 && st.n >= st.maxTokens {
		return st.finish(ReasonLength, buf), true, ReasonLength
	}
	keep := 0
	for i := range st.stops {
		keep = max(keep, st.stops[i].state)
	}
	st.held = buf[len(buf)-keep:]
	return buf[:len(buf)-keep], false, ReasonNone
}

// step feeds one byte to every stop string and returns the longest one that now ends the
// stream, or "".
func (st *Stopper) step(b byte) string {
	stop := ""
	for i := range st.stops {
		if m := &st.stops[i]; m.step(b) && len(m.s) > len(stop) {
			stop = m.s
		}
	}
	return stop
}

// Flush returns the held-back text and forgets it; call it when generation ends for a reason
// the Stopper did not see (a cancelled request, an error). After done it returns "". Text
// pushed after a Flush is matched afresh: no stop string spans the flushed text.
func (st *Stopper) Flush() string {
	h := st.held
	st.held = ""
	for i := range st.stops {
		st.stops[i].state = 0
	}
	return h
}

// Reason returns why generation finished, or ReasonNone while it has not.
func (st *Stopper) Reason() StopReason { return st.reason }

// Matched returns the stop string that finished generation, or "" if none did (the value of
// vLLM's stop_reason field).
func (st *Stopper) Matched() string { return st.matched }

// Tokens returns the number of tokens pushed, EOS included.
func (st *Stopper) Tokens() int { return st.n }

func (st *Stopper) finish(r StopReason, emit string) string {
	st.reason, st.held = r, ""
	return emit
}
