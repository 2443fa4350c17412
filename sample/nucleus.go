package sample

import "slices"

// nucleusFloors are the weight thresholds tried, largest first, to shortlist the nucleus: a
// token below floor f has a logit more than T·ln(1/f) below the best one.
var nucleusFloors = [...]float64{0x1p-10, 0x1p-20, 0x1p-40}

// nucleus is top-p without top-k over the whole vocabulary. It shortlists the tokens above the
// largest floor whose tokens (a best-first prefix, since the weight grows with the logit)
// already hold more than top_p of the mass, then finds the nucleus among them by selection.
// The margin of 1e-9 of the total covers the rounding of summing in another order, so the
// result equals topP over the fully sorted vocabulary.
func (s *Sampler) nucleus(v []float32, m float32, t float64) []cand {
	total, mass := s.weighAll(v, m, t)
	need := float64(s.p.TopP)*total + 1e-9*total
	floor := 0.0
	for j, f := range nucleusFloors {
		if mass[j] > need {
			floor = f
			break
		}
	}
	c := s.cands[:0]
	for i, w := range s.w {
		if w > 0 && w >= floor {
			c = append(c, cand{id: int32(i), v: v[i], w: w})
		}
	}
	s.cands = c
	return nucleusCut(c, float64(s.p.TopP)*total, selectRounds)
}

// weighAll stores every token's weight in s.w and returns their sum and, per floor, the sum
// of the weights at or above it.
func (s *Sampler) weighAll(v []float32, m float32, t float64) (total float64, mass [len(nucleusFloors)]float64) {
	s.w = slices.Grow(s.w[:0], len(v))[:len(v)]
	for i, x := range v {
		w := weight(x, m, t)
		s.w[i] = w
		total += w
		for j, f := range nucleusFloors {
			if w >= f {
				mass[j] += w
			}
		}
	}
	return total, mass
}

const (
	selectSmall  = 32 // below this many undecided tokens, sort them
	selectRounds = 64 // partition rounds before giving up on selection and sorting the rest
)

// nucleusCut reorders c and returns its top-p nucleus c[:n]: the tokens that, in best-first
// order, have less than limit of weight ranked above them, exactly as topP over a sorted c.
// It finds the boundary by quickselect-style partitioning, in O(len(c)) expected time, so a
// flat distribution whose nucleus is most of the vocabulary is not sorted. The kept tokens
// end up in a deterministic but unsorted order, which the draw does not need. After rounds
// partitions (a bad pivot sequence) it sorts what is left, bounding the worst case.
func nucleusCut(c []cand, limit float64, rounds int) []cand {
	lo, hi, acc := 0, len(c), 0.0 // c[:lo] kept, c[hi:] dropped, acc = weight of c[:lo]
	for round := 0; hi-lo > selectSmall && round < rounds; round++ {
		mid := partition(c, lo, hi)
		above := acc + sumWeights(c[lo:mid])
		if above >= limit {
			hi = mid // the pivot and everything after it are dropped
		} else {
			acc, lo = above+c[mid].w, mid+1
		}
	}
	slices.SortFunc(c[lo:hi], better)
	for i := lo; i < hi; i++ {
		if acc >= limit {
			return c[:i]
		}
		acc += c[i].w
	}
	return c[:hi]
}

// partition reorders c[lo:hi] around a median-of-three pivot into the tokens better than it,
// the pivot, and the tokens worse than it, and returns the pivot's index. The order is strict
// (ids are unique), so no token ties with the pivot.
func partition(c []cand, lo, hi int) int {
	a, m, z := lo, lo+(hi-lo)/2, hi-1
	if better(c[m], c[a]) < 0 {
		a, m = m, a
	}
	if better(c[z], c[m]) < 0 {
		m = z
		if better(c[m], c[a]) < 0 {
			m = a
		}
	}
	c[m], c[hi-1] = c[hi-1], c[m]
	pivot, store := c[hi-1], lo
	for i := lo; i < hi-1; i++ {
		if better(c[i], pivot) < 0 {
			c[i], c[store] = c[store], c[i]
			store++
		}
	}
	c[store], c[hi-1] = c[hi-1], c[store]
	return store
}
