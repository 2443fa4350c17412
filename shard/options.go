package shard

import (
	"fmt"
	"math"
	"time"

	"github.com/hymbaserve/hymbaserve/model"
)

// DefaultHopLatency is the per-hop latency the cost model charges when Options.HopLatency is 0:
// one NATS publish/deliver of a decode activation between two workers on a LAN.
const DefaultHopLatency = time.Millisecond

// Bounds on the options that keep every byte count well inside int64.
const (
	maxSeqs    = 1 << 20
	maxContext = 1 << 24
)

// Worker is one member of the pool the planner places layers on.
type Worker struct {
	ID       string  `json:"id"`
	MemBytes int64   `json:"mem_bytes"` // memory it offers for weights + sequence state
	Speed    float64 `json:"speed"`     // measured compute speed, FLOP/s (relative values are fine)
	Cordoned bool    `json:"cordoned,omitempty"`
}

// Options are the operator's inputs to NewPlan.
type Options struct {
	// Stages pins the pipeline depth of every replica; 0 lets the planner choose.
	Stages int `json:"stages,omitempty"`
	// Replicas pins the number of pipeline replicas; 0 means the most that fit.
	Replicas int `json:"replicas,omitempty"`
	// WeightBytes is the size of one weight value: 2 (bf16) or 4 (fp32).
	WeightBytes int `json:"weight_bytes"`
	// StateBytes is the size of one cached KV, conv or SSM value; 0 means WeightBytes
	// (the official code stores its caches in the model dtype).
	StateBytes int `json:"state_bytes,omitempty"`
	// KVBytes is the size of one cached K/V value when it differs from the conv and SSM
	// state's (hymbaserve keeps conv and SSM state in float32 and K/V in the
	// --kv-cache-dtype); 0 means StateBytes.
	KVBytes int `json:"kv_bytes,omitempty"`
	// MaxSeqs is the number of concurrent sequences each replica admits; every stage
	// budgets state memory for that many sequences.
	MaxSeqs int `json:"max_seqs"`
	// ContextLen is the number of cache rows a sequence may reach, the num_memory_tokens
	// meta rows included (positions 0…ContextLen−1, as max_position_embeddings counts them).
	ContextLen int `json:"context_len"`
	// HopLatency is the cost model's latency of one stage-to-stage hop; 0 means
	// DefaultHopLatency. It is weighed against stage compute time, so it only matters
	// when Worker.Speed is in real FLOP/s.
	HopLatency time.Duration `json:"hop_latency,omitempty"`
}

// DefaultOptions budgets 64 sequences of 8192 rows each in bf16, the planner choosing
// both the pipeline depth and the replica count.
func DefaultOptions() Options {
	return Options{WeightBytes: 2, MaxSeqs: 64, ContextLen: 8192}
}

func (o Options) stateBytes() int64 {
	if o.StateBytes == 0 {
		return int64(o.WeightBytes)
	}
	return int64(o.StateBytes)
}

func (o Options) kvBytes() int64 {
	if o.KVBytes == 0 {
		return o.stateBytes()
	}
	return int64(o.KVBytes)
}

func (o Options) hopSeconds() float64 {
	if o.HopLatency == 0 {
		return DefaultHopLatency.Seconds()
	}
	return o.HopLatency.Seconds()
}

// validate checks the options against the model config, naming the field at fault.
func (o Options) validate(cfg *model.Config) error {
	switch {
	case o.WeightBytes != 2 && o.WeightBytes != 4:
		return fmt.Errorf("shard: Options.WeightBytes must be 2 (bf16) or 4 (fp32), got %d", o.WeightBytes)
	case o.StateBytes != 0 && o.StateBytes != 2 && o.StateBytes != 4:
		return fmt.Errorf("shard: Options.StateBytes must be 0 (same as weights), 2 or 4, got %d", o.StateBytes)
	case o.KVBytes != 0 && o.KVBytes != 2 && o.KVBytes != 4:
		return fmt.Errorf("shard: Options.KVBytes must be 0 (same as StateBytes), 2 or 4, got %d", o.KVBytes)
	case o.MaxSeqs < 1 || o.MaxSeqs > maxSeqs:
		return fmt.Errorf("shard: Options.MaxSeqs must be in [1, %d], got %d", maxSeqs, o.MaxSeqs)
	case o.ContextLen > maxContext:
		return fmt.Errorf("shard: Options.ContextLen %d is beyond the %d rows the planner budgets for", o.ContextLen, maxContext)
	case o.ContextLen <= cfg.NumMemoryTokens:
		return fmt.Errorf("shard: Options.ContextLen %d must exceed the %d meta rows (num_memory_tokens) it includes",
			o.ContextLen, cfg.NumMemoryTokens)
	case o.Stages < 0:
		return fmt.Errorf("shard: Options.Stages must not be negative, got %d", o.Stages)
	case o.Replicas < 0:
		return fmt.Errorf("shard: Options.Replicas must not be negative, got %d", o.Replicas)
	case o.HopLatency < 0:
		return fmt.Errorf("shard: Options.HopLatency must not be negative, got %v", o.HopLatency)
	}
	return nil
}

// validateWorkers checks IDs and capacities, naming the worker at fault.
func validateWorkers(workers []Worker) error {
	if len(workers) == 0 {
		return ErrNoWorkers
	}
	seen := make(map[string]bool, len(workers))
	for i, w := range workers {
		switch {
		case w.ID == "":
			return fmt.Errorf("shard: workers[%d] has an empty ID", i)
		case seen[w.ID]:
			return fmt.Errorf("shard: worker %q is listed twice", w.ID)
		case w.MemBytes < 0:
			return fmt.Errorf("shard: worker %q: MemBytes must not be negative, got %d", w.ID, w.MemBytes)
		case math.IsNaN(w.Speed) || math.IsInf(w.Speed, 0) || w.Speed < 0:
			return fmt.Errorf("shard: worker %q: Speed must be a finite number ≥ 0, got %v", w.ID, w.Speed)
		case !w.Cordoned && w.Speed == 0:
			return fmt.Errorf("shard: worker %q: Speed is 0; cordon it or report its measured speed", w.ID)
		}
		seen[w.ID] = true
	}
	return nil
}
