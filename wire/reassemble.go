package wire

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Reassembler defaults.
const (
	DefaultMaxFrameBytes = 64 << 20
	DefaultMaxIncomplete = 64
	DefaultMaxAge        = 30 * time.Second
)

// ReassemblerConfig bounds what a Reassembler holds. Zero fields take the defaults.
type ReassemblerConfig struct {
	MaxFrameBytes    int              // largest frame accepted (DefaultMaxFrameBytes)
	MaxBufferedBytes int              // frame bytes all incomplete frames may hold together (4×MaxFrameBytes)
	MaxIncomplete    int              // incomplete frames held at once (DefaultMaxIncomplete)
	MaxAge           time.Duration    // an incomplete frame that gets no chunk for this long is dropped (DefaultMaxAge)
	Now              func() time.Time // clock (time.Now)
	OnDrop           func(error)      // told of each incomplete frame dropped, as a *DropError; may be nil
}

func (c ReassemblerConfig) withDefaults() (ReassemblerConfig, error) {
	switch {
	case c.MaxFrameBytes < 0 || uint64(c.MaxFrameBytes) > math.MaxUint32:
		return c, fmt.Errorf("wire: reassembler MaxFrameBytes %d, want 0..%d", c.MaxFrameBytes, uint64(math.MaxUint32))
	case c.MaxBufferedBytes < 0:
		return c, fmt.Errorf("wire: reassembler MaxBufferedBytes %d is negative", c.MaxBufferedBytes)
	case c.MaxIncomplete < 0:
		return c, fmt.Errorf("wire: reassembler MaxIncomplete %d is negative", c.MaxIncomplete)
	case c.MaxAge < 0:
		return c, fmt.Errorf("wire: reassembler MaxAge %v is negative", c.MaxAge)
	}
	if c.MaxFrameBytes == 0 {
		c.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if c.MaxBufferedBytes == 0 {
		c.MaxBufferedBytes = 4 * c.MaxFrameBytes
	}
	if c.MaxBufferedBytes < c.MaxFrameBytes {
		return c, fmt.Errorf("wire: reassembler MaxBufferedBytes %d is below MaxFrameBytes %d", c.MaxBufferedBytes, c.MaxFrameBytes)
	}
	if c.MaxIncomplete == 0 {
		c.MaxIncomplete = DefaultMaxIncomplete
	}
	if c.MaxAge == 0 {
		c.MaxAge = DefaultMaxAge
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// ErrDropped is wrapped by every DropError.
var ErrDropped = errors.New("wire: incomplete frame dropped")

// DropError reports an incomplete frame the Reassembler gave up on.
type DropError struct {
	Sender, FrameID uint64
	Have, Count     int    // chunks received, chunks expected
	Reason          string // "stale", "too many incomplete frames" or "buffer full"
}

func (e *DropError) Error() string {
	return fmt.Sprintf("wire: incomplete frame %016x/%d dropped with %d of %d chunks: %s", e.Sender, e.FrameID, e.Have, e.Count, e.Reason)
}

// Unwrap makes errors.Is(err, ErrDropped) true.
func (e *DropError) Unwrap() error { return ErrDropped }

type frameKey struct{ sender, id uint64 }

type partial struct {
	h       ChunkHeader
	buf     []byte
	got     []uint64 // bitmap of chunks received
	have    uint32
	last    time.Time // when the last chunk arrived
	touched uint64    // Add counter at the last chunk, for least-recently-active eviction
}

// Reassembler rebuilds frames from chunk envelopes. It is not safe for concurrent use.
type Reassembler struct {
	cfg      ReassemblerConfig
	frames   map[frameKey]*partial
	buffered int
	adds     uint64
}

// NewReassembler returns a Reassembler with the bounds of cfg.
func NewReassembler(cfg ReassemblerConfig) (*Reassembler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Reassembler{cfg: cfg, frames: make(map[frameKey]*partial)}, nil
}

// Pending reports the incomplete frames held and the frame bytes they reserve.
func (r *Reassembler) Pending() (frames, bytes int) { return len(r.frames), r.buffered }

// Add takes one chunk. It returns the whole frame when the chunk completes one (for a
// one-chunk frame the result aliases chunk), nil while the frame is incomplete, and an error
// for a malformed, oversized, duplicate or inconsistent chunk, which it otherwise ignores.
// Before taking the chunk it drops incomplete frames idle for longer than MaxAge; to make
// room for a new frame it drops the least recently active ones. OnDrop hears of each.
func (r *Reassembler) Add(chunk []byte) ([]byte, error) {
	h, data, err := ParseChunk(chunk)
	if err != nil {
		return nil, err
	}
	now := r.cfg.Now()
	r.adds++
	r.expire(now)
	if int64(h.Total) > int64(r.cfg.MaxFrameBytes) {
		return nil, invalidf("frame %d of %d bytes exceeds the %d-byte limit", h.FrameID, h.Total, r.cfg.MaxFrameBytes)
	}
	if h.Count == 1 {
		return data, nil
	}
	key := frameKey{h.Sender, h.FrameID}
	p := r.frames[key]
	if p == nil {
		p = r.start(key, h)
	} else if p.h.Count != h.Count || p.h.Total != h.Total || p.h.Stride != h.Stride {
		return nil, invalidf("chunk %d of frame %d says count %d total %d stride %d, earlier chunks said %d, %d, %d",
			h.Index, h.FrameID, h.Count, h.Total, h.Stride, p.h.Count, p.h.Total, p.h.Stride)
	}
	word, bit := h.Index/64, uint64(1)<<(h.Index%64)
	if p.got[word]&bit != 0 {
		return nil, invalidf("duplicate chunk %d of frame %d", h.Index, h.FrameID)
	}
	p.got[word] |= bit
	p.have++
	p.last, p.touched = now, r.adds
	copy(p.buf[uint64(h.Index)*uint64(h.Stride):], data)
	if p.have < p.h.Count {
		return nil, nil
	}
	delete(r.frames, key)
	r.buffered -= len(p.buf)
	return p.buf, nil
}

// start makes room for and registers a new incomplete frame.
func (r *Reassembler) start(key frameKey, h ChunkHeader) *partial {
	for len(r.frames) >= r.cfg.MaxIncomplete {
		r.evictOldest("too many incomplete frames")
	}
	for len(r.frames) > 0 && r.buffered+int(h.Total) > r.cfg.MaxBufferedBytes {
		r.evictOldest("buffer full")
	}
	p := &partial{h: h, buf: make([]byte, h.Total), got: make([]uint64, (h.Count+63)/64)}
	r.frames[key] = p
	r.buffered += len(p.buf)
	return p
}

func (r *Reassembler) expire(now time.Time) {
	for key, p := range r.frames {
		if now.Sub(p.last) > r.cfg.MaxAge {
			r.drop(key, p, "stale")
		}
	}
}

func (r *Reassembler) evictOldest(reason string) {
	var oldest frameKey
	var op *partial
	for key, p := range r.frames {
		if op == nil || p.touched < op.touched {
			oldest, op = key, p
		}
	}
	r.drop(oldest, op, reason)
}

func (r *Reassembler) drop(key frameKey, p *partial, reason string) {
	delete(r.frames, key)
	r.buffered -= len(p.buf)
	if r.cfg.OnDrop != nil {
		r.cfg.OnDrop(&DropError{Sender: key.sender, FrameID: key.id, Have: int(p.have), Count: int(p.h.Count), Reason: reason})
	}
}
