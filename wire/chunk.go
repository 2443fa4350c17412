package wire

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"sync/atomic"
)

// Chunk envelope constants; the layout is in the package documentation.
const (
	ChunkHeaderSize = 44
	ChunkVersion    = 1
	MaxChunks       = 1 << 16 // most chunks one frame may be split into
)

// ChunkMagic opens every chunk envelope.
var ChunkMagic = [4]byte{'H', 'Y', 'M', 'C'}

// ChunkHeader is the decoded header of one chunk.
type ChunkHeader struct {
	Sender  uint64 // random id of the sending Chunker
	FrameID uint64 // frame id, unique per sender
	Index   uint32 // chunk index, < Count
	Count   uint32 // chunks in the frame
	Total   uint32 // frame length in bytes
	Stride  uint32 // data bytes in every chunk but the last
}

// dataLen is the number of data bytes chunk h.Index must carry; h must be consistent.
func (h ChunkHeader) dataLen() uint64 {
	lo := uint64(h.Index) * uint64(h.Stride)
	return min(uint64(h.Stride), uint64(h.Total)-lo)
}

// check validates the header fields against each other.
func (h ChunkHeader) check() error {
	if h.Count == 0 || h.Count > MaxChunks {
		return invalidf("chunk count %d, want 1..%d", h.Count, MaxChunks)
	}
	if h.Index >= h.Count {
		return invalidf("chunk index %d, count %d", h.Index, h.Count)
	}
	if h.Stride == 0 {
		return invalidf("chunk stride 0")
	}
	want := (uint64(h.Total) + uint64(h.Stride) - 1) / uint64(h.Stride)
	if h.Total == 0 {
		want = 1
	}
	if uint64(h.Count) != want {
		return invalidf("chunk count %d, but total %d with stride %d needs %d", h.Count, h.Total, h.Stride, want)
	}
	return nil
}

// ParseChunk checks a chunk envelope (magic, version, reserved bytes, CRC, and the consistency
// of index, count, total, stride and data length) and returns its header and data; the data
// aliases b.
func ParseChunk(b []byte) (ChunkHeader, []byte, error) {
	var h ChunkHeader
	if len(b) >= 4 && [4]byte(b[:4]) != ChunkMagic {
		return h, nil, fmt.Errorf("%w: not a chunk envelope, it starts % x", ErrMagic, b[:4])
	}
	if len(b) < ChunkHeaderSize {
		return h, nil, fmt.Errorf("%w: chunk of %d bytes, its header needs %d", ErrShort, len(b), ChunkHeaderSize)
	}
	if b[4] != ChunkVersion {
		return h, nil, fmt.Errorf("%w: chunk version %d, this build reads %d", ErrVersion, b[4], ChunkVersion)
	}
	crc := crc32.Update(crc32.Checksum(b[:40], castagnoli), castagnoli, b[ChunkHeaderSize:])
	if want := binary.LittleEndian.Uint32(b[40:]); crc != want {
		return h, nil, fmt.Errorf("%w: chunk crc %#08x, computed %#08x", ErrChecksum, want, crc)
	}
	if b[5]|b[6]|b[7] != 0 {
		return h, nil, invalidf("chunk reserved bytes % x, want 0", b[5:8])
	}
	h = ChunkHeader{
		Sender:  binary.LittleEndian.Uint64(b[8:]),
		FrameID: binary.LittleEndian.Uint64(b[16:]),
		Index:   binary.LittleEndian.Uint32(b[24:]),
		Count:   binary.LittleEndian.Uint32(b[28:]),
		Total:   binary.LittleEndian.Uint32(b[32:]),
		Stride:  binary.LittleEndian.Uint32(b[36:]),
	}
	if err := h.check(); err != nil {
		return h, nil, err
	}
	data := b[ChunkHeaderSize:]
	if want := h.dataLen(); uint64(len(data)) != want {
		return h, nil, invalidf("chunk %d/%d of frame %d carries %d bytes, want %d", h.Index, h.Count, h.FrameID, len(data), want)
	}
	return h, data, nil
}

// Chunker splits frames into chunk envelopes no larger than a maximum size. It is safe for
// concurrent use; every frame it splits gets a new frame id under the Chunker's random sender id.
type Chunker struct {
	sender   uint64
	next     atomic.Uint64
	maxChunk int
}

// NewChunker returns a Chunker whose chunks, header included, are at most maxChunk bytes.
func NewChunker(maxChunk int) (*Chunker, error) {
	if maxChunk <= ChunkHeaderSize {
		return nil, fmt.Errorf("wire: max chunk size %d must exceed the %d-byte chunk header", maxChunk, ChunkHeaderSize)
	}
	return &Chunker{sender: rand.Uint64(), maxChunk: maxChunk}, nil
}

// Sender is the Chunker's random sender id.
func (c *Chunker) Sender() uint64 { return c.sender }

// MaxChunk is the largest chunk the Chunker makes, header included.
func (c *Chunker) MaxChunk() int { return c.maxChunk }

// Split assigns frame a new frame id and returns its chunks, to be built one by one with
// Chunks.Append. It fails when frame is 4 GiB or more or needs more than MaxChunks chunks.
// The frame must not change until its chunks are built.
func (c *Chunker) Split(frame []byte) (Chunks, error) {
	if uint64(len(frame)) > math.MaxUint32 {
		return Chunks{}, fmt.Errorf("wire: frame of %d bytes exceeds the 4 GiB chunking limit", len(frame))
	}
	stride := uint64(min(c.maxChunk-ChunkHeaderSize, math.MaxUint32))
	count := max((uint64(len(frame))+stride-1)/stride, 1)
	if count > MaxChunks {
		return Chunks{}, fmt.Errorf("wire: frame of %d bytes needs %d chunks of %d bytes, more than %d", len(frame), count, c.maxChunk, MaxChunks)
	}
	h := ChunkHeader{
		Sender: c.sender, FrameID: c.next.Add(1),
		Count: uint32(count), Total: uint32(len(frame)), Stride: uint32(stride),
	}
	return Chunks{h: h, frame: frame}, nil
}

// Chunks is one frame's chunk sequence.
type Chunks struct {
	h     ChunkHeader
	frame []byte
}

// Len is the number of chunks.
func (cs Chunks) Len() int { return int(cs.h.Count) }

// FrameID is the id the frame was given.
func (cs Chunks) FrameID() uint64 { return cs.h.FrameID }

// Append appends chunk i (0 ≤ i < Len) to dst; with enough capacity it does not allocate.
func (cs Chunks) Append(dst []byte, i int) []byte {
	h := cs.h
	h.Index = uint32(i)
	lo := uint64(i) * uint64(h.Stride)
	data := cs.frame[lo : lo+h.dataLen()]
	start := len(dst)
	dst = append(dst, ChunkMagic[:]...)
	dst = append(dst, ChunkVersion, 0, 0, 0)
	dst = binary.LittleEndian.AppendUint64(dst, h.Sender)
	dst = binary.LittleEndian.AppendUint64(dst, h.FrameID)
	dst = binary.LittleEndian.AppendUint32(dst, h.Index)
	dst = binary.LittleEndian.AppendUint32(dst, h.Count)
	dst = binary.LittleEndian.AppendUint32(dst, h.Total)
	dst = binary.LittleEndian.AppendUint32(dst, h.Stride)
	crc := crc32.Update(crc32.Checksum(dst[start:], castagnoli), castagnoli, data)
	dst = binary.LittleEndian.AppendUint32(dst, crc)
	return append(dst, data...)
}
