package model

import (
	"math/rand/v2"
	"testing"
)

// TestRealWindowBytes runs layer 1 of the real Hymba-1.5B configuration (a sliding-window KV
// owner, W = 1024; weights random, only that layer built) past the window: a 1040-token prompt
// in chunks of 256, then decode steps. After the first decode step the sequence's bytes stop
// growing, match the pool's count and never pass MaxSeqBytes, which is the same at 1100 and at
// 8192 tokens. It logs the 8K figure of the whole model.
func TestRealWindowBytes(t *testing.T) {
	cfg := Hymba15B()
	small := *cfg
	small.NumHiddenLayers = 2 // RandomTensors builds layers 0 and 1 only
	m, err := New(cfg, RandomTensors(&small, 3, true), LoadOptions{First: 1, Last: 2})
	if err != nil {
		t.Fatal(err)
	}
	d := m.dims
	rng := rand.New(rand.NewPCG(5, 6))
	rows := func(n int) []float32 {
		x := make([]float32, n*d.H)
		for i := range x {
			x[i] = rng.Float32()*2 - 1
		}
		return x
	}
	s := m.NewSeq(1)
	meta := rows(d.M)
	for pos := 0; pos < 1040; pos += 256 {
		n := min(256, 1040-pos)
		x := rows(n)
		if pos == 0 {
			x = append(meta, x...)
		}
		if _, _, err := m.Forward([]Segment{{Seq: s, Text: n, LastPrompt: pos+n == 1040}}, nil, x); err != nil {
			t.Fatal(err)
		}
	}
	state := int64(d.D*d.K+d.D*d.N) * 4
	limit := MaxSeqBytes(cfg, 1, 2, 1100)
	if MaxSeqBytes(cfg, 1, 2, 8192) != limit {
		t.Fatalf("MaxSeqBytes of a window layer grows: %d at 1100, %d at 8192", limit, MaxSeqBytes(cfg, 1, 2, 8192))
	}
	for k := range 24 {
		if _, _, err := m.Forward([]Segment{{Seq: s, Text: 1}}, nil, rows(1)); err != nil {
			t.Fatal(err)
		}
		st := m.Pool().Stats()
		b := s.Bytes()
		if pool := int64(st.PagesUsed-m.owners()*ceilDiv(d.M, st.PageRows))*st.PageBytes + state; b != pool || b > limit {
			t.Fatalf("decode step %d: %d bytes, the pool counts %d, MaxSeqBytes %d", k, b, pool, limit)
		}
		if c := s.kv[1]; len(c.pages) > ceilDiv(d.W, st.PageRows)+1 {
			t.Fatalf("decode step %d: the window layer holds %d pages", k, len(c.pages))
		}
	}
	full := MaxSeqBytes(cfg, 0, cfg.NumHiddenLayers, 8192)
	t.Logf("Hymba-1.5B, one sequence at 8192 tokens: %d bytes (%.1f MB) K/V float32 + conv/SSM state; page %d bytes",
		full, float64(full)/1e6, m.Pool().Stats().PageBytes)
}
