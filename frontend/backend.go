package frontend

import "context"

// Backend is the seam between the public servers and the cluster: the
// coordinator implements it; tests use an in-memory one.
//
// All methods must be safe for concurrent use.
type Backend interface {
	// Generate runs one request and streams its output through emit, in
	// order, from one goroutine at a time, never after Generate returns.
	// When emit returns an error (the client is gone) or ctx is done, the
	// backend must stop the request's work and return promptly.
	//
	// Requests have passed the servers' validation (see Request). Failures
	// are reported with the package's error kinds: ErrContextLength when the
	// tokenized prompt leaves no room to generate, ErrInvalidRequest for a
	// request the backend cannot run, ErrOverloaded when it sheds load,
	// ErrUnavailable when no pipeline can serve. An error returned after
	// chunks were emitted reaches the client as an error at the end of the
	// stream.
	Generate(ctx context.Context, req *Request, emit func(Chunk) error) (Result, error)

	// Tokenize returns the token ids of text, prepending BOS when addBOS.
	Tokenize(ctx context.Context, text string, addBOS bool) ([]int, error)

	// Status reports the cluster's plan and workers. The servers call it for
	// the Admin API, /readyz and the gRPC health service, so it should answer
	// from memory.
	Status(ctx context.Context) (*Status, error)

	// Model describes the served model. It is called for every request and
	// must be cheap.
	Model() ModelInfo
}

// ModelInfo describes the served model.
type ModelInfo struct {
	// Name is the served model name: requests must name it (or omit the
	// model) and responses carry it.
	Name string
	// ContextLength is the most text tokens (prompt plus output, meta tokens
	// excluded) one sequence may hold; 0 means unknown, and only the
	// backend checks prompt lengths.
	ContextLength int
	// VocabSize bounds the token ids accepted in prompts; 0 means unknown.
	VocabSize int
	// MaxTokens is the most tokens one request may ask to generate; 0 means
	// ContextLength.
	MaxTokens int
}

// maxTokens is the effective per-request generation limit, 0 if none.
func (m ModelInfo) maxTokens() int {
	if m.MaxTokens > 0 {
		return m.MaxTokens
	}
	return m.ContextLength
}

// Message is one turn of a chat conversation.
type Message struct {
	Role    string // RoleSystem, RoleUser, RoleAssistant or RoleTool
	Content string
}

// Chat roles accepted in Request.Messages.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
)

// Request is one generation request, with every default resolved.
//
// Exactly one prompt form is set: Prompt (text, tokenized with BOS; it may be
// empty), PromptIDs (used verbatim, no BOS added), or Messages with Chat set
// (rendered with the model's chat template and its generation prompt).
// The servers guarantee: 1 <= MaxTokens <= ModelInfo limit; Temperature >= 0
// (0 is greedy); 0 < TopP <= 1 (1 disables); TopK >= 0 (0 disables);
// RepetitionPenalty > 0 (1 disables); PromptIDs within the vocabulary and
// shorter than the context; stop strings non-empty; ID non-empty.
type Request struct {
	Prompt            string
	PromptIDs         []int
	Messages          []Message
	Chat              bool
	MaxTokens         int
	Temperature       float32
	TopP              float32
	RepetitionPenalty float32
	TopK              int
	Seed              *uint64 // nil: the backend picks a seed
	Stop              []string
	ID                string // request id for logs and tracing
}

// Chunk is a piece of generated output: new token ids and their text. Text
// may be empty while a multi-byte character is incomplete.
type Chunk struct {
	IDs  []int
	Text string
}

// Result ends a successful Generate.
type Result struct {
	FinishReason     string // FinishStop or FinishLength
	PromptTokens     int
	CompletionTokens int
}

// Finish reasons reported in Result.FinishReason.
const (
	// FinishStop: the model produced EOS or the output reached a stop string.
	FinishStop = "stop"
	// FinishLength: MaxTokens were generated or the context window is full.
	FinishLength = "length"
)

// normalized reports an empty finish reason as FinishStop, so that clients
// always see one on the last message.
func (r Result) normalized() Result {
	if r.FinishReason == "" {
		r.FinishReason = FinishStop
	}
	return r
}
