package coordinator

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hymbaserve/hymbaserve/engine"
	"github.com/hymbaserve/hymbaserve/frontend"
	"github.com/hymbaserve/hymbaserve/pipeline"
	"github.com/hymbaserve/hymbaserve/sample"
	"github.com/hymbaserve/hymbaserve/tokenizer"
)

var _ frontend.Backend = (*Coordinator)(nil)

// Model implements frontend.Backend.
func (c *Coordinator) Model() frontend.ModelInfo {
	n := c.mcfg.MaxTextTokens()
	return frontend.ModelInfo{Name: c.name, ContextLength: n, VocabSize: c.mcfg.VocabSize, MaxTokens: n}
}

// Ready reports whether this coordinator serves: it applied a plan that every stage serves and
// no other coordinator has replaced it (it may have lost leadership meanwhile, to an etcd
// outage say: it keeps serving on that plan).
func (c *Coordinator) Ready() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ready
}

// Tokenize implements frontend.Backend.
func (c *Coordinator) Tokenize(_ context.Context, text string, addBOS bool) ([]int, error) {
	if c.tok == nil {
		return nil, errNoTokenizer
	}
	return c.tok.Encode(text, addBOS), nil
}

var errNoTokenizer = frontend.Errorf(frontend.ErrInvalidRequest, "prompt", "the served model has no tokenizer: send token ids")

// Generate implements frontend.Backend.
func (c *Coordinator) Generate(ctx context.Context, req *frontend.Request, emit func(frontend.Chunk) error) (frontend.Result, error) {
	if !c.Ready() {
		return frontend.Result{}, frontend.Errorf(frontend.ErrUnavailable, "", "the cluster has no plan in force yet")
	}
	prompt, err := c.promptIDs(req)
	if err != nil {
		return frontend.Result{}, err
	}
	p := sample.Params{Temperature: req.Temperature, TopK: req.TopK, TopP: req.TopP, RepetitionPenalty: req.RepetitionPenalty}
	if req.Seed != nil {
		p.Seed = *req.Seed
	} else {
		p.Seed = rand.Uint64()
	}
	res, err := c.sched.Generate(ctx, &engine.Request{
		Prompt: prompt, Params: p, Stop: req.Stop, MaxTokens: req.MaxTokens,
		Emit: func(t engine.Token) error { return emit(frontend.Chunk{IDs: []int{t.ID}, Text: t.Text}) },
	})
	c.stats.requests.Add(1)
	c.stats.tokens.Add(int64(res.CompletionTokens))
	if err != nil {
		c.stats.requestErrors.Add(1)
		return frontend.Result{}, mapError(err)
	}
	return frontend.Result{FinishReason: string(res.Finish), PromptTokens: res.PromptTokens, CompletionTokens: res.CompletionTokens}, nil
}

// promptIDs tokenizes the request's prompt: ids as given, chat messages through the template
// (no BOS, as the official chat usage), text with BOS.
func (c *Coordinator) promptIDs(req *frontend.Request) ([]int, error) {
	switch {
	case req.PromptIDs != nil:
		return req.PromptIDs, nil
	case c.tok == nil:
		return nil, errNoTokenizer
	case req.Chat:
		msgs := make([]tokenizer.Message, len(req.Messages))
		for i, m := range req.Messages {
			msgs[i] = tokenizer.Message{Role: m.Role, Content: m.Content}
		}
		text, err := tokenizer.RenderChat(msgs, tokenizer.ChatOptions{AddGenerationPrompt: true})
		if err != nil {
			return nil, frontend.Errorf(frontend.ErrInvalidRequest, "messages", "%v", err)
		}
		return c.tok.Encode(text, false), nil
	}
	return c.tok.Encode(req.Prompt, true), nil
}

func mapError(err error) error {
	switch {
	case errors.Is(err, engine.ErrContextLength):
		return frontend.Errorf(frontend.ErrContextLength, "max_tokens", "%v", err)
	case errors.Is(err, engine.ErrInvalid):
		return frontend.Errorf(frontend.ErrInvalidRequest, "", "%v", err)
	case errors.Is(err, engine.ErrClosed), errors.Is(err, engine.ErrUnavailable),
		errors.Is(err, pipeline.ErrNoRoute), errors.Is(err, pipeline.ErrStopped):
		return frontend.Errorf(frontend.ErrUnavailable, "", "%v", err)
	}
	return err
}

