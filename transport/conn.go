package transport

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hymbaserve/hymbaserve/wire"
)

// rawMsg is one network message: one chunk envelope, or a no-responders notice.
type rawMsg struct {
	subject, reply string
	data           []byte
	noResponders   bool // the network found no subscriber for a request sent with this reply subject
}

// limits are the pending limits of one network subscription.
type limits struct{ msgs, bytes int }

// network is what Conn needs from a message bus: NATS or the in-memory Bus.
type network interface {
	// publish sends one network message; it must not retain data.
	publish(subject, reply string, data []byte) error
	// subscribe delivers subject's messages to deliver, one at a time in arrival order, and
	// reports messages dropped beyond lim to onDrop. The returned func ends the subscription.
	subscribe(subject string, lim limits, deliver func(rawMsg), onDrop func(error)) (func() error, error)
	maxPayload() int
	newInbox() string
}

// Conn is a Transport over a network: NewNATS or NewMem.
type Conn struct {
	net     network
	opts    Options
	chunker *wire.Chunker
	bufs    sync.Pool // *[]byte chunk buffers, grown to the largest chunk they held

	closed  atomic.Bool
	reqInit sync.Mutex // serializes the creation of req
	mu      sync.Mutex // guards subs and req
	subs    map[*subscription]struct{}
	req     *requester
}

var _ Transport = (*Conn)(nil)

func newConn(n network, opts Options) (*Conn, error) {
	opts, err := opts.withDefaults(n.maxPayload())
	if err != nil {
		return nil, err
	}
	ck, err := wire.NewChunker(opts.MaxPayload)
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	c := &Conn{net: n, opts: opts, chunker: ck, subs: make(map[*subscription]struct{})}
	c.bufs.New = func() any { return new([]byte) }
	return c, nil
}

// MaxPayload implements Transport.
func (c *Conn) MaxPayload() int { return c.opts.MaxPayload }

// MaxFrameBytes implements Transport.
func (c *Conn) MaxFrameBytes() int { return c.opts.MaxFrameBytes }

// Publish implements Transport.
func (c *Conn) Publish(ctx context.Context, subject string, data []byte) error {
	return c.publish(ctx, subject, "", data)
}

func (c *Conn) publish(ctx context.Context, subject, reply string, data []byte) error {
	if err := checkSubject(subject, false); err != nil {
		return err
	}
	if c.closed.Load() {
		return ErrClosed
	}
	if len(data) > c.opts.MaxFrameBytes {
		return fmt.Errorf("%w: %d bytes on %s, the limit is %d", ErrTooLarge, len(data), subject, c.opts.MaxFrameBytes)
	}
	cs, err := c.chunker.Split(data)
	if err != nil {
		return fmt.Errorf("transport: publish %s: %w", subject, err)
	}
	bp := c.bufs.Get().(*[]byte)
	defer c.bufs.Put(bp)
	for i := range cs.Len() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("transport: publish %s: stopped before chunk %d of %d: %w", subject, i, cs.Len(), err)
		}
		*bp = cs.Append((*bp)[:0], i)
		if err := c.net.publish(subject, reply, *bp); err != nil {
			return fmt.Errorf("transport: publish %s chunk %d of %d: %w", subject, i, cs.Len(), err)
		}
	}
	return nil
}

// Subscribe implements Transport.
func (c *Conn) Subscribe(subject string, h Handler) (Subscription, error) {
	if h == nil {
		return nil, fmt.Errorf("transport: subscribe %s: nil handler", subject)
	}
	return c.subscribe(subject, h, nil)
}

// subscribe registers a subscription; noResp, when set, hears of no-responders notices.
func (c *Conn) subscribe(subject string, h Handler, noResp func(subject string)) (*subscription, error) {
	if err := checkSubject(subject, true); err != nil {
		return nil, err
	}
	s := &subscription{c: c, subject: subject, h: h, noResp: noResp}
	r, err := c.opts.reassembler(func(err error) { c.report(subject, err) })
	if err != nil {
		return nil, err
	}
	s.reasm = r
	if c.closed.Load() {
		return nil, ErrClosed
	}
	lim := limits{c.opts.PendingMsgs, c.opts.PendingBytes}
	s.unsub, err = c.net.subscribe(subject, lim, s.deliver, func(err error) { c.report(subject, err) })
	if err != nil {
		return nil, fmt.Errorf("transport: subscribe %s: %w", subject, err)
	}
	c.mu.Lock()
	if c.closed.Load() { // Close ran while the network subscribed
		c.mu.Unlock()
		_ = s.stop()
		return nil, ErrClosed
	}
	c.subs[s] = struct{}{}
	c.mu.Unlock()
	return s, nil
}

// report hands a dropped message's error to OnError, or logs it.
func (c *Conn) report(subject string, err error) {
	if c.opts.OnError != nil {
		c.opts.OnError(subject, err)
		return
	}
	c.opts.Logger.Warn("transport: message dropped", "subject", subject, "err", err)
}

// Close implements Transport.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed.Swap(true) {
		c.mu.Unlock()
		return nil
	}
	subs := c.subs
	c.subs = nil
	req := c.req
	c.mu.Unlock()
	if req != nil {
		req.fail(ErrClosed)
	}
	var first error
	for s := range subs {
		if err := s.stop(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// subscription is one Subscribe: a network subscription, a reassembler and a handler.
type subscription struct {
	c       *Conn
	subject string
	h       Handler
	noResp  func(subject string)
	reasm   *wire.Reassembler // used only on the delivery goroutine
	unsub   func() error
	stopped atomic.Bool
}

func (s *subscription) Subject() string { return s.subject }

func (s *subscription) Unsubscribe() error {
	s.c.mu.Lock()
	delete(s.c.subs, s)
	s.c.mu.Unlock()
	return s.stop()
}

func (s *subscription) stop() error {
	if !s.stopped.CompareAndSwap(false, true) {
		return nil
	}
	if err := s.unsub(); err != nil {
		return fmt.Errorf("transport: unsubscribe %s: %w", s.subject, err)
	}
	return nil
}

// deliver runs on the network's delivery goroutine for this subscription.
func (s *subscription) deliver(m rawMsg) {
	if s.stopped.Load() {
		return
	}
	if m.noResponders {
		if s.noResp != nil {
			s.noResp(m.subject)
		}
		return
	}
	frame, err := s.reasm.Add(m.data)
	if err != nil {
		s.c.report(m.subject, err)
		return
	}
	if frame == nil || s.stopped.Load() {
		return
	}
	s.h(Msg{Subject: m.subject, Reply: m.reply, Data: frame})
}
