package frontend

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// defaultCompletionMaxTokens is max_tokens for /v1/completions when absent,
// OpenAI's documented default (vLLM does the same).
const defaultCompletionMaxTokens = 16

// decodeCompletion decodes and validates a /v1/completions body for the
// request with the given id.
func decodeCompletion(r io.Reader, info ModelInfo, id string) (httpCall, error) {
	var body completionBody
	if err := decodeBody(r, &body); err != nil {
		return httpCall{}, err
	}
	call := httpCall{req: newRequest(info)}
	call.req.ID = id
	call.req.MaxTokens = min(call.req.MaxTokens, defaultCompletionMaxTokens)
	if err := applyCommon(&body.commonBody, &call, info); err != nil {
		return httpCall{}, err
	}
	if err := checkCompletionUnsupported(&body); err != nil {
		return httpCall{}, err
	}
	if err := decodePrompt(body.Prompt, &call.req); err != nil {
		return httpCall{}, err
	}
	return call, validateRequest(&call.req, info)
}

// decodeChat decodes and validates a /v1/chat/completions body.
func decodeChat(r io.Reader, info ModelInfo, id string) (httpCall, error) {
	var body chatBody
	if err := decodeBody(r, &body); err != nil {
		return httpCall{}, err
	}
	call := httpCall{req: newRequest(info)}
	call.req.ID = id
	if err := applyCommon(&body.commonBody, &call, info); err != nil {
		return httpCall{}, err
	}
	if err := applyChatFields(&body, &call.req); err != nil {
		return httpCall{}, err
	}
	msgs, err := decodeMessages(body.Messages)
	if err != nil {
		return httpCall{}, err
	}
	call.req.Messages, call.req.Chat = msgs, true
	return call, validateRequest(&call.req, info)
}

// applyCommon checks the model and copies the shared sampling fields.
func applyCommon(b *commonBody, call *httpCall, info ModelInfo) error {
	if b.Model != "" && b.Model != info.Name {
		return modelNotFound(b.Model, info.Name)
	}
	if b.N != nil && *b.N != 1 {
		return invalidf("n", "n is %d; this server returns one choice per request (n=1)", *b.N)
	}
	if err := checkCommonUnsupported(b); err != nil {
		return err
	}
	req := &call.req
	setIf(&req.MaxTokens, b.MaxTokens)
	setIf(&req.Temperature, b.Temperature)
	setIf(&req.TopP, b.TopP)
	setIf(&req.RepetitionPenalty, b.RepetitionPenalty)
	setIf(&req.TopK, b.TopK)
	if req.TopK == -1 { // vLLM spells "disabled" as -1
		req.TopK = 0
	}
	req.Seed = b.Seed
	call.stream = b.Stream
	call.includeUsage = b.StreamOptions != nil && b.StreamOptions.IncludeUsage
	stop, err := decodeStop(b.Stop)
	req.Stop = stop
	return err
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func modelNotFound(asked, served string) error {
	return &Error{Kind: ErrNotFound, Param: "model", Code: "model_not_found",
		Msg: fmt.Sprintf("the model %q does not exist; this server serves %q", asked, served)}
}

func checkCommonUnsupported(b *commonBody) error {
	if b.PresencePenalty != nil && *b.PresencePenalty != 0 {
		return invalidf("presence_penalty", "presence_penalty is not supported; use repetition_penalty")
	}
	if b.FrequencyPenalty != nil && *b.FrequencyPenalty != 0 {
		return invalidf("frequency_penalty", "frequency_penalty is not supported; use repetition_penalty")
	}
	if len(b.LogitBias) > 0 {
		return invalidf("logit_bias", "logit_bias is not supported")
	}
	return nil
}

func checkCompletionUnsupported(b *completionBody) error {
	switch {
	case b.Echo != nil && *b.Echo:
		return invalidf("echo", "echo is not supported")
	case b.Suffix != nil && *b.Suffix != "":
		return invalidf("suffix", "suffix is not supported")
	case b.BestOf != nil && *b.BestOf != 1:
		return invalidf("best_of", "best_of is %d; only 1 is supported", *b.BestOf)
	case !isNullOrZero(b.Logprobs):
		return invalidf("logprobs", "logprobs are not supported")
	}
	return nil
}

func applyChatFields(b *chatBody, req *Request) error {
	if b.MaxCompletionTokens != nil {
		if b.MaxTokens != nil && *b.MaxTokens != *b.MaxCompletionTokens {
			return invalidf("max_completion_tokens", "max_tokens (%d) and max_completion_tokens (%d) disagree", *b.MaxTokens, *b.MaxCompletionTokens)
		}
		req.MaxTokens = *b.MaxCompletionTokens
	}
	switch {
	case !isNullOrZero(b.Logprobs) || (b.TopLogprobs != nil && *b.TopLogprobs != 0):
		return invalidf("logprobs", "logprobs are not supported")
	case rawKind(b.Tools) != 'n' && string(b.Tools) != "[]":
		return invalidf("tools", "tools are not supported")
	case b.ResponseFormat != nil && b.ResponseFormat.Type != "" && b.ResponseFormat.Type != "text":
		return invalidf("response_format", "response_format %q is not supported; only \"text\"", b.ResponseFormat.Type)
	}
	return nil
}

// isNullOrZero reports whether raw is absent, null, false or 0.
func isNullOrZero(raw json.RawMessage) bool {
	s := string(raw)
	return s == "" || s == "null" || s == "false" || s == "0"
}

// decodePrompt accepts a string, a list of one string, a list of token ids,
// or a list of one token id list.
func decodePrompt(raw json.RawMessage, req *Request) error {
	switch rawKind(raw) {
	case 'n':
		return invalidf("prompt", "prompt is required")
	case '"':
		return unmarshalField(raw, &req.Prompt, "prompt", "a string")
	case '[':
		return decodePromptList(raw, req)
	}
	return invalidf("prompt", "prompt must be a string, a list of one string, a list of token ids or a list of one token id list")
}

func decodePromptList(raw json.RawMessage, req *Request) error {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return invalidf("prompt", "prompt is not a valid JSON list: %v", err)
	}
	if len(items) == 0 {
		return invalidf("prompt", "prompt is an empty list")
	}
	switch rawKind(items[0]) {
	case '0':
		return unmarshalIDs(raw, req)
	case '"':
		if len(items) != 1 {
			return batchedPrompt(len(items))
		}
		return unmarshalField(items[0], &req.Prompt, "prompt", "a string")
	case '[':
		if len(items) != 1 {
			return batchedPrompt(len(items))
		}
		return unmarshalIDs(items[0], req)
	}
	return invalidf("prompt", "prompt list must hold strings, token ids or token id lists")
}

