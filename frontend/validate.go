package frontend

import (
	"fmt"
	"math"
)

// Request limits the servers enforce before a request reaches the backend.
const (
	maxStopStrings = 16
	maxStopBytes   = 256
	// fallbackMaxTokens is the default max_tokens when the backend reports
	// neither MaxTokens nor ContextLength.
	fallbackMaxTokens = 1024
)

// newRequest returns a Request with the documented defaults: temperature 1,
// top_p 1, repetition_penalty 1, top_k 0 and max_tokens the server's limit.
func newRequest(info ModelInfo) Request {
	maxTokens := info.maxTokens()
	if maxTokens <= 0 {
		maxTokens = fallbackMaxTokens
	}
	return Request{MaxTokens: maxTokens, Temperature: 1, TopP: 1, RepetitionPenalty: 1}
}

// validateRequest checks the guarantees documented on Request.
func validateRequest(req *Request, info ModelInfo) error {
	if err := validatePrompt(req, info); err != nil {
		return err
	}
	if err := validateSampling(req, info); err != nil {
		return err
	}
	if err := validateStop(req.Stop); err != nil {
		return err
	}
	if !validRequestID(req.ID) {
		return invalidf("request_id", "request id %q must be 1-%d characters of [A-Za-z0-9._:-]", req.ID, maxRequestIDLen)
	}
	return nil
}

func validatePrompt(req *Request, info ModelInfo) error {
	switch {
	case req.Chat:
		if req.Prompt != "" || req.PromptIDs != nil {
			return invalidf("messages", "a chat request takes messages only, not a prompt")
		}
		return validateMessages(req.Messages)
	case len(req.Messages) > 0:
		return invalidf("messages", "messages are only accepted by chat requests")
	case req.PromptIDs != nil:
		if req.Prompt != "" {
			return invalidf("prompt", "give the prompt as text or as token ids, not both")
		}
		return validateIDs(req.PromptIDs, info)
	}
	return nil
}

func validateMessages(msgs []Message) error {
	if len(msgs) == 0 {
		return invalidf("messages", "messages must hold at least one message")
	}
	for i, m := range msgs {
		switch m.Role {
		case RoleSystem, RoleUser, RoleAssistant, RoleTool:
		default:
			return invalidf(fmt.Sprintf("messages[%d].role", i),
				"messages[%d].role is %q; want one of system, user, assistant, tool", i, m.Role)
		}
	}
	return nil
}

func validateIDs(ids []int, info ModelInfo) error {
	if len(ids) == 0 {
		return invalidf("prompt", "the prompt's token id list is empty")
	}
	for i, id := range ids {
		if id < 0 || (info.VocabSize > 0 && id >= info.VocabSize) {
			return invalidf("prompt", "token id %d at position %d is outside the vocabulary [0, %d)", id, i, info.VocabSize)
		}
	}
	if info.ContextLength > 0 && len(ids) >= info.ContextLength {
		return &Error{Kind: ErrContextLength, Param: "prompt", Msg: fmt.Sprintf(
			"the prompt has %d tokens, but the model's context holds %d, leaving no room to generate",
			len(ids), info.ContextLength)}
	}
	return nil
}

func validateSampling(req *Request, info ModelInfo) error {
	if req.MaxTokens < 1 {
		return invalidf("max_tokens", "max_tokens is %d; it must be at least 1", req.MaxTokens)
	}
	if limit := info.maxTokens(); limit > 0 && req.MaxTokens > limit {
		return invalidf("max_tokens", "max_tokens is %d, but this server generates at most %d tokens per request", req.MaxTokens, limit)
	}
	if !finite(req.Temperature) || req.Temperature < 0 {
		return invalidf("temperature", "temperature is %v; it must be a finite number >= 0", req.Temperature)
	}
	if !finite(req.TopP) || req.TopP <= 0 || req.TopP > 1 {
		return invalidf("top_p", "top_p is %v; it must be in (0, 1]", req.TopP)
	}
	if req.TopK < 0 {
		return invalidf("top_k", "top_k is %d; it must be >= 0 (0 disables it)", req.TopK)
	}
	if !finite(req.RepetitionPenalty) || req.RepetitionPenalty <= 0 {
		return invalidf("repetition_penalty", "repetition_penalty is %v; it must be a finite number > 0", req.RepetitionPenalty)
	}
	return nil
}

func validateStop(stop []string) error {
	if len(stop) > maxStopStrings {
		return invalidf("stop", "%d stop strings given; at most %d are allowed", len(stop), maxStopStrings)
	}
	for i, s := range stop {
		if s == "" || len(s) > maxStopBytes {
			return invalidf("stop", "stop string %d has %d bytes; it must have 1-%d", i, len(s), maxStopBytes)
		}
	}
	return nil
}

func finite(f float32) bool {
	return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0)
}
