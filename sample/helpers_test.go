package sample

import (
	"math"
	"math/rand/v2"
)

// randLogits returns n logits drawn from N(0, scale²); with ties set, values are rounded to
// halves so equal logits are common.
func randLogits(r *rand.Rand, n int, scale float64, ties bool) []float32 {
	l := make([]float32, n)
	for i := range l {
		x := r.NormFloat64() * scale
		if ties {
			x = math.Round(x*2) / 2
		}
		l[i] = float32(x)
	}
	return l
}

// refArgmax is the obvious greedy rule: highest logit, lowest id, NaN skipped.
func refArgmax(l []float32) int {
	best := -1
	for i, x := range l {
		if x != x || math.IsInf(float64(x), -1) {
			continue
		}
		if best < 0 || x > l[best] {
			best = i
		}
	}
	return best
}