func unmarshalIDs(raw json.RawMessage, req *Request) error {
	ids := []int{}
	if err := unmarshalField(raw, &ids, "prompt", "a list of integer token ids"); err != nil {
		return err
	}
	req.PromptIDs = ids
	return nil
}

func batchedPrompt(n int) error {
	return invalidf("prompt", "prompt holds %d prompts; send one prompt per request", n)
}

// unmarshalField decodes one field's raw value, naming it on error.
func unmarshalField(raw json.RawMessage, v any, field, want string) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return invalidf(field, "%s must be %s", field, want)
	}
	return nil
}

// decodeStop accepts null, a string or a list of strings.
func decodeStop(raw json.RawMessage) ([]string, error) {
	switch rawKind(raw) {
	case 'n':
		return nil, nil
	case '"':
		var s string
		err := unmarshalField(raw, &s, "stop", "a string or a list of strings")
		return []string{s}, err
	case '[':
		var list []string
		err := unmarshalField(raw, &list, "stop", "a string or a list of strings")
		return list, err
	}
	return nil, invalidf("stop", "stop must be a string or a list of strings")
}

// decodeMessages converts chat messages; "developer" is taken as "system".
func decodeMessages(in []chatMessageBody) ([]Message, error) {
	out := make([]Message, 0, len(in))
	for i, m := range in {
		if rawKind(m.ToolCalls) != 'n' && string(m.ToolCalls) != "[]" {
			return nil, invalidf(fmt.Sprintf("messages[%d].tool_calls", i), "tool calls are not supported")
		}
		role := m.Role
		if role == "developer" {
			role = RoleSystem
		}
		content, err := decodeContent(m.Content, role, i)
		if err != nil {
			return nil, err
		}
		out = append(out, Message{Role: role, Content: content})
	}
	return out, nil
}

// decodeContent accepts a string, a list of text parts (joined with "\n")
// or, for assistant messages, null.
func decodeContent(raw json.RawMessage, role string, i int) (string, error) {
	field := fmt.Sprintf("messages[%d].content", i)
	switch rawKind(raw) {
	case 'n':
		if role == RoleAssistant {
			return "", nil
		}
		return "", invalidf(field, "%s is required", field)
	case '"':
		var s string
		return s, unmarshalField(raw, &s, field, "a string or a list of text parts")
	case '[':
		return decodeParts(raw, field)
	}
	return "", invalidf(field, "%s must be a string or a list of text parts", field)
}

func decodeParts(raw json.RawMessage, field string) (string, error) {
	var parts []contentPart
	if err := unmarshalField(raw, &parts, field, "a string or a list of text parts"); err != nil {
		return "", err
	}
	texts := make([]string, len(parts))
	for j, p := range parts {
		if p.Type != "text" {
			return "", invalidf(fmt.Sprintf("%s[%d].type", field, j), "%s[%d] has type %q; only text parts are supported", field, j, p.Type)
		}
		texts[j] = p.Text
	}
	return strings.Join(texts, "\n"), nil
}
