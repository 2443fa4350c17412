package engine

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// flaky wraps an executor and, at some steps, loses sequences' state: either before running the
// step (LostError for one sequence) or after running it (ErrRetry: the state advanced on the
// executor, the scheduler must not trust it). It fails 8 times, spread over the run.
type flaky struct {
	*Local
	n atomic.Int64
}

func (f *flaky) Step(ctx context.Context, segs []Seg) ([]float32, error) {
	switch k := f.n.Add(1); {
	case k > 120:
	case k%30 == 5:
		f.Local.Release(segs[0].Seq)
		return nil, &LostError{Seqs: []uint64{segs[0].Seq}}
	case k%30 == 20:
		if _, err := f.Local.Step(ctx, segs); err != nil {
			return nil, err
		}
		return nil, ErrRetry
	}
	return f.Local.Step(ctx, segs)
}

// TestReplayAfterLostState: requests whose state is lost again and again still produce exactly
// the tokens of an undisturbed run, beyond the sliding window (decode steps are replayed as
// decode steps, so the window quirk is reproduced).
func TestReplayAfterLostState(t *testing.T) {
	m := tinyModel(t)
	ex := &flaky{Local: NewLocal(m)}
	s := startScheduler(t, ex, m, Options{MaxBatch: 4, ChunkTokens: 16})
	lens := []int{3, 12, 20, 33}
	var wg sync.WaitGroup
	got := make([][]int, len(lens))
	for i, n := range lens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Generate(context.Background(), &Request{Prompt: testPrompt(n, i), MaxTokens: 25})
			if err != nil {
				t.Error(err)
			}
			got[i] = res.IDs
		}()
	}
	wg.Wait()
	for i, n := range lens {
		if want := greedyAlone(t, m, testPrompt(n, i), 25); !slices.Equal(got[i], want) {
			t.Fatalf("request %d: after replays %v, undisturbed %v", i, got[i], want)
		}
	}
	if ex.n.Load() < 100 {
		t.Fatalf("only %d steps: the failures were not all exercised", ex.n.Load())
	}
}
