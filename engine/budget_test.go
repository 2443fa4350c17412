package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// slots is a Budget of n sequences of at most max tokens; it records the most held at once.
type slots struct {
	mu     sync.Mutex
	n, max int
	held   map[uint64]bool
	most   int
}

func (b *slots) Fits(tokens int) error {
	if tokens > b.max {
		return fmt.Errorf("%d tokens need more than the %d a slot holds", tokens, b.max)
	}
	return nil
}

func (b *slots) Reserve(seq uint64, tokens int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.held) >= b.n {
		return false
	}
	b.held[seq] = true
	b.most = max(b.most, len(b.held))
	return true
}

func (b *slots) Grow(seq uint64, tokens int) bool { return tokens <= b.max }

func (b *slots) Free(seq uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.held, seq)
}

// TestBudgetQueuesAndRefuses: with room for 2 sequences, 6 concurrent requests run at most 2 at a
// time and all give their tokens alone; a request that can never fit is refused at once.
func TestBudgetQueuesAndRefuses(t *testing.T) {
	m := tinyModel(t)
	b := &slots{n: 2, max: 60, held: map[uint64]bool{}}
	s := startScheduler(t, NewLocal(m), m, Options{Budget: b})
	var wg sync.WaitGroup
	got := make([][]int, 6)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Generate(context.Background(), &Request{Prompt: testPrompt(5+i*3, i), MaxTokens: 20})
			if err != nil {
				t.Error(err)
			}
			got[i] = res.IDs
		}()
	}
	wg.Wait()
	for i := range got {
		if want := greedyAlone(t, m, testPrompt(5+i*3, i), 20); !slices.Equal(got[i], want) {
			t.Fatalf("request %d: %v, alone %v", i, got[i], want)
		}
	}
	if b.most != 2 || len(b.held) != 0 {
		t.Fatalf("at most %d sequences held at once (want 2), %d still held", b.most, len(b.held))
	}
	_, err := s.Generate(context.Background(), &Request{Prompt: testPrompt(50, 1), MaxTokens: 20})
	if !errors.Is(err, ErrContextLength) {
		t.Fatalf("a request that never fits: %v, want ErrContextLength", err)
	}
}

// pool is a Budget of cap tokens over all sequences; it records the most held at once.
type pool struct {
	mu        sync.Mutex
	cap, most int
	held      map[uint64]int
}

func (b *pool) Fits(tokens int) error {
	if tokens > b.cap {
		return fmt.Errorf("%d tokens need more than the %d the pool holds", tokens, b.cap)
	}
	return nil
}

func (b *pool) Reserve(seq uint64, tokens int) bool { return b.Grow(seq, tokens) }

func (b *pool) Grow(seq uint64, tokens int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	sum := 0
	for _, n := range b.held {
		sum += n
	}
	sum += tokens - b.held[seq]
	if sum > b.cap {
		return false
	}
	b.held[seq] = tokens
	b.most = max(b.most, sum)
	return true
}

func (b *pool) Free(seq uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.held, seq)
}

// TestPreemptionUnderPressure: with ReserveAhead, sequences reserve as they grow; a pool of 60
// tokens cannot hold the four 35-token requests at once, so some are preempted and recomputed,
// and each result still equals its run alone, with one lane or three. Nothing is ever held
// beyond the pool.
func TestPreemptionUnderPressure(t *testing.T) {
	m := tinyModel(t)
	for _, ex := range []Executor{NewLocal(m), piped{NewLocal(m)}} {
		b := &pool{cap: 60, held: map[uint64]int{}}
		s := startScheduler(t, ex, m, Options{Budget: b, ReserveAhead: 8, MaxBatch: 4})
		var wg sync.WaitGroup
		got := make([][]int, 4)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := s.Generate(context.Background(), &Request{Prompt: testPrompt(10, i), MaxTokens: 25})
				if err != nil {
					t.Error(err)
				}
				got[i] = res.IDs
			}()
		}
		wg.Wait()
		for i := range got {
			if want := greedyAlone(t, m, testPrompt(10, i), 25); !slices.Equal(got[i], want) {
				t.Fatalf("%T: request %d: %v, alone %v", ex, i, got[i], want)
			}
		}
		if s.Preemptions() == 0 {
			t.Fatalf("%T: no sequence was preempted, yet the four could not all grow to 35 tokens in 60", ex)
		}
		if b.most > b.cap || len(b.held) != 0 {
			t.Fatalf("%T: held at most %d tokens of %d, %d sequences still hold room", ex, b.most, b.cap, len(b.held))
		}
	}
}

// freeCounts is a pool that counts each sequence's Free calls: one at the end, one more per
// preemption.
type freeCounts struct {
	pool
	frees map[uint64]int
}

func (b *freeCounts) Free(seq uint64) {
	b.mu.Lock()
	b.frees[seq]++
	b.mu.Unlock()
	b.pool.Free(seq)
}

// TestPreemptionPicksTheNewest: two lanes, one request each; the older request's lane runs out
// of room first or not, but the older request is never the one preempted while the newer one
// runs (the newer one's lane preempts it when flagged); both equal their runs alone.
func TestPreemptionPicksTheNewest(t *testing.T) {
	m := tinyModel(t)
	b := &freeCounts{pool: pool{cap: 60, held: map[uint64]int{}}, frees: map[uint64]int{}}
	s := startScheduler(t, piped{NewLocal(m)}, m, Options{Budget: b, ReserveAhead: 8, MaxBatch: 2})
	older, newer := testPrompt(10, 1), testPrompt(10, 2)
	started := make(chan struct{})
	var once sync.Once
	var got [2][]int
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		res, err := s.Generate(context.Background(), &Request{Prompt: older, MaxTokens: 30, Emit: func(Token) error {
			once.Do(func() { close(started) })
			return nil
		}})
		if err != nil {
			t.Error(err)
		}
		got[0] = res.IDs
	}()
	<-started
	go func() {
		defer wg.Done()
		res, err := s.Generate(context.Background(), &Request{Prompt: newer, MaxTokens: 30})
		if err != nil {
			t.Error(err)
		}
		got[1] = res.IDs
	}()
	wg.Wait()
	for i, p := range [][]int{older, newer} {
		if want := greedyAlone(t, m, p, 30); !slices.Equal(got[i], want) {
			t.Fatalf("request %d: %v, alone %v", i, got[i], want)
		}
	}
	if b.frees[1] != 1 || b.frees[2] < 2 {
		t.Fatalf("Free calls per sequence %v: want the older (1) freed once, at its end, and the newer (2) preempted", b.frees)
	}
}
