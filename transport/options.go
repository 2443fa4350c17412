package transport

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/hymbaserve/hymbaserve/wire"
)

// Defaults of Options.
const (
	DefaultMaxPayload       = 1 << 20 // NATS server default max_payload
	DefaultPendingMsgs      = 1 << 16
	DefaultPendingBytes     = 256 << 20
	DefaultSubscribeTimeout = 5 * time.Second
)

// Options tune a Transport. Zero fields take the defaults.
type Options struct {
	// MaxPayload caps one network message, chunk envelope included; 0 uses the network's own
	// limit. It can only lower that limit.
	MaxPayload int
	// MaxFrameBytes is the largest message Publish accepts and subscribers rebuild
	// (wire.DefaultMaxFrameBytes, 64 MiB, or what wire.MaxChunks chunks carry if less).
	MaxFrameBytes int
	// MaxBufferedBytes bounds the bytes each subscription holds in incomplete messages
	// (4×MaxFrameBytes); MaxIncomplete bounds their number (wire.DefaultMaxIncomplete); an
	// incomplete message that gets no chunk for MaxFrameAge is dropped (wire.DefaultMaxAge).
	MaxBufferedBytes int
	MaxIncomplete    int
	MaxFrameAge      time.Duration
	// PendingMsgs and PendingBytes bound the network messages queued for each subscription's
	// handler; beyond them messages are dropped and reported as ErrSlowConsumer
	// (DefaultPendingMsgs, DefaultPendingBytes).
	PendingMsgs  int
	PendingBytes int
	// SubscribeTimeout bounds how long Subscribe waits for the server to confirm a
	// subscription (DefaultSubscribeTimeout).
	SubscribeTimeout time.Duration
	// OnError hears of every message a subscription dropped: malformed chunks (wrapping a wire
	// error), incomplete messages evicted (wire.ErrDropped), slow-consumer drops
	// (ErrSlowConsumer). It is called from delivery goroutines, concurrently, and must not
	// block. nil logs each at Warn level to Logger.
	OnError func(subject string, err error)
	// Logger receives the reports when OnError is nil (slog.Default()).
	Logger *slog.Logger
	// Now is the clock that ages incomplete messages (time.Now); tests inject one.
	Now func() time.Time
}

func (o Options) withDefaults(netMax int) (Options, error) {
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"MaxPayload", int64(o.MaxPayload)}, {"MaxFrameBytes", int64(o.MaxFrameBytes)}, {"MaxBufferedBytes", int64(o.MaxBufferedBytes)},
		{"MaxIncomplete", int64(o.MaxIncomplete)}, {"MaxFrameAge", int64(o.MaxFrameAge)}, {"PendingMsgs", int64(o.PendingMsgs)},
		{"PendingBytes", int64(o.PendingBytes)}, {"SubscribeTimeout", int64(o.SubscribeTimeout)},
	} {
		if f.v < 0 {
			return o, fmt.Errorf("transport: option %s is negative (%d)", f.name, f.v)
		}
	}
	if o.MaxPayload == 0 || o.MaxPayload > netMax {
		o.MaxPayload = netMax
	}
	if o.MaxPayload <= wire.ChunkHeaderSize {
		return o, fmt.Errorf("transport: max payload %d leaves no room after the %d-byte chunk header", o.MaxPayload, wire.ChunkHeaderSize)
	}
	most := wire.MaxChunks * (o.MaxPayload - wire.ChunkHeaderSize)
	if o.MaxFrameBytes == 0 {
		o.MaxFrameBytes = min(wire.DefaultMaxFrameBytes, most)
	}
	if o.MaxFrameBytes > most {
		return o, fmt.Errorf("transport: MaxFrameBytes %d needs more than %d chunks of %d bytes; at most %d", o.MaxFrameBytes, wire.MaxChunks, o.MaxPayload, most)
	}
	if o.PendingMsgs == 0 {
		o.PendingMsgs = DefaultPendingMsgs
	}
	if o.PendingBytes == 0 {
		o.PendingBytes = DefaultPendingBytes
	}
	if o.SubscribeTimeout == 0 {
		o.SubscribeTimeout = DefaultSubscribeTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	_, err := o.reassembler(nil)
	return o, err
}

func (o Options) reassembler(onDrop func(error)) (*wire.Reassembler, error) {
	r, err := wire.NewReassembler(wire.ReassemblerConfig{
		MaxFrameBytes: o.MaxFrameBytes, MaxBufferedBytes: o.MaxBufferedBytes, MaxIncomplete: o.MaxIncomplete,
		MaxAge: o.MaxFrameAge, Now: o.Now, OnDrop: onDrop,
	})
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	return r, nil
}
