package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hymbaserve/hymbaserve/model"
)

// Seg is one sequence's part of a step.
type Seg struct {
	Seq        uint64 // sequence id, unique per request
	Pos        int    // text tokens the sequence was fed before this step (0 for a new sequence)
	Tokens     []int  // this step's tokens: a prompt chunk, or the one token sampled last
	LastPrompt bool   // Tokens complete the prompt
}

// ErrRetry marks a failed step after which the sequences' state may be gone but their requests
// can go on: the scheduler replays them (prompt, then every generated token, exactly as the
// first time) and carries on. Executors wrap it (errors.Is).
var ErrRetry = errors.New("step failed, replayable")

// LostError reports sequences whose state is gone (a worker was lost, the plan changed). The
// step was not run at all; the scheduler replays these sequences and retries the others.
type LostError struct{ Seqs []uint64 }

func (e *LostError) Error() string { return fmt.Sprintf("state of %d sequences lost", len(e.Seqs)) }

// Executor runs steps for the sequences it holds state for.
type Executor interface {
	// Step runs segs as one step and returns the logits of each segment's last row, [len(segs), V].
	Step(ctx context.Context, segs []Seg) ([]float32, error)
	// Release frees the state of the given sequences; unknown ids are ignored.
	Release(ids ...uint64)
}

// Local executes steps in this process on a whole model.
type Local struct {
	m    *model.Model
	mu   sync.Mutex
	seqs map[uint64]*model.SeqState
}

// NewLocal returns an executor over m, which must hold every layer.
func NewLocal(m *model.Model) *Local {
	return &Local{m: m, seqs: map[uint64]*model.SeqState{}}
}

// Model returns the model the executor runs.
func (e *Local) Model() *model.Model { return e.m }

// Step implements Executor.
func (e *Local) Step(ctx context.Context, segs []Seg) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ms := make([]model.Segment, len(segs))
	toks := make([][]int, len(segs))
	for i, g := range segs {
		s, err := e.state(g)
		if err != nil {
			return nil, err
		}
		ms[i] = model.Segment{Seq: s, Text: len(g.Tokens), LastPrompt: g.LastPrompt}
		toks[i] = g.Tokens
	}
	x, lay, err := e.m.Forward(ms, toks, nil)
	if err != nil {
		return nil, err
	}
	logits, _ := e.m.Logits(lay, x, false)
	return logits, nil
}

// state returns the state of g's sequence, creating it for a new one.
func (e *Local) state(g Seg) (*model.SeqState, error) {
	s, ok := e.seqs[g.Seq]
	switch {
	case !ok && g.Pos == 0:
		s = e.m.NewSeq(g.Seq)
		e.seqs[g.Seq] = s
	case !ok:
		return nil, fmt.Errorf("engine: unknown sequence %d at position %d", g.Seq, g.Pos)
	case s.Pos != g.Pos:
		return nil, fmt.Errorf("engine: sequence %d is at position %d, step says %d", g.Seq, s.Pos, g.Pos)
	}
	return s, nil
}

// Release implements Executor.
func (e *Local) Release(ids ...uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, id := range ids {
		if s, ok := e.seqs[id]; ok {
			s.Release()
			delete(e.seqs, id)
		}
	}
}

// Held returns the number of sequences with state.
func (e *Local) Held() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.seqs)
}
