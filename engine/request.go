package engine

import (
	"errors"
	"fmt"

	"github.com/hymbaserve/hymbaserve/sample"
)

// Errors a request can fail with; wrapped with details.
var (
	ErrInvalid       = errors.New("invalid request")
	ErrContextLength = errors.New("context length exceeded")
	ErrClosed        = errors.New("scheduler closed")
	ErrUnavailable   = errors.New("no pipeline could run the request")
)

// Request is one generation: a tokenized prompt, how to sample, when to stop.
type Request struct {
	Prompt    []int
	Params    sample.Params
	Stop      []string // stop strings: generation ends before them, they are never streamed
	MaxTokens int      // tokens to generate at most (≥ 1)
	// Emit receives each generated token with the text it completes (text may be empty while a
	// multi-byte character or a possible stop string is pending). It runs on the caller's
	// goroutine of Generate; an error from it cancels the request.
	Emit func(Token) error
}

// Token is one generated token and the text it releases.
type Token struct {
	ID   int
	Text string
}

// Result summarises a finished generation.
type Result struct {
	IDs              []int // generated token ids (an EOS that ended generation included)
	Text             string
	Finish           sample.StopReason
	PromptTokens     int
	CompletionTokens int
}

func (s *Scheduler) validate(r *Request) error {
	switch {
	case len(r.Prompt) == 0:
		return fmt.Errorf("%w: empty prompt", ErrInvalid)
	case r.MaxTokens < 1:
		return fmt.Errorf("%w: max_tokens must be at least 1, got %d", ErrInvalid, r.MaxTokens)
	case len(r.Prompt)+r.MaxTokens > s.opt.MaxContext:
		return fmt.Errorf("%w: prompt of %d tokens + max_tokens %d exceeds the context of %d tokens",
			ErrContextLength, len(r.Prompt), r.MaxTokens, s.opt.MaxContext)
	}
	for i, id := range r.Prompt {
		if id < 0 || id >= s.opt.Vocab {
			return fmt.Errorf("%w: prompt token %d at index %d is outside the vocabulary [0,%d)", ErrInvalid, id, i, s.opt.Vocab)
		}
	}
	if err := r.Params.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if s.opt.Budget != nil {
		if err := s.opt.Budget.Fits(len(r.Prompt) + r.MaxTokens); err != nil {
			return fmt.Errorf("%w: %v", ErrContextLength, err)
		}
	}
	return nil
}
