package sample

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// FuzzTrySample feeds arbitrary logit bit patterns (NaN, ±Inf, subnormals) and parameters.
// TrySample must not panic, must return an error exactly when no logit is above -Inf, and
// must otherwise return a token whose logit is not NaN or -Inf; greedy must equal the argmax.
func FuzzTrySample(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 64}, float32(0.7), 2, float32(0.9), float32(0.1), float32(1.2), uint64(1))
	f.Add([]byte{0, 0, 128, 255, 0, 0, 192, 127}, float32(1), 0, float32(0), float32(0), float32(0), uint64(2))
	f.Add([]byte{0, 0, 128, 127, 0, 0, 128, 127, 1, 0, 0, 0}, float32(3), 1, float32(0.5), float32(1), float32(0.5), uint64(3))
	f.Fuzz(func(t *testing.T, raw []byte, temp float32, topK int, topP, minP, pen float32, seed uint64) {
		logits := make([]float32, len(raw)/4)
		for i := range logits {
			logits[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		p := Params{Temperature: temp, TopK: topK, TopP: topP, MinP: minP, RepetitionPenalty: pen, Seed: seed}
		s := New(p)
		ctx := []int{0, len(logits) / 2, len(logits), -1}
		id, err := s.TrySample(logits, ctx)
		want := refArgmax(s.penalize(logits, ctx))
		switch {
		case len(logits) == 0:
			if !errors.Is(err, ErrNoLogits) {
				t.Fatalf("empty logits: error %v", err)
			}
		case want < 0:
			if !errors.Is(err, ErrNoCandidate) {
				t.Fatalf("no candidate in %v: got id %d, error %v", logits, id, err)
			}
		case err != nil:
			t.Fatalf("TrySample(%v) error %v, want a token", logits, err)
		case id < 0 || id >= len(logits):
			t.Fatalf("id %d out of range [0,%d)", id, len(logits))
		case s.Params().Temperature == 0 && id != want:
			t.Fatalf("greedy picked %d, argmax is %d", id, want)
		default:
			if x := s.penalize(logits, ctx)[id]; x != x || math.IsInf(float64(x), -1) {
				t.Fatalf("picked token %d with logit %v", id, x)
			}
		}
	})
}
