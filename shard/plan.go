package shard

import (
	"fmt"
	"slices"
	"sort"
)

// Stage is one worker's part of a replica: decoder layers [First, Last), plus the embedding
// (and the meta tokens) on the first stage and the final norm and LM head on the last.
type Stage struct {
	Worker string `json:"worker"`
	First  int    `json:"first"`
	Last   int    `json:"last"` // exclusive
	Embed  bool   `json:"embed"`
	Head   bool   `json:"head"`
	// CostFLOPs is the stage's compute per decoded token at a full context (see LayerCost).
	CostFLOPs float64 `json:"cost_flops"`
	// MemBytes is what the stage needs: its weights plus state for Options.MaxSeqs sequences.
	MemBytes int64 `json:"mem_bytes"`
}

// Replica is one copy of the model: stages in pipeline order covering every layer.
type Replica struct {
	Stages []Stage `json:"stages"`
}

// Estimate is the cost model's figure for a plan (see docs/planner.md). Its units follow
// Worker.Speed: tokens per second when Speed is in FLOP/s.
type Estimate struct {
	// TokensPerSecond is the decode throughput of all replicas, each running MaxSeqs sequences.
	TokensPerSecond float64 `json:"tokens_per_second"`
	// LatencySeconds is the slowest replica's time per token for a lone sequence.
	LatencySeconds float64 `json:"latency_seconds"`
}

// Plan places the model's layers on workers. It is a plain value: the coordinator stores it as
// JSON under one etcd key and every worker reads it.
type Plan struct {
	Replicas []Replica `json:"replicas"`
	Unused   []string  `json:"unused"` // cordoned or left-over workers, sorted by ID
	Layers   int       `json:"layers"`
	Estimate Estimate  `json:"estimate"`
}

// StageOf returns the index of the stage of replica that runs layer.
func (p *Plan) StageOf(replica, layer int) (int, error) {
	if replica < 0 || replica >= len(p.Replicas) {
		return 0, fmt.Errorf("shard: replica %d out of range [0,%d)", replica, len(p.Replicas))
	}
	if layer < 0 || layer >= p.Layers {
		return 0, fmt.Errorf("shard: layer %d out of range [0,%d)", layer, p.Layers)
	}
	st := p.Replicas[replica].Stages
	i := sort.Search(len(st), func(i int) bool { return st[i].Last > layer })
	if i == len(st) || st[i].First > layer {
		return 0, fmt.Errorf("shard: replica %d has no stage for layer %d", replica, layer)
	}
	return i, nil
}

// WorkerOf returns the ID of the worker that runs layer in replica.
func (p *Plan) WorkerOf(replica, layer int) (string, error) {
	i, err := p.StageOf(replica, layer)
	if err != nil {
		return "", err
	}
	return p.Replicas[replica].Stages[i].Worker, nil
}

// Next returns the stage after stage in replica, where a stage sends its activations; ok is
// false for the last stage (it sends logits back to the coordinator) and for indices out of range.
func (p *Plan) Next(replica, stage int) (next Stage, ok bool) {
	if replica < 0 || replica >= len(p.Replicas) {
		return Stage{}, false
	}
	st := p.Replicas[replica].Stages
	if stage < 0 || stage+1 >= len(st) {
		return Stage{}, false
	}
	return st[stage+1], true
}

// Locate returns where worker serves; ok is false if it holds no stage.
func (p *Plan) Locate(worker string) (replica, stage int, ok bool) {
	for r, rep := range p.Replicas {
		for s, st := range rep.Stages {
			if st.Worker == worker {
				return r, s, true
			}
		}
	}
	return 0, 0, false
}

// Workers returns the IDs of the workers holding a stage, sorted.
func (p *Plan) Workers() []string {
	var ids []string
	for _, rep := range p.Replicas {
		for _, st := range rep.Stages {
			ids = append(ids, st.Worker)
		}
	}
	slices.Sort(ids)
	return ids
}

// Depth is the number of stages of the first replica (all replicas NewPlan builds have the same).
func (p *Plan) Depth() int {
	if len(p.Replicas) == 0 {
		return 0
	}
	return len(p.Replicas[0].Stages)
}