// Status implements frontend.Backend: the plan in force and each worker's own report.
func (c *Coordinator) Status(ctx context.Context) (*frontend.Status, error) {
	c.mu.Lock()
	st := &frontend.Status{Ready: c.ready, Model: c.name, PlanEpoch: uint64(c.epoch),
		PrefixHits: uint64(c.prefix.hits.Load()), PrefixTokensSaved: uint64(c.prefix.saved.Load()),
		PrefixEvictions: uint64(c.prefix.evictions.Load()), KVCacheDType: c.cfg.KVDType.String(), Preempted: uint64(c.sched.Preemptions())}
	doc := c.doc
	c.mu.Unlock()
	ws := c.workers()
	reports := make([]pipeline.WorkerStatus, len(ws))
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = c.workerStatus(ctx, w.ID)
		}()
	}
	wg.Wait()
	for i, w := range ws {
		st.Workers = append(st.Workers, workerStatus(w.ID, w.Cordoned, w.MemBytes, doc, reports[i], errs[i]))
	}
	return st, nil
}

func workerStatus(id string, cordoned bool, mem int64, doc *pipeline.PlanDoc, r pipeline.WorkerStatus, err error) frontend.WorkerStatus {
	ws := frontend.WorkerStatus{ID: id, State: frontend.WorkerJoining}
	ws.Memory.TotalBytes = uint64(mem)
	switch {
	case err != nil:
		ws.State = frontend.WorkerSuspect
	case cordoned:
		ws.State = frontend.WorkerCordoned
	case r.Loaded:
		ws.State = frontend.WorkerReady
	}
	if doc != nil {
		if rep, s, ok := doc.Plan.Locate(id); ok {
			stg := doc.Plan.Replicas[rep].Stages[s]
			ws.Stages = []frontend.StageAssignment{{Replica: rep, Stage: s, LayerBegin: stg.First, LayerEnd: stg.Last}}
		}
	}
	ws.Memory.WeightsBytes, ws.Memory.KVBytes = uint64(r.WeightBytes), uint64(r.StateBytes)
	ws.Memory.PagesUsed, ws.Memory.PagesFree, ws.Memory.PageBytes = uint64(r.PagesUsed), uint64(r.PagesFree), uint64(r.PageBytes)
	ws.Memory.UsedBytes = ws.Memory.WeightsBytes + ws.Memory.KVBytes
	ws.Load.ActiveSequences = r.Seqs
	return ws
}

// Route returns the plan in force and its epoch, once the coordinator serves.
func (c *Coordinator) Route() (pipeline.Route, bool) { return c.exec.Route() }

// AdvertiseGRPC is the gRPC address this coordinator registered for standbys ("" if none).
func (c *Coordinator) AdvertiseGRPC() string { return c.cfg.AdvertiseGRPC }

// ID is the coordinator's id.
func (c *Coordinator) ID() string { return c.cfg.ID }

// NATSReconnected is called when this coordinator's NATS connection came back: frames in flight
// may be lost, so the steps in flight are replayed, and new steps wait until every worker of
// the route answers again (they reconnect at their own pace).
func (c *Coordinator) NATSReconnected() {
	c.exec.Pause()
	c.exec.Interrupt("NATS reconnected")
	go func() {
		defer c.exec.Resume()
		r, ok := c.exec.Route()
		if !ok {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, id := range r.Plan.Workers() {
			for ctx.Err() == nil {
				if _, err := c.workerStatus(ctx, id); err == nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		c.log.Info("NATS reconnected: every worker of the route answers again")
	}()
}

// Replays counts the sequences plan changes dropped and replayed so far.
func (c *Coordinator) Replays() int { return c.exec.Replays() }

// Preemptions counts the sequences preempted for memory so far (Config.ReserveAhead).
func (c *Coordinator) Preemptions() int64 { return c.sched.Preemptions() }

// PrefixStats is what the prefix cache did so far.
type PrefixStats struct {
	Hits        int64 // sequences that started from a snapshot
	TokensSaved int64 // prompt tokens those did not compute
	Evictions   int64 // snapshots dropped to make room for a sequence
}

// PrefixStats reports what the prefix cache did so far.
func (c *Coordinator) PrefixStats() PrefixStats {
	return PrefixStats{c.prefix.hits.Load(), c.prefix.saved.Load(), c.prefix.evictions.Load()}
}
