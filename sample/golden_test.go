package sample

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestStreamIsStable pins the token sequence of a fixed seed. A sampler state written by one
// build must continue identically on another (a request migrating between machines during a
// rolling upgrade), so the seed expansion, the draw and the filter order are part of the
// format: if this test fails, bump stateVersion in state.go.
func TestStreamIsStable(t *testing.T) {
	src := rand.NewPCG(31, 32) // PCG output is fixed by its spec; rand.Rand's methods are not
	s := New(Params{Temperature: 0.9, TopK: 20, TopP: 0.9, MinP: 0.02, RepetitionPenalty: 1.1, Seed: 2026})
	flat := New(Params{Temperature: 1.5, TopP: 0.8, Seed: 7})
	var got, gotFlat []int
	for range 16 {
		l := make([]float32, 64)
		for i := range l {
			l[i] = float32(src.Uint64()>>40)/(1<<24)*8 - 4 // uniform in [-4, 4)
		}
		got = append(got, s.Sample(l, got))
		gotFlat = append(gotFlat, flat.Sample(l, nil))
	}
	want := []int{24, 30, 58, 39, 33, 62, 26, 19, 8, 61, 10, 42, 54, 36, 25, 51}
	wantFlat := []int{27, 7, 61, 63, 40, 5, 59, 19, 42, 7, 16, 32, 37, 14, 1, 51}
	if !slices.Equal(got, want) || !slices.Equal(gotFlat, wantFlat) {
		t.Fatalf("token stream changed:\ngot  %v %v\nwant %v %v", got, gotFlat, want, wantFlat)
	}
}
