package sample

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestGreedyArgmax(t *testing.T) {
	nan := float32(math.NaN())
	ninf := float32(math.Inf(-1))
	tests := []struct {
		name   string
		logits []float32
		want   int
	}{
		{"single", []float32{-3}, 0},
		{"max in middle", []float32{0.1, 2.5, -1, 2.4}, 1},
		{"tie goes to lowest id", []float32{1, 3, 0, 3, 3}, 1},
		{"all equal", []float32{7, 7, 7}, 0},
		{"nan skipped", []float32{nan, 1, nan, 0.5}, 1},
		{"leading -inf", []float32{ninf, ninf, -100}, 2},
		{"+inf wins", []float32{1e30, float32(math.Inf(1)), 5}, 1},
		{"negative only", []float32{-5, -2, -9}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := New(Params{}).Sample(tc.logits, nil); got != tc.want {
				t.Fatalf("Sample(%v) = %d, want %d", tc.logits, got, tc.want)
			}
		})
	}
}

func TestGreedyMatchesReferenceOnRandomLogits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	s := New(Params{})
	for i := range 200 {
		l := randLogits(r, 1+r.IntN(300), 2, i%2 == 0)
		if got, want := s.Sample(l, nil), refArgmax(l); got != want {
			t.Fatalf("case %d: Sample = %d, want %d", i, got, want)
		}
	}
}

func TestTrySampleErrors(t *testing.T) {
	nan := float32(math.NaN())
	ninf := float32(math.Inf(-1))
	for _, p := range []Params{{}, {Temperature: 1, TopK: 2, TopP: 0.5}} {
		s := New(p)
		if _, err := s.TrySample(nil, nil); !errors.Is(err, ErrNoLogits) {
			t.Errorf("%+v: TrySample(nil) error = %v, want ErrNoLogits", p, err)
		}
		if _, err := s.TrySample([]float32{nan, ninf, nan}, nil); !errors.Is(err, ErrNoCandidate) {
			t.Errorf("%+v: TrySample(all NaN/-Inf) error = %v, want ErrNoCandidate", p, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Sample(empty) did not panic")
		}
	}()
	New(Params{}).Sample(nil, nil)
}

func TestTemperatureZeroLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, temp := range []float32{1e-3, 1e-6, 1e-30, 1e-45} {
		s := New(Params{Temperature: temp, Seed: 11})
		for i := range 100 {
			l := randLogits(r, 500, 3, false)
			best := refArgmax(l)
			l[best] += 0.05 // a strict maximum: the limit of the softmax is one-hot
			if got := s.Sample(l, nil); got != best {
				t.Fatalf("T=%g case %d: Sample = %d, want argmax %d", temp, i, got, best)
			}
		}
	}
}

func TestTopKOneAndTinyTopPAreGreedy(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	samplers := map[string]*Sampler{
		"top_k=1":            New(Params{Temperature: 1.5, TopK: 1, Seed: 1}),
		"top_p=1e-6":         New(Params{Temperature: 1.5, TopP: 1e-6, Seed: 2}),
		"top_k=5,top_p=1e-6": New(Params{Temperature: 2, TopK: 5, TopP: 1e-6, Seed: 3}),
		"min_p=1":            New(Params{Temperature: 1, MinP: 1, Seed: 4}),
	}
	for i := range 300 {
		l := randLogits(r, 2+r.IntN(400), 1, true) // many ties at the top
		want := refArgmax(l)
		for name, s := range samplers {
			if name == "min_p=1" && slices.Index(l[want+1:], l[want]) >= 0 {
				continue // min_p=1 keeps every token tied with the best, by definition
			}
			if got := s.Sample(l, nil); got != want {
				t.Fatalf("%s case %d: Sample = %d, want greedy %d", name, i, got, want)
			}
		}
	}
}

func TestRepetitionPenalty(t *testing.T) {
	logits := []float32{2, -2, 1.5, 0, -1}
	orig := slices.Clone(logits)
	s := New(Params{RepetitionPenalty: 2})
	got := s.penalize(logits, []int{0, 1, 1, 3, 0, -7, 99})
	want := []float32{1, -4, 1.5, 0, -1}
	if !slices.Equal(got, want) {
		t.Fatalf("penalize = %v, want %v (positive divided, negative multiplied, once per id)", got, want)
	}
	if !slices.Equal(logits, orig) {
		t.Fatalf("penalize modified the caller's logits: %v", logits)
	}
	// Direction seen through greedy decoding: a repeated positive leader loses its lead, a
	// repeated negative logit sinks further instead of rising.
	if id := s.Sample([]float32{3, 2}, []int{0}); id != 1 {
		t.Errorf("penalised positive leader: Sample = %d, want 1", id)
	}
	if id := s.Sample([]float32{-1, -1.5}, []int{0}); id != 1 {
		t.Errorf("penalised negative leader: Sample = %d, want 1 (-1*2 < -1.5)", id)
	}
	if id := New(Params{RepetitionPenalty: 0.5}).Sample([]float32{-1, -1.5}, []int{1}); id != 1 {
		t.Errorf("penalty < 1 favours repeats: Sample = %d, want 1", id)
	}
}

func TestSampleDoesNotModifyLogits(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	l := randLogits(r, 1000, 2, true)
	orig := slices.Clone(l)
	ctx := []int{1, 5, 9, 999}
	for _, p := range []Params{
		{RepetitionPenalty: 1.3},
		{Temperature: 0.8, RepetitionPenalty: 1.3},
		{Temperature: 0.8, TopK: 20, RepetitionPenalty: 1.3},
		{Temperature: 0.8, TopP: 0.9, MinP: 0.1, RepetitionPenalty: 1.3},
	} {
		New(p).Sample(l, ctx)
		if !slices.Equal(l, orig) {
			t.Fatalf("%+v: Sample modified logits", p)
		}
	}
}

func TestSeedDeterminism(t *testing.T) {
	p := Params{Temperature: 1, TopK: 50, TopP: 0.95, RepetitionPenalty: 1.1}
	run := func(seed uint64) []int {
		r := rand.New(rand.NewPCG(9, 10)) // the same logits sequence every run
		q := p
		q.Seed = seed
		s := New(q)
		var out []int
		for range 100 {
			out = append(out, s.Sample(randLogits(r, 300, 1, false), out))
		}
		return out
	}
	if a, b := run(42), run(42); !slices.Equal(a, b) {
		t.Fatalf("same seed gave different tokens:\n%v\n%v", a, b)
	}
	seen := map[string]uint64{}
	for seed := range uint64(8) {
		key := string(encodeInts(run(seed)))
		if prev, dup := seen[key]; dup {
			t.Fatalf("seeds %d and %d gave identical token sequences", prev, seed)
		}
		seen[key] = seed
	}
}

func encodeInts(v []int) []byte {
	b := make([]byte, 0, 2*len(v))
	for _, x := range v {
		b = append(b, byte(x), byte(x>>8))
	}
	return b
}
