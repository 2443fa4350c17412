package sample

import (
	"errors"
	"fmt"
	"math"
)

// Params are the sampling settings of one request. The zero value is greedy decoding with
// every filter off.
type Params struct {
	// Temperature divides the logits before the softmax. 0 selects greedy decoding: the
	// highest logit wins, ties going to the lowest token id, and no randomness is drawn.
	Temperature float32
	// TopK keeps only the K most likely tokens (ties broken towards the lowest id, so exactly
	// K survive). 0 turns it off.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability reaches TopP
	// (nucleus sampling). 0 or 1 turns it off.
	TopP float32
	// MinP drops tokens whose probability is below MinP times the probability of the most
	// likely token. 0 turns it off.
	MinP float32
	// RepetitionPenalty follows Hugging Face: for every token id present in the context
	// (prompt and generated tokens), a positive logit is divided by it and any other logit is
	// multiplied by it, once per id however often it occurs. 0 or 1 turns it off.
	RepetitionPenalty float32
	// Seed selects the random stream. Equal Params, seeds and logits give equal tokens.
	Seed uint64
}

// Validate reports every field outside its range, each error naming the field by its API
// (snake_case) name.
func (p Params) Validate() error {
	var errs []error
	if !finite(p.Temperature) || p.Temperature < 0 {
		errs = append(errs, fmt.Errorf("sample: temperature must be a finite number >= 0 (0 = greedy), got %v", p.Temperature))
	}
	if p.TopK < 0 {
		errs = append(errs, fmt.Errorf("sample: top_k must be >= 0 (0 = off), got %d", p.TopK))
	}
	if !(p.TopP == 0 || (p.TopP > 0 && p.TopP <= 1)) {
		errs = append(errs, fmt.Errorf("sample: top_p must be in (0,1] (0 = off), got %v", p.TopP))
	}
	if !(p.MinP >= 0 && p.MinP <= 1) {
		errs = append(errs, fmt.Errorf("sample: min_p must be in [0,1] (0 = off), got %v", p.MinP))
	}
	if !finite(p.RepetitionPenalty) || p.RepetitionPenalty < 0 {
		errs = append(errs, fmt.Errorf("sample: repetition_penalty must be a finite number > 0 (0 or 1 = off), got %v", p.RepetitionPenalty))
	}
	return errors.Join(errs...)
}

// normalized returns p with every invalid field replaced by its neutral value (temperature 1,
// top_k 0, top_p 1, min_p 0, repetition_penalty 1) and every "off" spelling made canonical,
// so the sampling code tests one value per setting.
func (p Params) normalized() Params {
	if !finite(p.Temperature) || p.Temperature < 0 {
		p.Temperature = 1
	}
	if p.TopK < 0 {
		p.TopK = 0
	}
	if !(p.TopP > 0 && p.TopP < 1) {
		p.TopP = 1
	}
	if !(p.MinP > 0 && p.MinP <= 1) {
		p.MinP = 0
	}
	if !finite(p.RepetitionPenalty) || p.RepetitionPenalty <= 0 {
		p.RepetitionPenalty = 1
	}
	return p
}

func finite(x float32) bool {
	return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
}
