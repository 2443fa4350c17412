package frontend

import "encoding/json"

// commonBody holds the fields /v1/completions and /v1/chat/completions
// share. Pointers tell an absent field from a zero one. Unknown fields are
// ignored, as OpenAI-compatible clients send many; fields whose meaning this
// server cannot honour are rejected instead of ignored.
type commonBody struct {
	Model             string             `json:"model"`
	MaxTokens         *int               `json:"max_tokens"`
	Temperature       *float32           `json:"temperature"`
	TopP              *float32           `json:"top_p"`
	TopK              *int               `json:"top_k"`              // extension
	RepetitionPenalty *float32           `json:"repetition_penalty"` // extension
	Seed              *uint64            `json:"seed"`
	Stop              json.RawMessage    `json:"stop"`
	N                 *int               `json:"n"`
	Stream            bool               `json:"stream"`
	StreamOptions     *streamOptions     `json:"stream_options"`
	PresencePenalty   *float32           `json:"presence_penalty"`
	FrequencyPenalty  *float32           `json:"frequency_penalty"`
	LogitBias         map[string]float64 `json:"logit_bias"`
	User              json.RawMessage    `json:"user"` // accepted and ignored
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// completionBody is the body of POST /v1/completions.
type completionBody struct {
	commonBody
	Prompt   json.RawMessage `json:"prompt"`
	Echo     *bool           `json:"echo"`
	Suffix   *string         `json:"suffix"`
	BestOf   *int            `json:"best_of"`
	Logprobs json.RawMessage `json:"logprobs"`
}

// chatBody is the body of POST /v1/chat/completions.
type chatBody struct {
	commonBody
	Messages            []chatMessageBody `json:"messages"`
	MaxCompletionTokens *int              `json:"max_completion_tokens"`
	Logprobs            json.RawMessage   `json:"logprobs"`
	TopLogprobs         *int              `json:"top_logprobs"`
	Tools               json.RawMessage   `json:"tools"`
	ResponseFormat      *responseFormat   `json:"response_format"`
}

type chatMessageBody struct {
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	ToolCalls json.RawMessage `json:"tool_calls"`
}

type contentPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type responseFormat struct {
	Type string `json:"type"`
}

// httpCall is a decoded OpenAI request.
type httpCall struct {
	req          Request
	stream       bool
	includeUsage bool // stream_options.include_usage
}
