package sample

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// refProbs is a deliberately naive twin of the sampler: it spells out the Hugging Face
// pipeline (penalty, scores/T, top-k mask, softmax + cumulative top-p mask, softmax + min-p
// mask, softmax) over the whole vocabulary with full sorts, and returns each id's probability.
func refProbs(logits []float32, context []int, p Params) []float64 {
	n := len(logits)
	v := slices.Clone(logits)
	if p.RepetitionPenalty != 1 {
		for _, id := range context {
			if id >= 0 && id < n {
				if x := logits[id]; x > 0 {
					v[id] = x / p.RepetitionPenalty
				} else {
					v[id] = x * p.RepetitionPenalty
				}
			}
		}
	}
	probs := make([]float64, n)
	if p.Temperature == 0 {
		probs[refArgmax(v)] = 1
		return probs
	}
	kept := make([]bool, n)
	order := make([]int, 0, n)
	for i, x := range v {
		if x == x && !math.IsInf(float64(x), -1) {
			kept[i] = true
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		if v[a] != v[b] {
			return cmp.Compare(v[b], v[a])
		}
		return cmp.Compare(a, b)
	})
	if p.TopK > 0 {
		for _, id := range order[min(p.TopK, len(order)):] {
			kept[id] = false
		}
	}
	if p.TopP > 0 && p.TopP < 1 {
		sm := refSoftmax(v, kept, p.Temperature)
		cum := 0.0
		for _, id := range order {
			if cum >= float64(p.TopP) {
				kept[id] = false
			}
			cum += sm[id]
		}
	}
	if p.MinP > 0 {
		sm := refSoftmax(v, kept, p.Temperature)
		top := sm[order[0]]
		for id := range kept {
			if sm[id] < float64(p.MinP)*top {
				kept[id] = false
			}
		}
	}
	return refSoftmax(v, kept, p.Temperature)
}

func refSoftmax(v []float32, kept []bool, temp float32) []float64 {
	out := make([]float64, len(v))
	m := math.Inf(-1)
	for i, x := range v {
		if kept[i] {
			m = max(m, float64(x)/float64(temp))
		}
	}
	sum := 0.0
	for i, x := range v {
		if kept[i] {
			out[i] = math.Exp(float64(x)/float64(temp) - m)
			sum += out[i]
		}
	}
	for i := range out {
		out[i] /= sum
	}
	return out
}

// probsOf runs the sampler's filtering and returns the distribution it would draw from.
func probsOf(s *Sampler, logits []float32, context []int) []float64 {
	out := make([]float64, len(logits))
	v := s.penalize(logits, context)
	best, _ := argmax(v)
	if s.p.Temperature == 0 {
		out[best] = 1
		return out
	}
	c := s.filter(v, v[best])
	total := sumWeights(c)
	for _, x := range c {
		out[x.id] += x.w / total
	}
	return out
}

func TestFilterMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	temps := []float32{0, 0.3, 0.7, 1, 1.6}
	topKs := []int{0, 1, 3, 10, 1000}
	topPs := []float32{0, 0.05, 0.5, 0.9, 0.999, 1}
	minPs := []float32{0, 0.02, 0.3}
	pens := []float32{1, 1.3, 0.8}
	for i := range 600 {
		p := Params{
			Temperature: temps[r.IntN(len(temps))], TopK: topKs[r.IntN(len(topKs))],
			TopP: topPs[r.IntN(len(topPs))], MinP: minPs[r.IntN(len(minPs))],
			RepetitionPenalty: pens[r.IntN(len(pens))],
		}
		l := randLogits(r, 1+r.IntN(400), 0.5+3*r.Float64(), i%3 == 0)
		if i%5 == 0 { // masked tokens, as from a grammar or a corrupt row
			for range 1 + len(l)/10 {
				l[r.IntN(len(l))] = float32(math.Inf(-1))
			}
			l[r.IntN(len(l))] = float32(math.NaN())
		}
		if refArgmax(l) < 0 {
			continue
		}
		ctx := []int{r.IntN(len(l)), r.IntN(len(l)), -1, len(l) + 3}
		compareProbs(t, i, p, l, ctx)
	}
}

