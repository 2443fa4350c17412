// Package sample turns the logits of one decode step into the next token, and decides when
// generation stops and which decoded text may be streamed.
//
// # Sampling
//
// A Sampler applies, in Hugging Face order: repetition penalty → temperature → top-k → top-p →
// min-p → a draw from the softmax of the survivors. Probabilities are exp((l-max)/T) in
// float64 and accumulated in float64; the logits passed in are never modified.
//
//	s := sample.New(sample.Params{Temperature: 0.7, TopP: 0.9, Seed: 42})
//	next := s.Sample(logits, tokens) // tokens: prompt + generated so far
//
// Decisions where the HF/OpenAI behaviour is silent or differs:
//   - Temperature 0 is greedy: the highest logit, ties to the lowest id, no random draw; the
//     repetition penalty still applies (as in HF generate).
//   - Top-k keeps exactly k tokens, ties at the k-th logit going to the lower ids (HF keeps
//     every tie), so top_k=1 is exactly greedy.
//   - Top-p keeps, best-first (ties to the lower id), every token with less than top_p of the
//     probability ranked above it — the smallest set reaching top_p — so a tiny top_p is greedy.
//   - Min-p (vLLM/HF min_p) is applied last and compares with the best token's probability.
//   - NaN logits are treated as -Inf. +Inf logits share all the mass. If every logit is NaN
//     or -Inf, TrySample returns ErrNoCandidate (Sample panics: a corrupt forward pass).
//   - Context ids outside the vocabulary are ignored by the repetition penalty.
//   - Invalid Params given to New are treated as their neutral values; call Validate first.
//
// Cost on a 32001-token vocabulary: greedy is one pass; top-k keeps a size-k heap and computes
// k exponentials; top-p without top-k computes every weight, shortlists by weight floors and
// finds the nucleus by quickselect-style partitioning, so even a flat distribution whose
// nucleus is most of the vocabulary is never fully sorted.
//
// # Determinism and migration
//
// One sampled (non-greedy) token consumes exactly one 64-bit word of a PCG-DXSM stream
// seeded from Params.Seed via splitmix64, and the uniform variate is built from it here, not
// by math/rand, so the tokens do not depend on the Go release. MarshalBinary captures the
// parameters and the stream position (57 bytes; layout in state.go), so a request can move
// to another machine mid-generation and continue with the same tokens. Across CPU
// architectures math.Exp may differ in the last bit, which changes a token only when the
// draw falls within about 1e-16 of a boundary.
//
// # Stopping
//
// A Stopper ends generation on an EOS id ("stop"), a stop string ("stop") or the token limit
// ("length") — the OpenAI finish_reason words. Stop strings are matched on the text stream by
// one KMP automaton each, independently of token boundaries: generation ends where the first
// stop string ends. Text that could begin a stop string is held back, so a stop string is
// never streamed, and the text before it is. The stop string itself is not emitted (OpenAI
// behaviour; Matched reports which one fired, like vLLM's stop_reason). maxTokens counts
// every generated token, EOS included; 0 means no limit.
package sample
