package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hymbaserve/hymbaserve/kvshare"
)

// TestPagedCacheMatchesRing drives the paged cache and the old contiguous ring with the same
// rows through chunked prefill and a long decode past the window, global and sliding-window,
// at several page sizes, and checks after every step that every query range selects the same
// rows bit for bit, that a window layer holds only the pages its rows straddle, that need
// predicts the pool's count, and that a clone keeps its rows while the original appends.
func TestPagedCacheMatchesRing(t *testing.T) {
	const kw, vw, M, W = 3, 5, 5, 16
	for _, rows := range []int{1, 4, 16} {
		for _, global := range []bool{false, true} {
			t.Run(fmt.Sprintf("rows=%d/global=%v", rows, global), func(t *testing.T) {
				pg := &pager{pool: kvshare.NewPool(rows, kw, vw, 0), rows: rows}
				checkAgainstRing(t, pg, &Layer{Global: global, OwnsKV: true}, M, W)
			})
		}
	}
}

func checkAgainstRing(t *testing.T, pg *pager, l *Layer, M, W int) {
	kw, vw := 3, 5
	rng := rand.New(rand.NewPCG(1, 2))
	row := func() ([]float32, []float32) {
		k, v := make([]float32, kw), make([]float32, vw)
		for i := range k {
			k[i] = rng.Float32()
		}
		for i := range v {
			v[i] = rng.Float32()
		}
		return k, v
	}
	c, ring := newKVCache(pg, kw, vw), &ringCache{kw: kw, vw: vw, meta: M}
	for j := range M {
		k, v := row()
		c.putMeta(j, k, v)
		ring.putMeta(j, k, v)
	}
	var clone *kvCache
	var cloneK []float32
	pos := 0
	chunks := []int{7, 20, 3, 1}
	for s := range 60 {
		n, decode := 1, s >= len(chunks)
		if !decode {
			n = chunks[s]
		}
		g := SegRows{Text: n, Pos: pos, Decode: decode}
		keep := c.keepFrom(l, g, W)
		if want := ring.keepFrom(l.Global, g, W); keep != want {
			t.Fatalf("step %d: keep from %d, the ring keeps from %d", s, keep, want)
		}
		used, need := pg.pool.Stats().PagesUsed, c.need(keep, n)
		c.dropBefore(keep)
		ring.dropBefore(keep)
		for range n {
			k, v := row()
			c.append(k, v)
			ring.append(k, v)
		}
		pos += n
		if got := max(pg.pool.Stats().PagesUsed-used, 0); got != need {
			t.Fatalf("step %d: the pool handed out %d pages net, need said %d", s, got, need)
		}
		compareRing(t, s, c, ring, M, pos)
		if s == 10 {
			clone = c.clone()
			cloneK, _ = clone.textRows()
		}
	}
	if k, _ := clone.textRows(); !slices.Equal(k, cloneK) {
		t.Fatal("a clone's rows changed while the original appended")
	}
	c.release()
	clone.release()
	if st := pg.pool.Stats(); st.PagesUsed != 0 {
		t.Fatalf("%d pages in use after both caches were released", st.PagesUsed)
	}
}

// compareRing checks c against ring: held positions, the rows of every query range, and that
// c holds exactly the pages its rows straddle.
func compareRing(t *testing.T, s int, c *kvCache, ring *ringCache, M, pos int) {
	t.Helper()
	if c.start != ring.start || c.n != ring.n {
		t.Fatalf("step %d: holds [%d,+%d), the ring [%d,+%d)", s, c.start, c.n, ring.start, ring.n)
	}
	for lo := pos - 40; lo < pos; lo += 3 {
		for _, meta := range []int{0, 2, M} {
			gk, gv := spanRows(c.spans(nil, meta, lo, pos), nil, nil, c.kw, c.vw)
			wk, wv := spanRows(ring.spans(nil, meta, lo, pos), ring.k, ring.v, c.kw, c.vw)
			if !sameBits(gk, wk) || !sameBits(gv, wv) || len(gk) != len(wk) || len(gv) != len(wv) {
				t.Fatalf("step %d: rows of meta %d + [%d,%d) differ from the ring's", s, meta, lo, pos)
			}
		}
	}
	r := c.pg.rows
	if want := (c.start+c.n-1)/r - c.start/r + 1; len(c.pages) != want || c.first != c.start/r {
		t.Fatalf("step %d: %d pages from %d for positions [%d,+%d), want %d from %d", s, len(c.pages), c.first, c.start, c.n, want, c.start/r)
	}
}
