package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	v1 "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
	"github.com/hymbaserve/hymbaserve/client"
)

// generateRemote runs generate through a cluster's gRPC API, with the same flags and output.
func generateRemote(ctx context.Context, g *genFlags, stdout io.Writer) error {
	c, err := g.conn.dial(g.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	req, err := g.remoteRequest()
	if err != nil {
		return err
	}
	var onChunk func(*v1.GenerateResponse)
	if !g.asJSON {
		onChunk = func(m *v1.GenerateResponse) { io.WriteString(stdout, m.GetText()) }
	}
	res, err := c.Generate(ctx, req, onChunk)
	if err != nil {
		return err
	}
	if !g.asJSON {
		_, err = fmt.Fprintln(stdout)
		return err
	}
	return json.NewEncoder(stdout).Encode(genOutput{IDs: nonNil(res.IDs), Text: res.Text, FinishReason: res.FinishReason,
		PromptTokens: res.PromptTokens, CompletionTokens: res.CompletionTokens, Model: g.addr})
}

func (g *genFlags) remoteRequest() (*v1.GenerateRequest, error) {
	var req *v1.GenerateRequest
	switch {
	case g.ids != "":
		ids, err := parseIDs(g.ids)
		if err != nil {
			return nil, err
		}
		req = client.IDsRequest(ids, g.maxTokens)
	case g.chat:
		var msgs []*v1.ChatMessage
		if g.system != "" {
			msgs = append(msgs, &v1.ChatMessage{Role: "system", Content: g.system})
		}
		msgs = append(msgs, &v1.ChatMessage{Role: "user", Content: g.prompt})
		req = &v1.GenerateRequest{Prompt: &v1.GenerateRequest_Chat{Chat: &v1.ChatMessages{Messages: msgs}}}
	default:
		req = &v1.GenerateRequest{Prompt: &v1.GenerateRequest_Text{Text: g.prompt}}
	}
	mt := uint32(g.maxTokens)
	p := g.params
	req.MaxTokens, req.Temperature, req.TopK, req.Seed, req.Stop = &mt, &p.Temperature, uint32(p.TopK), &p.Seed, g.stops
	if p.TopP > 0 {
		req.TopP = &p.TopP
	}
	if p.RepetitionPenalty > 0 {
		req.RepetitionPenalty = &p.RepetitionPenalty
	}
	return req, nil
}

// runStatus prints the cluster's workers, their layer ranges and the plan epoch.
func runStatus(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:7070", "coordinator gRPC address")
	asJSON := fs.Bool("json", false, "print JSON")
	var conn connFlags
	conn.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c, err := conn.dial(*addr)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(statusJSON(st))
	}
	return printStatus(stdout, st)
}

// statusOut is status --json.
type statusOut struct {
	Model             string         `json:"model"`
	Ready             bool           `json:"ready"`
	PlanEpoch         uint64         `json:"plan_epoch"`
	PrefixHits        uint64         `json:"prefix_hits"`
	PrefixTokensSaved uint64         `json:"prefix_tokens_saved"`
	PrefixEvictions   uint64         `json:"prefix_evictions"`
	KVCacheDType      string         `json:"kv_cache_dtype"`
	Preempted         uint64         `json:"sequences_preempted"`
	Workers           []workerStatus `json:"workers"`
}

type workerStatus struct {
	ID          string   `json:"id"`
	State       string   `json:"state"`
	Stages      []string `json:"stages"` // "r<replica>/s<stage> [first,last)"
	WeightBytes uint64   `json:"weight_bytes"`
	StateBytes  uint64   `json:"state_bytes"`
	PagesUsed   uint64   `json:"pages_used"`
	PagesFree   uint64   `json:"pages_free"`
	Sequences   uint32   `json:"sequences"`
}

func statusJSON(st *v1.StatusResponse) statusOut {
	out := statusOut{Model: st.GetModelName(), Ready: st.GetReady(), PlanEpoch: st.GetPlanEpoch(), Workers: []workerStatus{},
		PrefixHits: st.GetPrefixHits(), PrefixTokensSaved: st.GetPrefixTokensSaved(), PrefixEvictions: st.GetPrefixEvictions(),
		KVCacheDType: st.GetKvCacheDtype(), Preempted: st.GetSequencesPreempted()}
	for _, w := range st.GetWorkers() {
		ws := workerStatus{ID: w.GetId(), State: stateName(w.GetState()), Stages: []string{},
			WeightBytes: w.GetMemory().GetWeightsBytes(), StateBytes: w.GetMemory().GetKvBytes(),
			PagesUsed: w.GetMemory().GetPagesUsed(), PagesFree: w.GetMemory().GetPagesFree(), Sequences: w.GetLoad().GetActiveSequences()}
		for _, s := range w.GetStages() {
			ws.Stages = append(ws.Stages, fmt.Sprintf("r%d/s%d [%d,%d)", s.GetReplica(), s.GetStage(), s.GetLayerBegin(), s.GetLayerEnd()))
		}
		out.Workers = append(out.Workers, ws)
	}
	return out
}

func stateName(s v1.WorkerState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKER_STATE_"))
}

func printStatus(w io.Writer, st *v1.StatusResponse) error {
	s := statusJSON(st)
	fmt.Fprintf(w, "model %s  plan epoch %d  ready %v  K/V %s  preempted %d  prefix cache: %d hits, %d tokens saved, %d evicted\n\n",
		s.Model, s.PlanEpoch, s.Ready, s.KVCacheDType, s.Preempted, s.PrefixHits, s.PrefixTokensSaved, s.PrefixEvictions)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKER\tSTATE\tSTAGE\tLAYERS\tWEIGHTS\tSTATE MEM\tPAGES USED/FREE\tSEQS\tMEM/SEQ")
	for _, ws := range s.Workers {
		stage, layers := "-", "-"
		if len(ws.Stages) > 0 {
			stage, layers, _ = strings.Cut(ws.Stages[0], " ")
		}
		perSeq := "-"
		if ws.Sequences > 0 {
			perSeq = mib(ws.StateBytes / uint64(ws.Sequences))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%d\t%s\n", ws.ID, ws.State, stage, layers, mib(ws.WeightBytes), mib(ws.StateBytes), ws.PagesUsed, ws.PagesFree, ws.Sequences, perSeq)
	}
	return tw.Flush()
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
