package model

import (
	"fmt"
	"math"

	"github.com/hymbaserve/hymbaserve/checkpoint"
	"github.com/hymbaserve/hymbaserve/kernels"
)

// Tensors is an in-memory TensorSource.
type Tensors map[string]checkpoint.Tensor

// Tensor returns the named tensor.
func (ts Tensors) Tensor(name string) (checkpoint.Tensor, error) {
	t, ok := ts[name]
	if !ok {
		return t, fmt.Errorf("tensor %q not found", name)
	}
	return t, nil
}

// RandomTensors returns every tensor of a Hymba checkpoint for cfg with seeded random values,
// drawn like the golden tiny-hymba model's (README of testdata/golden/tiny-hymba): outputs stay
// in a sane range at any size, so a random model generates varied text and exercises every path.
// Matrices are BF16 when bf16 is set, F32 otherwise; vectors are always F32.
func RandomTensors(cfg *Config, seed uint64, bf16 bool) Tensors {
	d := newDims(cfg)
	g := &rng{s: seed*0x9e3779b97f4a7c15 + 1}
	ts := Tensors{}
	mat := func(name string, rows, cols int, sd float64) { // uniform with standard deviation sd
		a := sd * math.Sqrt(3)
		ts[name] = g.tensor(name, []int{rows, cols}, bf16, func() float64 { return g.uniform(-a, a) })
	}
	vec := func(name string, shape []int, f func() float64) { ts[name] = g.tensor(name, shape, false, f) }
	norm := func(name string, n int, mean, sd float64) {
		vec(name, []int{n}, func() float64 { return mean + sd*g.normal() })
	}
	mat("model.embed_tokens.weight", d.V, d.H, 0.1)
	vec("model.memory_tokens", []int{d.M, d.H}, func() float64 { return 0.5 * g.normal() })
	norm("model.final_layernorm.weight", d.H, 3, 0.3)
	for l := range cfg.NumHiddenLayers {
		p := fmt.Sprintf("model.layers.%d.", l)
		mb := p + "mamba."
		rows := d.H + 2*d.D
		if cfg.OwnsKV(l) {
			rows += d.kw + d.vw
		}
		norm(p+"input_layernorm.weight", d.H, 1, 0.1)
		norm(p+"pre_moe_layernorm.weight", d.H, 1, 0.1)
		mat(mb+"in_proj.weight", rows, d.H, 1/math.Sqrt(float64(d.H)))
		vec(mb+"conv1d.weight", []int{d.D, 1, d.K}, func() float64 { return g.uniform(-0.5, 0.5) })
		vec(mb+"conv1d.bias", []int{d.D}, func() float64 { return g.uniform(-0.1, 0.1) })
		mat(mb+"x_proj.0.weight", d.R+2*d.N, d.D, 1/math.Sqrt(float64(d.D)))
		r := 1 / math.Sqrt(float64(d.R))
		mat(mb+"dt_proj.0.weight", d.D, d.R, r/math.Sqrt(3)) // U(±r)
		vec(mb+"dt_proj.0.bias", []int{d.D}, func() float64 {
			dt := math.Exp(g.uniform(math.Log(1e-3), math.Log(0.1)))
			return dt + math.Log(-math.Expm1(-dt)) // inverse softplus
		})
		n := 0
		vec(mb+"A_log.0", []int{d.D, d.N}, func() float64 { n++; return math.Log(float64((n-1)%d.N+1)) + 0.05*g.normal() })
		vec(mb+"D.0", []int{d.D}, func() float64 { return 1 + 0.1*g.normal() })
		norm(mb+"dt_layernorm.weight", d.R, 1, 0.1)
		norm(mb+"B_layernorm.weight", d.N, 1, 0.1)
		norm(mb+"C_layernorm.weight", d.N, 1, 0.1)
		norm(mb+"pre_avg_layernorm1.weight", d.D, 1, 0.1)
		norm(mb+"pre_avg_layernorm2.weight", d.D, 1, 0.1)
		mat(mb+"out_proj.weight", d.H, d.D, 0.5/math.Sqrt(float64(d.D)))
		e := p + "moe.experts.0."
		mat(e+"gate_proj.weight", d.I, d.H, 1/math.Sqrt(float64(d.H)))
		mat(e+"up_proj.weight", d.I, d.H, 1/math.Sqrt(float64(d.H)))
		mat(e+"down_proj.weight", d.H, d.I, 0.5/math.Sqrt(float64(d.I)))
	}
	return ts
}

// rng is a small deterministic generator (splitmix64), fast enough to fill 1.5 B weights.
type rng struct{ s uint64 }

func (g *rng) next() uint64 {
	g.s += 0x9e3779b97f4a7c15
	z := g.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (g *rng) uniform(lo, hi float64) float64 {
	return lo + (hi-lo)*float64(g.next()>>11)/(1<<53)
}

// normal is an approximately standard normal draw (sum of 4 uniforms, rescaled): cheap, bounded
// tails, good enough for random weights.
func (g *rng) normal() float64 {
	var s float64
	for range 4 {
		s += float64(g.next()>>11) / (1 << 53)
	}
	return (s - 2) * math.Sqrt(3)
}

func (g *rng) tensor(name string, shape []int, bf16 bool, f func() float64) checkpoint.Tensor {
	n := 1
	for _, s := range shape {
		n *= s
	}
	if bf16 {
		v := make([]uint16, n)
		for i := range v {
			v[i] = kernels.F32ToBF16(float32(f()))
		}
		return checkpoint.FromBFloat16(name, shape, v)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(f())
	}
	return checkpoint.FromFloat32(name, shape, v)
}
