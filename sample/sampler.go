package sample

import (
	"errors"
	"math"
	"math/rand/v2"
)

// ErrNoLogits is returned for an empty logits vector.
var ErrNoLogits = errors.New("sample: empty logits vector")

// ErrNoCandidate is returned when every logit is NaN or -Inf, so no token can be chosen.
var ErrNoCandidate = errors.New("sample: no candidate token: every logit is NaN or -Inf")

// Sampler picks the next token of one sequence. It owns its scratch buffers and its random
// stream, so it is not safe for concurrent use; keep one per sequence. Create it with New, or
// restore one with UnmarshalBinary (into a zero Sampler or an existing one).
type Sampler struct {
	p   Params
	src *rand.PCG

	pen   []float32 // logits after the repetition penalty
	w     []float64 // unnormalised probabilities exp((l-max)/T)
	cands []cand    // surviving tokens of the current step
}

// cand is one token that survived filtering: its id, its (penalised) logit and its weight
// exp((v-max)/T), the unnormalised probability.
type cand struct {
	id int32
	v  float32
	w  float64
}

// New returns a sampler for p. Call p.Validate first: New treats each invalid field as its
// neutral value (temperature 1, top_k 0, top_p 1, min_p 0, repetition_penalty 1) rather than
// failing.
func New(p Params) *Sampler {
	s1, s2 := seedWords(p.Seed)
	return &Sampler{p: p.normalized(), src: rand.NewPCG(s1, s2)}
}

// Params returns the (normalised) parameters the sampler runs with.
func (s *Sampler) Params() Params { return s.p }

// Sample returns the next token id for logits, given the ids already in the context (prompt
// and generated tokens; used only by the repetition penalty, ids outside the vocabulary are
// ignored). It never modifies logits. NaN logits are treated as -Inf.
//
// Sample panics on a contract violation of the caller: an empty logits vector, or one where
// every logit is NaN or -Inf. Callers that must survive a corrupt forward pass use TrySample.
func (s *Sampler) Sample(logits []float32, context []int) int {
	id, err := s.TrySample(logits, context)
	if err != nil {
		panic(err)
	}
	return id
}

// TrySample is Sample returning ErrNoLogits or ErrNoCandidate instead of panicking. On error
// no randomness is consumed, so the sampler state is unchanged.
func (s *Sampler) TrySample(logits []float32, context []int) (int, error) {
	if len(logits) == 0 {
		return 0, ErrNoLogits
	}
	v := s.penalize(logits, context)
	best, ok := argmax(v)
	if !ok {
		return 0, ErrNoCandidate
	}
	if s.p.Temperature == 0 {
		return best, nil
	}
	return s.draw(s.filter(v, v[best])), nil
}

// penalize returns logits with the repetition penalty applied to every id of context, in the
// sampler's scratch; without a penalty it returns logits itself. Each penalised value is
// computed from the original logit, so an id repeated in context is penalised once.
func (s *Sampler) penalize(logits []float32, context []int) []float32 {
	rp := s.p.RepetitionPenalty
	if rp == 1 || len(context) == 0 {
		return logits
	}
	s.pen = append(s.pen[:0], logits...)
	for _, id := range context {
		if id < 0 || id >= len(logits) {
			continue
		}
		if l := logits[id]; l > 0 {
			s.pen[id] = l / rp
		} else {
			s.pen[id] = l * rp
		}
	}
	return s.pen
}

// argmax returns the index of the largest logit, the lowest index among equal ones, skipping
// NaN; ok is false when no logit is above -Inf.
func argmax(v []float32) (best int, ok bool) {
	best = -1
	m := float32(math.Inf(-1))
	for i, x := range v {
		if x > m {
			best, m = i, x
		}
	}
	return best, best >= 0
}

// draw picks one candidate with probability proportional to its weight. It consumes exactly
// one 64-bit word of the random stream. The uniform variate is built here rather than by
// rand.Rand so the token sequence does not depend on the Go release.
func (s *Sampler) draw(c []cand) int {
	u := float64(s.src.Uint64()>>11) * 0x1p-53 // [0,1) with 53 random bits
	r := u * sumWeights(c)
	cum := 0.0
	last := int(c[0].id)
	for i := range c {
		if c[i].w <= 0 {
			continue
		}
		cum += c[i].w
		last = int(c[i].id)
		if cum > r {
			return last
		}
	}
	return last // only when rounding puts r at the very top of the range
}

// seedWords expands the 64-bit seed into the two PCG state words with splitmix64, so that
// nearby seeds start far apart in the generator's state space.
func seedWords(seed uint64) (uint64, uint64) {
	return splitmix64(seed), splitmix64(seed ^ 0x6a09e667f3bcc909)
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
