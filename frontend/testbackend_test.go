package frontend

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// testBackend is a deterministic in-memory Backend. Generate emits the
// words "w0 ", "w1 ", ... one token per chunk (see wordGen), so the output
// of n tokens is wordsText(n). It stops after eos tokens (finish "stop"),
// at a stop string (finish "stop"), or at MaxTokens (finish "length"). Configure it before serving; it records the
// last request.
type testBackend struct {
	info      ModelInfo
	eos       int   // tokens before EOS; 0: never
	genErr    error // returned before any chunk
	errAfter  int   // with genErr: chunks emitted before failing
	block     bool  // after the first chunk, wait for the context
	panicMsg  string
	ready     bool
	statusErr error
	status    *Status

	mu        sync.Mutex
	last      *Request
	blocking  chan struct{} // closed when Generate starts waiting for ctx
	cancelled chan struct{} // closed when a blocked Generate sees ctx done
}

func newTestBackend() *testBackend {
	return &testBackend{
		info:      ModelInfo{Name: "nvidia/Hymba-1.5B-Instruct", ContextLength: 64, VocabSize: 32001, MaxTokens: 48},
		ready:     true,
		blocking:  make(chan struct{}),
		cancelled: make(chan struct{}),
	}
}

func (b *testBackend) Model() ModelInfo { return b.info }

func (b *testBackend) lastRequest() *Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

func (b *testBackend) Generate(ctx context.Context, req *Request, emit func(Chunk) error) (Result, error) {
	cp := *req
	b.mu.Lock()
	b.last = &cp
	b.mu.Unlock()
	if b.panicMsg != "" {
		panic(b.panicMsg)
	}
	if b.genErr != nil && b.errAfter == 0 {
		return Result{}, b.genErr
	}
	prompt := promptTokens(req)
	if prompt >= b.info.ContextLength {
		return Result{}, Errorf(ErrContextLength, "prompt", "prompt has %d tokens; the context holds %d", prompt, b.info.ContextLength)
	}
	return b.run(ctx, req, prompt, emit)
}

func (b *testBackend) run(ctx context.Context, req *Request, prompt int, emit func(Chunk) error) (Result, error) {
	g := &wordGen{emit: emit, stop: req.Stop, res: Result{PromptTokens: prompt, FinishReason: FinishLength}}
	for i := 0; i < req.MaxTokens && !g.stopped; i++ {
		if b.eos > 0 && i == b.eos {
			g.res.FinishReason = FinishStop
			break
		}
		if b.genErr != nil && i == b.errAfter {
			return Result{}, b.genErr
		}
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if err := g.step(i); err != nil {
			return Result{}, err
		}
		if b.block && i == 0 {
			close(b.blocking)
			<-ctx.Done()
			close(b.cancelled)
			return Result{}, ctx.Err()
		}
	}
	return g.res, g.flush()
}

// wordGen produces the test token stream. Token i is the word "w<i> " with
// id 100+i, except that token 1's text is held back and sent with token 2,
// as a detokenizer holds back an incomplete character.
type wordGen struct {
	emit    func(Chunk) error
	stop    []string
	text    string // output so far
	pending string // held-back text
	stopped bool
	res     Result
}

func (g *wordGen) step(i int) error {
	word := fmt.Sprintf("w%d ", i)
	g.res.CompletionTokens++
	if i == 1 {
		g.pending = word
		return g.emit(Chunk{IDs: []int{100 + i}})
	}
	out := g.cut(g.pending + word)
	g.pending = ""
	return g.emit(Chunk{IDs: []int{100 + i}, Text: out})
}

// flush sends held-back text at the end of generation.
func (g *wordGen) flush() error {
	if g.pending == "" {
		return nil
	}
	out := g.cut(g.pending)
	g.pending = ""
	return g.emit(Chunk{Text: out})
}

// cut trims out before the earliest stop string in the output and marks
// the generation stopped.
func (g *wordGen) cut(out string) string {
	full := g.text + out
	end := len(full)
	for _, s := range g.stop {
		if at := strings.Index(full, s); at >= len(g.text) && at < end {
			end = at
			g.stopped = true
			g.res.FinishReason = FinishStop
		}
	}
	out = full[len(g.text):end]
	g.text += out
	return out
}

// promptTokens counts a request's prompt as the test tokenizer would:
// one token per byte plus BOS for text, the ids themselves, or the
// message bytes plus two per message for chat.
func promptTokens(req *Request) int {
	switch {
	case req.Chat:
		n := 0
		for _, m := range req.Messages {
			n += len(m.Content) + 2
		}
		return n
	case req.PromptIDs != nil:
		return len(req.PromptIDs)
	}
	return len(req.Prompt) + 1
}

// Tokenize maps each byte b to the id b+3, after BOS (1) when asked.
func (b *testBackend) Tokenize(ctx context.Context, text string, addBOS bool) ([]int, error) {
	if b.genErr != nil {
		return nil, b.genErr
	}
	var ids []int
	if addBOS {
		ids = append(ids, 1)
	}
	for i := 0; i < len(text); i++ {
		ids = append(ids, int(text[i])+3)
	}
	return ids, nil
}

func (b *testBackend) Status(ctx context.Context) (*Status, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.statusErr != nil {
		return nil, b.statusErr
	}
	if b.status != nil {
		st := *b.status
		return &st, nil
	}
	return &Status{Ready: b.ready, Model: b.info.Name, PlanEpoch: 7}, nil
}

// setReady changes readiness while serving.
func (b *testBackend) setReady(ready bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ready = ready
}

// wordsText is the text of the first n words.
func wordsText(n int) string {
	var s strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&s, "w%d ", i)
	}
	return s.String()
}
