package sample

import (
	"math"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		name  string
		p     Params
		wants []string // substrings of the error; none means valid
	}{
		{"zero value is greedy", Params{}, nil},
		{"typical", Params{Temperature: 0.7, TopK: 40, TopP: 0.9, MinP: 0.05, RepetitionPenalty: 1.1, Seed: 7}, nil},
		{"top_p one", Params{Temperature: 1, TopP: 1}, nil},
		{"min_p one", Params{Temperature: 1, MinP: 1}, nil},
		{"negative temperature", Params{Temperature: -0.1}, []string{"temperature"}},
		{"nan temperature", Params{Temperature: nan}, []string{"temperature"}},
		{"inf temperature", Params{Temperature: inf}, []string{"temperature"}},
		{"negative top_k", Params{TopK: -1}, []string{"top_k must be >= 0"}},
		{"top_p above one", Params{TopP: 1.5}, []string{"top_p must be in (0,1]"}},
		{"negative top_p", Params{TopP: -0.5}, []string{"top_p must be in (0,1]"}},
		{"nan top_p", Params{TopP: nan}, []string{"top_p"}},
		{"min_p above one", Params{MinP: 1.01}, []string{"min_p must be in [0,1]"}},
		{"nan min_p", Params{MinP: nan}, []string{"min_p"}},
		{"negative penalty", Params{RepetitionPenalty: -1}, []string{"repetition_penalty"}},
		{"inf penalty", Params{RepetitionPenalty: inf}, []string{"repetition_penalty"}},
		{"all reported", Params{Temperature: -1, TopK: -2, TopP: 2, MinP: -1, RepetitionPenalty: nan},
			[]string{"temperature", "top_k", "top_p", "min_p", "repetition_penalty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if len(tc.wants) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want error mentioning %q", tc.wants)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestNewNormalizesInvalidParams(t *testing.T) {
	got := New(Params{Temperature: -1, TopK: -3, TopP: 7, MinP: -2, RepetitionPenalty: float32(math.NaN()), Seed: 5}).Params()
	want := Params{Temperature: 1, TopK: 0, TopP: 1, MinP: 0, RepetitionPenalty: 1, Seed: 5}
	if got != want {
		t.Fatalf("Params() = %+v, want %+v", got, want)
	}
	if err := got.Validate(); err != nil {
		t.Fatalf("normalised params invalid: %v", err)
	}
}
