package sample

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestNucleusCutMatchesSortedTopP checks the selection against topP over a fully sorted list,
// on input orders that stress the pivot choice and with the round cap forcing the sort
// fallback at every depth.
func TestNucleusCutMatchesSortedTopP(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	orders := map[string]func(c []cand){
		"random":  func(c []cand) { r.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] }) },
		"sorted":  func(c []cand) { slices.SortFunc(c, better) },
		"reverse": func(c []cand) { slices.SortFunc(c, func(a, b cand) int { return better(b, a) }) },
	}
	for i := range 200 {
		n := 1 + r.IntN(2000)
		c := make([]cand, n)
		for j := range c {
			v := float32(math.Round(r.NormFloat64()*4) / 4) // many equal logits
			if i%4 == 0 {
				v = 1 // all equal: the order is decided by the ids alone
			}
			c[j] = cand{id: int32(j), v: v, w: math.Exp(float64(v))}
		}
		limit := r.Float64() * sumWeights(c)
		want := topP(slices.SortedFunc(slices.Values(c), better), sumWeights(c), float32(limit/sumWeights(c)))
		for name, order := range orders {
			for _, rounds := range []int{0, 1, 3, selectRounds} {
				got := slices.Clone(c)
				order(got)
				got = nucleusCut(got, float32AsLimit(limit, sumWeights(c)), rounds)
				slices.SortFunc(got, better)
				if !slices.Equal(got, want) {
					t.Fatalf("case %d %s rounds %d: nucleus of %d tokens, want %d", i, name, rounds, len(got), len(want))
				}
			}
		}
	}
}

// float32AsLimit rounds the limit the way topP does for a float32 top_p, so both sides of the
// comparison use the same threshold.
func float32AsLimit(limit, total float64) float64 {
	return float64(float32(limit/total)) * total
}