// TestNucleusLongTail exercises each shortlist floor of nucleus: one dominant token and a
// tail of n tokens uniform in [0, spread), placed so that top-p needs tokens below the floors
// above the expected one. It checks the shortlist size to prove which floor was used.
func TestNucleusLongTail(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for i, tc := range []struct {
		n            int
		lead, spread float64
		topP         float32
		floor        float64
	}{
		{3000, 12, 2, 0.9, 0x1p-10},
		{3000, 20, 10, 0.99, 0x1p-20},
		{3000, 20, 5, 0.9999, 0x1p-40},
		{200000, 28, 0.2, 0.9999999, 0},
	} {
		l := make([]float32, tc.n)
		for j := range l {
			l[j] = float32(r.Float64() * tc.spread)
		}
		l[17] = float32(tc.lead)
		p := Params{Temperature: 1, TopP: tc.topP}
		compareProbs(t, i, p, l, nil)
		s := New(p)
		probsOf(s, l, nil)
		want := 0
		for _, x := range l {
			if w := weight(x, l[17], 1); w > 0 && w >= tc.floor {
				want++
			}
		}
		if len(s.cands) != want {
			t.Errorf("case %d: shortlist of %d tokens, want %d (floor %g)", i, len(s.cands), want, tc.floor)
		}
	}
}

func compareProbs(t *testing.T, i int, p Params, l []float32, ctx []int) {
	t.Helper()
	got := probsOf(New(p), l, ctx)
	want := refProbs(l, ctx, New(p).Params())
	for id := range want {
		if math.Abs(got[id]-want[id]) > 1e-9 || (got[id] == 0) != (want[id] == 0) {
			t.Fatalf("case %d %+v (n=%d): P(%d) = %g, reference %g", i, p, len(l), id, got[id], want[id])
		}
	}
}

// TestEmpiricalDistribution draws many tokens with a fixed seed and checks the counts against
// the reference distribution with Pearson's chi-square at the 0.1% level. The seed is fixed,
// so the test is deterministic; a biased draw fails it.
func TestEmpiricalDistribution(t *testing.T) {
	logits := []float32{1.0, 2.0, 0.5, -1, 1.5, 0.0, 2.0, -3}
	tests := []struct {
		p     Params
		chi2  float64 // critical value for the number of tokens with p > 0, minus one
		label string
	}{
		{Params{Temperature: 0.8, Seed: 1}, 24.32, "temperature only (df 7)"},
		{Params{Temperature: 1.3, TopK: 4, Seed: 2}, 16.27, "top-k 4 (df 3)"},
		{Params{Temperature: 1, TopP: 0.8, Seed: 3}, 18.47, "top-p 0.8 (df 4)"},
		{Params{Temperature: 1, MinP: 0.3, RepetitionPenalty: 1.5, Seed: 4}, 0, "min-p + penalty"},
	}
	const draws = 20000
	for _, tc := range tests {
		t.Run(tc.label, func(t *testing.T) {
			ctx := []int{1, 3}
			want := refProbs(logits, ctx, New(tc.p).Params())
			s := New(tc.p)
			counts := make([]int, len(logits))
			for range draws {
				counts[s.Sample(logits, ctx)]++
			}
			stat, df := 0.0, -1
			for id, pr := range want {
				if pr == 0 {
					if counts[id] != 0 {
						t.Fatalf("token %d has probability 0 but was drawn %d times", id, counts[id])
					}
					continue
				}
				e := pr * draws
				stat += (float64(counts[id]) - e) * (float64(counts[id]) - e) / e
				df++
			}
			crit := tc.chi2
			if crit == 0 {
				crit = chi2Critical999[df]
			}
			if stat > crit {
				t.Fatalf("chi-square %.2f > %.2f (df %d): counts %v, probabilities %v", stat, crit, df, counts, want)
			}
		})
	}
}

// chi2Critical999 holds the 0.999 quantiles of the chi-square distribution by degrees of freedom.
var chi2Critical999 = []float64{0, 10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32}
