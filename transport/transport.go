package transport

import (
	"context"
	"errors"
)

// Msg is one whole message as a handler receives it.
type Msg struct {
	Subject string // the subject it was published on
	Reply   string // where to publish the answer when it came from Request; "" otherwise
	Data    []byte // the whole message, reassembled from its chunks; the handler owns it
}

// Handler receives the messages of one subscription, one at a time and in arrival order. It
// runs on the subscription's delivery goroutine: a slow handler delays that subscription only,
// and messages that pile up beyond the pending limits are dropped and reported (Options).
type Handler func(Msg)

// Subscription is an active interest in a subject.
type Subscription interface {
	// Subject is the subject, possibly with wildcards, given to Subscribe.
	Subject() string
	// Unsubscribe stops delivery. No handler call starts after it returns; a call already
	// running finishes. Calling it again, or after Close, returns nil. It may be called from
	// the subscription's own handler.
	Unsubscribe() error
}

// Transport moves whole messages between pipeline stages and the coordinator. A message may be
// larger than one network message: Publish splits it into chunk envelopes (see package wire)
// and every subscriber rebuilds it. All methods are safe for concurrent use.
type Transport interface {
	// Publish sends data to every subscriber of subject, in order with the caller's other
	// publishes on this Transport. It returns once the data is handed to the network, which
	// does not mean it has been delivered. Publish does not retain data. ctx is checked before
	// each chunk; a frame cut short by cancellation is dropped by its receivers.
	Publish(ctx context.Context, subject string, data []byte) error

	// Subscribe calls h with every whole message published on subject from the time it
	// returns. Subjects are dot-separated tokens; "*" matches one token and a final ">" one
	// or more. Malformed chunks, frames evicted before completion and messages dropped for a
	// slow handler are reported to Options.OnError and never reach h.
	Subscribe(subject string, h Handler) (Subscription, error)

	// Request publishes data with a reply subject and waits for the first answer, which the
	// responder sends with Publish(ctx, msg.Reply, answer). It fails with ErrNoResponders when
	// nobody subscribes to subject (on NATS this needs header support, the server's default),
	// and with ctx's error when ctx ends first. Meant for small
	// control messages; either direction may still be chunked.
	Request(ctx context.Context, subject string, data []byte) ([]byte, error)

	// MaxPayload is the largest network message this Transport sends, chunk envelope included:
	// the smaller of the network's limit and Options.MaxPayload.
	MaxPayload() int

	// MaxFrameBytes is the largest message Publish accepts and subscribers rebuild.
	MaxFrameBytes() int

	// Close ends every subscription and pending Request (which fail with ErrClosed) and makes
	// later calls fail with ErrClosed. It does not wait for handlers already running and does
	// not close the network connection, which the caller owns. Calling it again returns nil.
	Close() error
}

// Errors returned or reported by transports; test with errors.Is.
var (
	ErrClosed       = errors.New("transport: closed")
	ErrNoResponders = errors.New("transport: no responders")
	ErrTooLarge     = errors.New("transport: message too large")
	ErrBadSubject   = errors.New("transport: bad subject")
	ErrSlowConsumer = errors.New("transport: slow consumer, messages dropped")
)
