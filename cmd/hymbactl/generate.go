package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hymbaserve/hymbaserve/demo"
	"github.com/hymbaserve/hymbaserve/engine"
	"github.com/hymbaserve/hymbaserve/model"
	"github.com/hymbaserve/hymbaserve/sample"
	"github.com/hymbaserve/hymbaserve/tokenizer"
)

// genFlags are the flags of generate, shared by the local and the remote (--addr) paths.
type genFlags struct {
	modelDir, prompt, ids, system, addr string
	chat, asJSON                        bool
	maxTokens                           int
	params                              sample.Params
	stops                               multiFlag
	conn                                connFlags // with --addr
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func parseGenFlags(args []string, stderr io.Writer) (*genFlags, error) {
	g := &genFlags{}
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&g.modelDir, "model", "", "Hugging Face model directory (config.json, safetensors, tokenizer.json); default: the demo checkpoint")
	fs.StringVar(&g.addr, "addr", "", "generate through a cluster's gRPC API at HOST:PORT instead of locally")
	fs.StringVar(&g.prompt, "prompt", "", "prompt text")
	fs.StringVar(&g.ids, "ids", "", "prompt as comma-separated token ids (instead of --prompt)")
	fs.BoolVar(&g.chat, "chat", false, "render --prompt with the Hymba-Instruct chat template")
	fs.StringVar(&g.system, "system", "", "system prompt for --chat")
	fs.IntVar(&g.maxTokens, "max-tokens", 64, "tokens to generate at most")
	temp := fs.Float64("temperature", 0, "sampling temperature; 0 = greedy")
	topP := fs.Float64("top-p", 0, "nucleus sampling mass (0 = off)")
	rep := fs.Float64("repetition-penalty", 0, "repetition penalty (0 or 1 = off)")
	fs.IntVar(&g.params.TopK, "top-k", 0, "sample among the k most likely tokens (0 = off)")
	fs.Uint64Var(&g.params.Seed, "seed", 0, "sampling seed: same seed, same tokens")
	fs.Var(&g.stops, "stop", "stop string (repeatable)")
	fs.BoolVar(&g.asJSON, "json", false, "print one JSON object (ids, text, finish_reason, usage) instead of streaming text")
	g.conn.register(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	g.params.Temperature, g.params.TopP, g.params.RepetitionPenalty = float32(*temp), float32(*topP), float32(*rep)
	if (g.prompt == "") == (g.ids == "") {
		return nil, errors.New("give exactly one of --prompt and --ids")
	}
	if g.chat && g.ids != "" {
		return nil, errors.New("--chat needs --prompt")
	}
	if g.addr == "" && g.conn.given() {
		return nil, errors.New("--api-key, --api-key-file and the TLS flags apply to a cluster: give --addr")
	}
	return g, g.params.Validate()
}

func runGenerate(args []string, stdout, stderr io.Writer) error {
	g, err := parseGenFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if g.addr != "" {
		return generateRemote(ctx, g, stdout)
	}
	return generateLocal(ctx, g, stdout, stderr)
}

// genOutput is the --json output.
type genOutput struct {
	IDs              []int  `json:"ids"`
	Text             string `json:"text"`
	FinishReason     string `json:"finish_reason"`
	PromptTokens     int    `json:"prompt_tokens"`
	CompletionTokens int    `json:"completion_tokens"`
	Model            string `json:"model"`
}

func generateLocal(ctx context.Context, g *genFlags, stdout, stderr io.Writer) error {
	m, tok, name, closeFn, err := loadLocal(g.modelDir, stderr)
	if err != nil {
		return err
	}
	defer closeFn()
	prompt, err := g.promptIDs(tok)
	if err != nil {
		return err
	}
	s := engine.NewScheduler(engine.NewLocal(m), tok, engine.Options{
		Vocab: m.Cfg.VocabSize, MaxContext: m.Cfg.MaxTextTokens(), EOS: []int{m.Cfg.EosTokenID},
	})
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.Run(runCtx)
	req := &engine.Request{Prompt: prompt, Params: g.params, Stop: g.stops, MaxTokens: g.maxTokens}
	if !g.asJSON {
		req.Emit = func(t engine.Token) error { _, err := io.WriteString(stdout, t.Text); return err }
	}
	res, err := s.Generate(ctx, req)
	if err != nil {
		return err
	}
	if !g.asJSON {
		_, err = fmt.Fprintln(stdout)
		return err
	}
	return json.NewEncoder(stdout).Encode(genOutput{
		IDs: nonNil(res.IDs), Text: res.Text, FinishReason: string(res.Finish),
		PromptTokens: res.PromptTokens, CompletionTokens: res.CompletionTokens, Model: name,
	})
}

func nonNil(ids []int) []int {
	if ids == nil {
		return []int{}
	}
	return ids
}

// promptIDs tokenizes --prompt (with the chat template under --chat) or parses --ids.
func (g *genFlags) promptIDs(tok *tokenizer.Tokenizer) ([]int, error) {
	if g.ids != "" {
		return parseIDs(g.ids)
	}
	if tok == nil {
		return nil, errors.New("--prompt needs the model's tokenizer.json; give --ids")
	}
	if !g.chat {
		return tok.Encode(g.prompt, true), nil
	}
	var msgs []tokenizer.Message
	if g.system != "" {
		msgs = append(msgs, tokenizer.Message{Role: "system", Content: g.system})
	}
	msgs = append(msgs, tokenizer.Message{Role: "user", Content: g.prompt})
	text, err := tokenizer.RenderChat(msgs, tokenizer.ChatOptions{AddGenerationPrompt: true})
	if err != nil {
		return nil, err
	}
	return tok.Encode(text, false), nil
}

func parseIDs(s string) ([]int, error) {
	var ids []int
	for i, f := range strings.Split(s, ",") {
		id, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("--ids: item %d %q is not an integer", i, f)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// loadLocal loads a model directory, or the demo checkpoint when dir is empty.
func loadLocal(dir string, stderr io.Writer) (*model.Model, *tokenizer.Tokenizer, string, func(), error) {
	if dir == "" {
		fmt.Fprintf(stderr, "hymbactl: no --model given: using the DEMO checkpoint %q (real architecture at a small size, RANDOM weights, real tokenizer); its text is gibberish\n", demo.Name)
		m, tok, err := demo.Load()
		return m, tok, demo.Name, func() {}, err
	}
	m, ck, err := model.Load(dir, model.LoadOptions{})
	if err != nil {
		return nil, nil, "", nil, err
	}
	tok, err := tokenizer.Load(filepath.Join(dir, "tokenizer.json"))
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stderr, "hymbactl: %s has no tokenizer.json: token ids only (--ids), no text\n", dir)
		tok, err = nil, nil
	}
	if err != nil {
		ck.Close()
		return nil, nil, "", nil, err
	}
	return m, tok, filepath.Base(filepath.Clean(dir)), func() { ck.Close() }, nil
}
