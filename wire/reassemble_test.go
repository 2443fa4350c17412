package wire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// fakeClock is the injected clock of the reassembler tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

type dropLog struct{ errs []*DropError }

func (l *dropLog) add(err error) {
	var d *DropError
	if !errors.As(err, &d) || !errors.Is(err, ErrDropped) {
		panic("OnDrop got " + err.Error())
	}
	l.errs = append(l.errs, d)
}

func newTestReassembler(t *testing.T, cfg ReassemblerConfig) (*Reassembler, *fakeClock, *dropLog) {
	t.Helper()
	clk := &fakeClock{t: time.Unix(1000, 0)}
	log := &dropLog{}
	cfg.Now, cfg.OnDrop = clk.now, log.add
	r, err := NewReassembler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r, clk, log
}

func TestReassembleShuffledAndInterleaved(t *testing.T) {
	r, _, drops := newTestReassembler(t, ReassemblerConfig{})
	c1, _ := NewChunker(ChunkHeaderSize + 100)
	c2, _ := NewChunker(ChunkHeaderSize + 64)
	frames := [][]byte{randomBytes(1, 1000), randomBytes(2, 777), randomBytes(3, 100), randomBytes(4, 5)}
	type tagged struct {
		chunk []byte
		frame int
	}
	var all []tagged
	for i, f := range frames {
		c := c1
		if i%2 == 1 {
			c = c2
		}
		for _, ch := range chunksOf(t, c, f) {
			all = append(all, tagged{ch, i})
		}
	}
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	done := map[int]bool{}
	for _, x := range all {
		got, err := r.Add(x.chunk)
		if err != nil {
			t.Fatal(err)
		}
		if got != nil {
			if done[x.frame] || !bytes.Equal(got, frames[x.frame]) {
				t.Fatalf("frame %d came out wrong or twice", x.frame)
			}
			done[x.frame] = true
		}
	}
	if len(done) != len(frames) || len(drops.errs) != 0 {
		t.Fatalf("%d of %d frames rebuilt, %d dropped", len(done), len(frames), len(drops.errs))
	}
	if n, b := r.Pending(); n != 0 || b != 0 {
		t.Fatalf("Pending after all frames: %d frames, %d bytes", n, b)
	}
}

func TestReassembleRejectsBadChunksAndKeepsFrame(t *testing.T) {
	r, _, _ := newTestReassembler(t, ReassemblerConfig{})
	c, _ := NewChunker(ChunkHeaderSize + 10)
	frame := randomBytes(5, 35)
	chunks := chunksOf(t, c, frame)
	mustPending(t, r, chunks[0])
	if _, err := r.Add(chunks[0]); err == nil || !strings.Contains(err.Error(), "duplicate chunk 0") {
		t.Fatalf("duplicate chunk: %v", err)
	}
	garbled := append([]byte(nil), chunks[1]...)
	garbled[50] ^= 4
	if _, err := r.Add(garbled); !errors.Is(err, ErrChecksum) {
		t.Fatalf("garbled chunk: %v", err)
	}
	liar := append([]byte(nil), chunks[1]...)
	put32(liar, 36, 9) // stride 9 with total 35 needs count 4: consistent on its own...
	put32(liar, 28, 4)
	liar = resealChunk(liar[:ChunkHeaderSize+9])
	if _, err := r.Add(liar); err == nil || !strings.Contains(err.Error(), "earlier chunks said") {
		t.Fatalf("chunk disagreeing with its frame: %v", err) // ...but not with chunk 0
	}
	if _, err := r.Add([]byte("not a chunk at all, just noise....................")); !errors.Is(err, ErrMagic) {
		t.Fatalf("noise: %v", err)
	}
	mustPending(t, r, chunks[2])
	mustPending(t, r, chunks[3])
	got, err := r.Add(chunks[1])
	if err != nil || !bytes.Equal(got, frame) {
		t.Fatalf("frame after rejected chunks: %v", err)
	}
}

func mustPending(t *testing.T, r *Reassembler, chunk []byte) {
	t.Helper()
	if got, err := r.Add(chunk); err != nil || got != nil {
		t.Fatalf("Add: frame %v, error %v; want neither", got != nil, err)
	}
}

func TestReassembleFrameTooLarge(t *testing.T) {
	r, _, _ := newTestReassembler(t, ReassemblerConfig{MaxFrameBytes: 100})
	c, _ := NewChunker(1000)
	if _, err := r.Add(chunksOf(t, c, make([]byte, 100))[0]); err != nil {
		t.Fatalf("frame at the limit: %v", err)
	}
	if _, err := r.Add(chunksOf(t, c, make([]byte, 101))[0]); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "exceeds the 100-byte limit") {
		t.Fatalf("frame over the limit: %v", err)
	}
}

