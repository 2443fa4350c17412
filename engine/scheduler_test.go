package engine

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hymbaserve/hymbaserve/model"
	"github.com/hymbaserve/hymbaserve/sample"
)

func tinyModel(t testing.TB) *model.Model {
	t.Helper()
	cfg, err := model.LoadConfig("../testdata/golden/tiny-hymba")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(cfg, model.RandomTensors(cfg, 11, true), model.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func startScheduler(t *testing.T, ex Executor, m *model.Model, opt Options) *Scheduler {
	opt.Vocab, opt.MaxContext = m.Cfg.VocabSize, 200
	s := NewScheduler(ex, nil, opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

func testPrompt(n, seed int) []int {
	ids := []int{1}
	for i := 1; i < n; i++ {
		ids = append(ids, 3+(i*37+seed*101)%500)
	}
	return ids
}

// greedyAlone is the reference: one sequence, whole prefill, one token per step.
func greedyAlone(t *testing.T, m *model.Model, prompt []int, n int) []int {
	s := m.NewSeq(1)
	toks := prompt
	var out []int
	for i := 0; i < n; i++ {
		x, lay, err := m.Forward([]model.Segment{{Seq: s, Text: len(toks), LastPrompt: i == 0}}, [][]int{toks}, nil)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := m.Logits(lay, x, false)
		id := int(slices.Index(l, slices.Max(l)))
		out = append(out, id)
		toks = []int{id}
	}
	return out
}

// TestConcurrentRequestsEqualAlone runs requests of different lengths concurrently through a
// scheduler that must chunk prompts and queue (small chunk budget and batch): every result must
// equal the request run alone.
func TestConcurrentRequestsEqualAlone(t *testing.T) {
	m := tinyModel(t)
	ex := NewLocal(m)
	s := startScheduler(t, ex, m, Options{MaxBatch: 3, ChunkTokens: 7})
	lens := []int{1, 4, 9, 16, 23, 40, 2, 30}
	var wg sync.WaitGroup
	got := make([][]int, len(lens))
	errs := make([]error, len(lens))
	for i, n := range lens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Generate(context.Background(), &Request{Prompt: testPrompt(n, i), MaxTokens: 15})
			got[i], errs[i] = res.IDs, err
		}()
	}
	wg.Wait()
	for i, n := range lens {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if want := greedyAlone(t, m, testPrompt(n, i), 15); !slices.Equal(got[i], want) {
			t.Fatalf("request %d (prompt %d): got %v, alone %v", i, n, got[i], want)
		}
	}
	if ex.Held() != 0 {
		t.Fatalf("%d sequence states left after all requests finished", ex.Held())
	}
}

func TestSeededSamplingIsDeterministic(t *testing.T) {
	m := tinyModel(t)
	s := startScheduler(t, NewLocal(m), m, Options{})
	run := func(seed uint64) []int {
		p := sample.Params{Temperature: 1.2, TopP: 0.9, TopK: 50, Seed: seed}
		res, err := s.Generate(context.Background(), &Request{Prompt: testPrompt(10, 1), Params: p, MaxTokens: 30})
		if err != nil {
			t.Fatal(err)
		}
		return res.IDs
	}
	a, b, c := run(5), run(5), run(6)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different tokens: %v vs %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Fatalf("seeds 5 and 6 gave the same 30 tokens %v", a)
	}
}

func TestRequestValidation(t *testing.T) {
	m := tinyModel(t)
	s := startScheduler(t, NewLocal(m), m, Options{})
	cases := []struct {
		req  Request
		want error
	}{
		{Request{MaxTokens: 5}, ErrInvalid},
		{Request{Prompt: []int{1, 2}, MaxTokens: 0}, ErrInvalid},
		{Request{Prompt: []int{1, 512}, MaxTokens: 5}, ErrInvalid},
		{Request{Prompt: []int{1, -1}, MaxTokens: 5}, ErrInvalid},
		{Request{Prompt: testPrompt(150, 0), MaxTokens: 51}, ErrContextLength},
		{Request{Prompt: []int{1}, MaxTokens: 5, Params: sample.Params{TopP: 2}}, ErrInvalid},
	}
	for i, c := range cases {
		if _, err := s.Generate(context.Background(), &c.req); !errors.Is(err, c.want) {
			t.Errorf("case %d: error %v, want %v", i, err, c.want)
		}
	}
}

// TestCancelReleasesState cancels a request mid-generation: the caller gets the context error
// and the executor drops the sequence's state.
func TestCancelReleasesState(t *testing.T) {
	m := tinyModel(t)
	ex := NewLocal(m)
	s := startScheduler(t, ex, m, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := s.Generate(ctx, &Request{Prompt: testPrompt(5, 2), MaxTokens: 150, Emit: func(Token) error {
		if n++; n == 3 {
			cancel()
		}
		return nil
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	for deadline := time.Now().Add(5 * time.Second); ex.Held() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("cancelled sequence's state never released")
		}
	}
}

// piped is a Local executor that asks for 3 micro-batches per step, as a 3-stage pipeline does.
type piped struct{ *Local }

func (piped) Depth() int { return 3 }

// TestMicroBatchesEqualAlone runs concurrent requests with every step split into micro-batches
// run at once: each result equals the request alone.
func TestMicroBatchesEqualAlone(t *testing.T) {
	m := tinyModel(t)
	s := startScheduler(t, piped{NewLocal(m)}, m, Options{MaxBatch: 7, ChunkTokens: 9})
	lens := []int{2, 5, 11, 19, 24, 31, 40}
	var wg sync.WaitGroup
	got := make([][]int, len(lens))
	for i, n := range lens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Generate(context.Background(), &Request{Prompt: testPrompt(n, i), MaxTokens: 12})
			if err != nil {
				t.Error(err)
			}
			got[i] = res.IDs
		}()
	}
	wg.Wait()
	for i, n := range lens {
		if want := greedyAlone(t, m, testPrompt(n, i), 12); !slices.Equal(got[i], want) {
			t.Fatalf("request %d: %v, alone %v", i, got[i], want)
		}
	}
}
