package sample

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestMarshalMidStreamContinues moves a sampler to a fresh one (built with other params)
// halfway through a generation and checks that the tokens continue identically.
func TestMarshalMidStreamContinues(t *testing.T) {
	p := Params{Temperature: 0.9, TopK: 40, TopP: 0.95, MinP: 0.01, RepetitionPenalty: 1.2, Seed: 1234}
	steps := make([][]float32, 120)
	r := rand.New(rand.NewPCG(15, 16))
	for i := range steps {
		steps[i] = randLogits(r, 500, 2, false)
	}
	stay := New(p)
	var ctx []int
	for _, l := range steps[:50] {
		ctx = append(ctx, stay.Sample(l, ctx))
	}
	state, err := stay.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(state) != stateLen {
		t.Fatalf("state is %d bytes, want %d", len(state), stateLen)
	}
	moved := New(Params{Temperature: 0.1, Seed: 99})
	if err := moved.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	if moved.Params() != stay.Params() {
		t.Fatalf("restored params %+v, want %+v", moved.Params(), stay.Params())
	}
	ctxMoved := slices.Clone(ctx)
	for i, l := range steps[50:] {
		a, b := stay.Sample(l, ctx), moved.Sample(l, ctxMoved)
		if a != b {
			t.Fatalf("step %d after migration: original %d, restored %d", 50+i, a, b)
		}
		ctx, ctxMoved = append(ctx, a), append(ctxMoved, b)
	}
	s1, _ := stay.MarshalBinary()
	s2, _ := moved.MarshalBinary()
	if !bytes.Equal(s1, s2) {
		t.Fatalf("states diverged:\n%x\n%x", s1, s2)
	}
}

func TestUnmarshalRejects(t *testing.T) {
	good, err := New(Params{Temperature: 1, TopP: 0.5, Seed: 3}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(b []byte) []byte) []byte { return f(slices.Clone(good)) }
	le := binary.LittleEndian
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"nil", nil, "not a sampler state"},
		{"truncated header", good[:20], "not a sampler state"},
		{"bad magic", edit(func(b []byte) []byte { b[0] = 'X'; return b }), "not a sampler state"},
		{"newer version", edit(func(b []byte) []byte { b[4] = 2; return b }), "field version"},
		{"truncated rng", good[:len(good)-1], "length"},
		{"trailing byte", append(slices.Clone(good), 0), "length"},
		{"negative top_k", edit(func(b []byte) []byte { le.PutUint64(b[9:], math.MaxUint64); return b }), "top_k"},
		{"nan temperature", edit(func(b []byte) []byte { le.PutUint32(b[5:], 0x7fc00000); return b }), "temperature"},
		{"top_p above one", edit(func(b []byte) []byte { le.PutUint32(b[17:], math.Float32bits(2)); return b }), "top_p"},
		{"min_p negative", edit(func(b []byte) []byte { le.PutUint32(b[21:], math.Float32bits(-1)); return b }), "min_p"},
		{"negative penalty", edit(func(b []byte) []byte { le.PutUint32(b[25:], math.Float32bits(-2)); return b }), "repetition_penalty"},
		{"bad rng tag", edit(func(b []byte) []byte { b[stateHeader] = 'x'; return b }), "random stream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Params{Temperature: 0.5, Seed: 77})
			before, _ := s.MarshalBinary()
			err := s.UnmarshalBinary(tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("UnmarshalBinary error = %v, want one mentioning %q", err, tc.want)
			}
			if after, _ := s.MarshalBinary(); !bytes.Equal(before, after) {
				t.Fatal("failed UnmarshalBinary changed the sampler")
			}
		})
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	good, _ := New(Params{Temperature: 0.7, TopK: 5, TopP: 0.9, Seed: 1}).MarshalBinary()
	f.Add(good)
	f.Add(good[:30])
	f.Add([]byte("HSMP\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := New(Params{})
		if err := s.UnmarshalBinary(b); err != nil {
			return
		}
		if err := s.Params().Validate(); err != nil {
			t.Fatalf("accepted state with invalid params: %v", err)
		}
		out, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		again := New(Params{})
		if err := again.UnmarshalBinary(out); err != nil {
			t.Fatalf("re-reading own state: %v", err)
		}
		if out2, _ := again.MarshalBinary(); !bytes.Equal(out, out2) {
			t.Fatalf("state not stable over a round trip:\n%x\n%x", out, out2)
		}
		s.TrySample([]float32{1, 2, 3, float32(math.NaN())}, []int{0, 9})
	})
}

func TestZeroSampler(t *testing.T) {
	var s Sampler
	if _, err := s.MarshalBinary(); err == nil {
		t.Fatal("MarshalBinary of a zero Sampler succeeded")
	}
	state, _ := New(Params{Temperature: 1, Seed: 8}).MarshalBinary()
	if err := s.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	if a, b := s.Sample([]float32{1, 1, 1, 1}, nil), New(Params{Temperature: 1, Seed: 8}).Sample([]float32{1, 1, 1, 1}, nil); a != b {
		t.Fatalf("restored zero Sampler drew %d, original %d", a, b)
	}
}