func TestReassembleEvictsLeastRecentlyActive(t *testing.T) {
	r, _, drops := newTestReassembler(t, ReassemblerConfig{MaxIncomplete: 2})
	c, _ := NewChunker(ChunkHeaderSize + 8)
	fa, fb, fd := randomBytes(1, 24), randomBytes(2, 24), randomBytes(3, 24)
	a, b, d := chunksOf(t, c, fa), chunksOf(t, c, fb), chunksOf(t, c, fd)
	mustPending(t, r, a[0])
	mustPending(t, r, b[0])
	mustPending(t, r, a[1]) // a is now more recently active than b
	mustPending(t, r, d[0]) // a third frame: b goes
	if len(drops.errs) != 1 {
		t.Fatalf("%d drops, want 1", len(drops.errs))
	}
	want := DropError{Sender: c.Sender(), FrameID: 2, Have: 1, Count: 3, Reason: "too many incomplete frames"}
	if *drops.errs[0] != want {
		t.Fatalf("dropped %+v, want %+v", *drops.errs[0], want)
	}
	if got, err := r.Add(a[2]); err != nil || !bytes.Equal(got, fa) {
		t.Fatalf("frame a: %v", err)
	}
	mustPending(t, r, d[1])
	if got, err := r.Add(d[2]); err != nil || !bytes.Equal(got, fd) {
		t.Fatalf("frame d: %v", err)
	}
}

func TestReassembleEvictsByBytes(t *testing.T) {
	r, _, drops := newTestReassembler(t, ReassemblerConfig{MaxFrameBytes: 100, MaxBufferedBytes: 150})
	c, _ := NewChunker(ChunkHeaderSize + 50)
	x, y := chunksOf(t, c, randomBytes(1, 100)), chunksOf(t, c, randomBytes(2, 60))
	mustPending(t, r, x[0])
	if n, b := r.Pending(); n != 1 || b != 100 {
		t.Fatalf("Pending = %d frames, %d bytes; want 1, 100", n, b)
	}
	mustPending(t, r, y[0])
	if len(drops.errs) != 1 || drops.errs[0].Reason != "buffer full" || drops.errs[0].Count != 2 {
		t.Fatalf("drops %v, want frame x for a full buffer", drops.errs)
	}
	if n, b := r.Pending(); n != 1 || b != 60 {
		t.Fatalf("Pending = %d frames, %d bytes; want 1, 60", n, b)
	}
}

func TestReassembleDropsStaleFrames(t *testing.T) {
	r, clk, drops := newTestReassembler(t, ReassemblerConfig{MaxAge: 10 * time.Second})
	c, _ := NewChunker(ChunkHeaderSize + 8)
	fa := randomBytes(1, 24)
	a, b := chunksOf(t, c, fa), chunksOf(t, c, randomBytes(2, 24))
	mustPending(t, r, b[0])
	for i, ch := range a { // chunks 6 s apart: slow, but never idle for 10 s
		got, err := r.Add(ch)
		if err != nil || (i < 2) != (got == nil) {
			t.Fatalf("chunk %d: frame %v, error %v", i, got != nil, err)
		}
		clk.advance(6 * time.Second)
	}
	if len(drops.errs) != 1 || drops.errs[0].FrameID != 2 || drops.errs[0].Reason != "stale" {
		t.Fatalf("drops %+v, want frame b as stale", drops.errs)
	}
	if n, _ := r.Pending(); n != 0 {
		t.Fatalf("%d frames pending", n)
	}
}

func TestReassemblerConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  ReassemblerConfig
		want string
	}{
		{ReassemblerConfig{MaxFrameBytes: -1}, "MaxFrameBytes -1"},
		{ReassemblerConfig{MaxFrameBytes: 1 << 33}, "MaxFrameBytes 8589934592"},
		{ReassemblerConfig{MaxBufferedBytes: -1}, "MaxBufferedBytes -1"},
		{ReassemblerConfig{MaxIncomplete: -1}, "MaxIncomplete -1"},
		{ReassemblerConfig{MaxAge: -time.Second}, "MaxAge -1s"},
		{ReassemblerConfig{MaxFrameBytes: 100, MaxBufferedBytes: 99}, "below MaxFrameBytes"},
	} {
		if _, err := NewReassembler(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewReassembler(%+v): %v, want %q", tc.cfg, err, tc.want)
		}
	}
	r, err := NewReassembler(ReassemblerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if r.cfg.MaxFrameBytes != DefaultMaxFrameBytes || r.cfg.MaxBufferedBytes != 4*DefaultMaxFrameBytes ||
		r.cfg.MaxIncomplete != DefaultMaxIncomplete || r.cfg.MaxAge != DefaultMaxAge {
		t.Fatalf("defaults: %+v", r.cfg)
	}
}
