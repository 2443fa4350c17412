package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func chunksOf(t testing.TB, c *Chunker, frame []byte) [][]byte {
	t.Helper()
	cs, err := c.Split(frame)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, cs.Len())
	for i := range out {
		out[i] = cs.Append(nil, i)
	}
	return out
}

func TestChunkSizes(t *testing.T) {
	const maxSize = 100
	c, err := NewChunker(maxSize)
	if err != nil {
		t.Fatal(err)
	}
	stride := maxSize - ChunkHeaderSize
	for _, n := range []int{0, 1, stride - 1, stride, stride + 1, 3 * stride, 3*stride + 5} {
		chunks := chunksOf(t, c, randomBytes(uint64(n), n))
		want := max(1, (n+stride-1)/stride)
		if len(chunks) != want {
			t.Fatalf("frame of %d bytes: %d chunks, want %d", n, len(chunks), want)
		}
		var total int
		for i, ch := range chunks {
			if len(ch) > maxSize {
				t.Fatalf("frame of %d bytes: chunk %d has %d bytes, max %d", n, i, len(ch), maxSize)
			}
			h, data, err := ParseChunk(ch)
			if err != nil {
				t.Fatalf("frame of %d bytes: chunk %d: %v", n, i, err)
			}
			if int(h.Index) != i || int(h.Count) != want || int(h.Total) != n {
				t.Fatalf("chunk %d header %+v", i, h)
			}
			total += len(data)
		}
		if total != n {
			t.Fatalf("frame of %d bytes: chunks carry %d", n, total)
		}
	}
}

func TestChunkerIDs(t *testing.T) {
	a, _ := NewChunker(1 << 10)
	b, _ := NewChunker(1 << 10)
	if a.Sender() == b.Sender() {
		t.Fatal("two chunkers share a sender id")
	}
	x, _ := a.Split([]byte("x"))
	y, _ := a.Split([]byte("y"))
	if x.FrameID() == y.FrameID() {
		t.Fatal("two frames share a frame id")
	}
}

func TestChunkerLimits(t *testing.T) {
	if _, err := NewChunker(ChunkHeaderSize); err == nil {
		t.Fatal("NewChunker accepted a size with no room for data")
	}
	c, _ := NewChunker(ChunkHeaderSize + 1)
	if _, err := c.Split(make([]byte, MaxChunks)); err != nil {
		t.Fatalf("frame of exactly MaxChunks chunks: %v", err)
	}
	if _, err := c.Split(make([]byte, MaxChunks+1)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("frame of MaxChunks+1 chunks: %v", err)
	}
}

func TestParseChunkDetectsEveryBitFlip(t *testing.T) {
	c, _ := NewChunker(64)
	for _, ch := range chunksOf(t, c, randomBytes(1, 50)) {
		for i := range len(ch) * 8 {
			x := append([]byte(nil), ch...)
			x[i/8] ^= 1 << (i % 8)
			if _, _, err := ParseChunk(x); err == nil {
				t.Fatalf("chunk with bit %d flipped parsed without error", i)
			}
		}
		for n := range len(ch) {
			if _, _, err := ParseChunk(ch[:n]); err == nil {
				t.Fatalf("chunk cut to %d of %d bytes parsed without error", n, len(ch))
			}
		}
	}
}

func TestParseChunkLyingFields(t *testing.T) {
	c, _ := NewChunker(ChunkHeaderSize + 10)
	base := chunksOf(t, c, randomBytes(2, 25))[1] // count 3, stride 10, chunk 1 holds 10 bytes
	cases := []struct {
		name string
		edit func(b []byte) []byte
		is   error
		want string
	}{
		{"magic", func(b []byte) []byte { b[3] = 'W'; return b }, ErrMagic, "magic"},
		{"version", func(b []byte) []byte { b[4] = 2; return b }, ErrVersion, "version 2"},
		{"reserved", func(b []byte) []byte { b[6] = 1; return b }, ErrInvalid, "reserved"},
		{"index = count", func(b []byte) []byte { put32(b, 24, 3); return b }, ErrInvalid, "index 3, count 3"},
		{"count 0", func(b []byte) []byte { put32(b, 28, 0); return b }, ErrInvalid, "count 0"},
		{"count too big", func(b []byte) []byte { put32(b, 28, MaxChunks+1); return b }, ErrInvalid, "want 1.."},
		{"count lies", func(b []byte) []byte { put32(b, 28, 4); return b }, ErrInvalid, "needs 3"},
		{"total lies", func(b []byte) []byte { put32(b, 32, 31); return b }, ErrInvalid, "needs 4"},
		{"stride 0", func(b []byte) []byte { put32(b, 36, 0); return b }, ErrInvalid, "stride 0"},
		{"data short", func(b []byte) []byte { return b[:len(b)-1] }, ErrInvalid, "carries 9 bytes, want 10"},
		{"data long", func(b []byte) []byte { return append(b, 0) }, ErrInvalid, "carries 11 bytes, want 10"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ParseChunk(resealChunk(tc.edit(append([]byte(nil), base...))))
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %v containing %q", err, tc.is, tc.want)
			}
		})
	}
}

func TestEmptyFrameChunk(t *testing.T) {
	c, _ := NewChunker(100)
	chunks := chunksOf(t, c, nil)
	h, data, err := ParseChunk(chunks[0])
	if err != nil || len(chunks) != 1 || len(data) != 0 || h.Total != 0 || h.Count != 1 {
		t.Fatalf("empty frame: %d chunks, header %+v, %d data bytes, %v", len(chunks), h, len(data), err)
	}
	b := resealChunk(func() []byte {
		x := append([]byte(nil), chunks[0]...)
		binary.LittleEndian.PutUint32(x[28:], 2)
		return x
	}())
	if _, _, err := ParseChunk(b); err == nil {
		t.Fatal("empty frame in 2 chunks parsed")
	}
	r, _ := NewReassembler(ReassemblerConfig{})
	if got, err := r.Add(chunks[0]); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("reassembling an empty frame: %v, %v", got, err)
	}
}

func TestChunkAppendReusesBuffer(t *testing.T) {
	c, _ := NewChunker(1 << 10)
	frame := randomBytes(3, 5000)
	cs, _ := c.Split(frame)
	buf := make([]byte, 0, 1<<10)
	if n := testing.AllocsPerRun(10, func() {
		for i := range cs.Len() {
			buf = cs.Append(buf[:0], i)
		}
	}); n != 0 {
		t.Fatalf("Chunks.Append into a large enough buffer: %v allocations", n)
	}
	var joined []byte
	for i := range cs.Len() {
		_, data, err := ParseChunk(cs.Append(buf[:0], i))
		if err != nil {
			t.Fatal(err)
		}
		joined = append(joined, data...)
	}
	if !bytes.Equal(joined, frame) {
		t.Fatal("chunk data does not join back into the frame")
	}
}
