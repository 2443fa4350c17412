package sample

import (
	"math/rand/v2"
	"testing"
)

const benchVocab = 32001 // Hymba's vocabulary: 32000 Llama-2 tokens + [PAD]

// BenchmarkSample measures one sampling step on a Hymba-sized logits vector. The logits are
// N(0, 2.5²) with a few leading tokens, roughly the shape of a language model's output.
func BenchmarkSample(b *testing.B) {
	r := rand.New(rand.NewPCG(21, 22))
	logits := randLogits(r, benchVocab, 2.5, false)
	for i := range 5 {
		logits[r.IntN(benchVocab)] = float32(14 - i)
	}
	ctx := make([]int, 1024)
	for i := range ctx {
		ctx[i] = r.IntN(benchVocab)
	}
	flat := randLogits(r, benchVocab, 0.1, false)
	cases := []struct {
		name   string
		p      Params
		logits []float32
		ctx    []int
	}{
		{"greedy", Params{}, logits, nil},
		{"greedy+penalty_ctx1024", Params{RepetitionPenalty: 1.1}, logits, ctx},
		{"temperature", Params{Temperature: 0.8}, logits, nil},
		{"top_k=40", Params{Temperature: 0.8, TopK: 40}, logits, nil},
		{"top_p=0.9", Params{Temperature: 0.8, TopP: 0.9}, logits, nil},
		{"top_p=0.9_flat", Params{Temperature: 0.8, TopP: 0.9}, flat, nil},
		{"top_k=50+top_p=0.95+min_p+penalty", Params{Temperature: 0.7, TopK: 50, TopP: 0.95, MinP: 0.05, RepetitionPenalty: 1.1}, logits, ctx},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			s := New(tc.p)
			for b.Loop() {
				s.Sample(tc.logits, tc.ctx)
			}
		})
	}
}
