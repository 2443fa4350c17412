package engine

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// held is a 2-stage pipelined Local executor whose steps for one sequence block until the test
// lets them go: a stand-in for a step that is slow somewhere down the pipeline.
type held struct {
	*Local
	seq     uint64
	blocked chan struct{} // closed when a step of seq is held
	release chan struct{} // closed by the test to let it go
	once    sync.Once
}

func (h *held) Depth() int { return 2 }

func (h *held) Step(ctx context.Context, segs []Seg) ([]float32, error) {
	for _, g := range segs {
		if g.Seq == h.seq {
			h.once.Do(func() { close(h.blocked) })
			select {
			case <-h.release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	return h.Local.Step(ctx, segs)
}

// TestLanesDoNotWaitForEachOther holds one request's step and checks that a request in the
// other lane runs to the end meanwhile (with one batch per step it would wait for the held
// step), and that both requests still equal their runs alone.
func TestLanesDoNotWaitForEachOther(t *testing.T) {
	m := tinyModel(t)
	h := &held{Local: NewLocal(m), seq: 1, blocked: make(chan struct{}), release: make(chan struct{})}
	s := startScheduler(t, h, m, Options{})
	a, b := testPrompt(9, 1), testPrompt(6, 2)
	resA := make(chan Result, 1)
	go func() {
		res, err := s.Generate(context.Background(), &Request{Prompt: a, MaxTokens: 6})
		if err != nil {
			t.Error(err)
		}
		resA <- res
	}()
	select {
	case <-h.blocked:
	case <-time.After(10 * time.Second):
		t.Fatal("the first request's step never started")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resB, err := s.Generate(ctx, &Request{Prompt: b, MaxTokens: 6})
	if err != nil {
		t.Fatalf("second request while the first one's step is held: %v", err)
	}
	close(h.release)
	if want := greedyAlone(t, m, b, 6); !slices.Equal(resB.IDs, want) {
		t.Errorf("second request %v, alone %v", resB.IDs, want)
	}
	if got, want := (<-resA).IDs, greedyAlone(t, m, a, 6); !slices.Equal(got, want) {
		t.Errorf("first request %v, alone %v", got, want)
	}
}

// TestOneLaneWaits is the control of TestLanesDoNotWaitForEachOther: with MicroBatches 1 the
// second request joins the held request's batch and cannot finish before it is let go.
func TestOneLaneWaits(t *testing.T) {
	m := tinyModel(t)
	h := &held{Local: NewLocal(m), seq: 1, blocked: make(chan struct{}), release: make(chan struct{})}
	s := startScheduler(t, h, m, Options{MicroBatches: 1})
	go s.Generate(context.Background(), &Request{Prompt: testPrompt(9, 1), MaxTokens: 6})
	<-h.blocked
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := s.Generate(ctx, &Request{Prompt: testPrompt(6, 2), MaxTokens: 6}); err == nil {
		t.Fatal("the second request finished in one lane while the first one's step was held")
	}
	close(h.release)
}
