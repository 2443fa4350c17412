package sample

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// State encoding, version 1 (all integers little-endian, floats as IEEE-754 bits):
//
//	offset  bytes  field
//	0       4      magic "HSMP"
//	4       1      version (1)
//	5       4      temperature (float32)
//	9       8      top_k (int64)
//	17      4      top_p (float32)
//	21      4      min_p (float32)
//	25      4      repetition_penalty (float32)
//	29      8      seed (uint64)
//	37      20     random stream position: rand.PCG.MarshalBinary ("pcg:" + 16 bytes of state)
const (
	stateMagic   = "HSMP"
	stateVersion = 1
	stateHeader  = 37
	pcgStateLen  = 20
	stateLen     = stateHeader + pcgStateLen
)

// MarshalBinary encodes the sampler's complete state: its parameters and the position of its
// random stream. A sampler restored from it, on any machine, continues with the same tokens
// for the same logits. Scratch buffers are not part of the state.
func (s *Sampler) MarshalBinary() ([]byte, error) {
	if s.src == nil {
		return nil, errors.New("sample: marshal: zero Sampler (create it with New or UnmarshalBinary)")
	}
	rng, err := s.src.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("sample: marshal random stream: %w", err)
	}
	b := make([]byte, stateHeader, stateHeader+len(rng))
	copy(b, stateMagic)
	b[4] = stateVersion
	le := binary.LittleEndian
	le.PutUint32(b[5:], math.Float32bits(s.p.Temperature))
	le.PutUint64(b[9:], uint64(int64(s.p.TopK)))
	le.PutUint32(b[17:], math.Float32bits(s.p.TopP))
	le.PutUint32(b[21:], math.Float32bits(s.p.MinP))
	le.PutUint32(b[25:], math.Float32bits(s.p.RepetitionPenalty))
	le.PutUint64(b[29:], s.p.Seed)
	return append(b, rng...), nil
}

// UnmarshalBinary restores a state written by MarshalBinary, replacing the sampler's
// parameters and random stream. It rejects truncated, foreign, newer or out-of-range states
// with an error naming the field, and leaves the sampler unchanged on error.
func (s *Sampler) UnmarshalBinary(b []byte) error {
	if len(b) < stateHeader || string(b[:4]) != stateMagic {
		return fmt.Errorf("sample: state: not a sampler state (want %d bytes starting with %q)", stateLen, stateMagic)
	}
	if b[4] != stateVersion {
		return fmt.Errorf("sample: state: field version: unsupported version %d (this build reads %d)", b[4], stateVersion)
	}
	if len(b) != stateLen {
		return fmt.Errorf("sample: state: length %d, want %d", len(b), stateLen)
	}
	le := binary.LittleEndian
	topK := int64(le.Uint64(b[9:]))
	if topK < 0 || uint64(topK) > math.MaxInt {
		return fmt.Errorf("sample: state: field top_k: %d out of range [0, %d]", topK, math.MaxInt)
	}
	p := Params{
		Temperature:       math.Float32frombits(le.Uint32(b[5:])),
		TopK:              int(topK),
		TopP:              math.Float32frombits(le.Uint32(b[17:])),
		MinP:              math.Float32frombits(le.Uint32(b[21:])),
		RepetitionPenalty: math.Float32frombits(le.Uint32(b[25:])),
		Seed:              le.Uint64(b[29:]),
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("sample: state: %w", err)
	}
	src := new(rand.PCG)
	if err := src.UnmarshalBinary(b[stateHeader:]); err != nil {
		return fmt.Errorf("sample: state: field random stream: %w", err)
	}
	s.p, s.src = p.normalized(), src
	return nil
}
