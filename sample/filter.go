package sample

import (
	"cmp"
	"math"
	"slices"
)

// filter applies temperature, top-k, top-p and min-p, in that (Hugging Face) order, to the
// penalised logits v whose largest value is m, and returns the surviving tokens with their
// weights. The token holding m always survives, so the result is never empty.
func (s *Sampler) filter(v []float32, m float32) []cand {
	t := float64(s.p.Temperature)
	var c []cand
	switch k := s.p.TopK; {
	case k > 0 && k < len(v):
		c = s.topK(v, k, m, t)
		c = topP(c, sumWeights(c), s.p.TopP)
	case s.p.TopP < 1:
		c = s.nucleus(v, m, t)
	default:
		c = s.positive(v, m, t)
	}
	return minP(c, s.p.MinP)
}

// weight is the unnormalised probability exp((x-m)/t) of logit x when the largest logit is m;
// the difference is taken before the division so no finite input overflows. NaN weighs 0; when
// m is +Inf the +Inf logits share the mass equally (the limit of the softmax).
func weight(x, m float32, t float64) float64 {
	switch {
	case x != x:
		return 0
	case math.IsInf(float64(m), 1):
		if x == m {
			return 1
		}
		return 0
	}
	return math.Exp((float64(x) - float64(m)) / t)
}

// positive returns every token of non-zero weight, in id order.
func (s *Sampler) positive(v []float32, m float32, t float64) []cand {
	c := s.cands[:0]
	for i, x := range v {
		if w := weight(x, m, t); w > 0 {
			c = append(c, cand{id: int32(i), v: x, w: w})
		}
	}
	s.cands = c
	return c
}

// better orders candidates best-first: higher logit, then lower id.
func better(a, b cand) int {
	if a.v != b.v {
		return cmp.Compare(b.v, a.v)
	}
	return cmp.Compare(a.id, b.id)
}

// topK returns the k best tokens of v (ties to the lower id, so exactly k unless fewer are
// above -Inf), best-first, with their weights. It keeps a size-k heap whose root is the worst
// kept token, so it costs O(n log k) and computes only k exponentials.
func (s *Sampler) topK(v []float32, k int, m float32, t float64) []cand {
	h := s.cands[:0]
	for i, x := range v {
		if !(x > float32(math.Inf(-1))) { // NaN or -Inf
			continue
		}
		c := cand{id: int32(i), v: x}
		if len(h) < k {
			h = append(h, c)
			siftUp(h, len(h)-1)
		} else if better(c, h[0]) < 0 {
			h[0] = c
			siftDown(h, 0)
		}
	}
	slices.SortFunc(h, better)
	for i := range h {
		h[i].w = weight(h[i].v, m, t)
	}
	s.cands = h
	return h
}

// siftUp and siftDown maintain h as a heap with the worst candidate at the root.
func siftUp(h []cand, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if better(h[p], h[i]) >= 0 { // parent already worse
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func siftDown(h []cand, i int) {
	for {
		w := i
		if l := 2*i + 1; l < len(h) && better(h[l], h[w]) > 0 {
			w = l
		}
		if r := 2*i + 2; r < len(h) && better(h[r], h[w]) > 0 {
			w = r
		}
		if w == i {
			return
		}
		h[i], h[w] = h[w], h[i]
		i = w
	}
}

// topP keeps the best-first prefix c[:i] such that every kept token has less than p*total of
// weight ranked above it (so at least one token); p >= 1 keeps everything.
func topP(c []cand, total float64, p float32) []cand {
	if p >= 1 {
		return c
	}
	limit := float64(p) * total
	cum := 0.0
	for i := range c {
		if cum >= limit {
			return c[:i]
		}
		cum += c[i].w
	}
	return c
}

// minP keeps the tokens whose weight is at least p times the best one's (which is 1) and
// drops zero weights, preserving order.
func minP(c []cand, p float32) []cand {
	floor := float64(p)
	return slices.DeleteFunc(c, func(x cand) bool { return x.w <= 0 || x.w < floor })
}

func sumWeights(c []cand) float64 {
	total := 0.0
	for i := range c {
		total += c[i].w
	}
	return total
}
