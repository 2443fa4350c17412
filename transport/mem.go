package transport

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Bus is an in-memory message bus with the NATS semantics the transport relies on: subjects
// with wildcards, a per-message size limit, per-publisher ordering, per-subscription delivery
// goroutines with pending limits, and no-responders notices for requests nobody hears. It is
// the twin of a NATS server for unit tests; connect Transports to it with NewMem.
type Bus struct {
	maxPayload int
	inboxes    atomic.Uint64

	mu   sync.Mutex
	subs map[*memSub]struct{}
}

// NewBus returns a bus that carries messages of at most maxPayload bytes (DefaultMaxPayload
// when maxPayload ≤ 0).
func NewBus(maxPayload int) *Bus {
	if maxPayload <= 0 {
		maxPayload = DefaultMaxPayload
	}
	return &Bus{maxPayload: maxPayload, subs: make(map[*memSub]struct{})}
}

// MaxPayload is the largest message the bus carries.
func (b *Bus) MaxPayload() int { return b.maxPayload }

// NewMem returns a Transport on bus.
func NewMem(bus *Bus, opts Options) (*Conn, error) {
	if bus == nil {
		return nil, fmt.Errorf("transport: NewMem: nil bus")
	}
	return newConn(memNet{bus}, opts)
}

// PublishRaw puts one network message on the bus as is, bypassing the chunk envelope, as a
// foreign or broken publisher would. Tests use it to inject garbage.
func (b *Bus) PublishRaw(subject, reply string, data []byte) error {
	if err := checkSubject(subject, false); err != nil {
		return err
	}
	if reply != "" {
		if err := checkSubject(reply, false); err != nil {
			return err
		}
	}
	if len(data) > b.maxPayload {
		return fmt.Errorf("%w: %d-byte message, the bus carries %d", ErrTooLarge, len(data), b.maxPayload)
	}
	if b.deliver(rawMsg{subject: subject, reply: reply, data: data}) == 0 && reply != "" {
		b.deliver(rawMsg{subject: reply, noResponders: true})
	}
	return nil
}

// deliver queues a copy of m on every matching subscription and returns how many matched.
// Holding b.mu while queueing keeps one publisher's messages in order on every subscription;
// drops are reported after it is released.
func (b *Bus) deliver(m rawMsg) int {
	toks := strings.Split(m.subject, ".")
	var dropped []*memSub
	b.mu.Lock()
	n := 0
	for s := range b.subs {
		if matchSubject(s.pattern, toks) {
			c := m
			c.data = append([]byte(nil), m.data...)
			if !s.enqueue(c) {
				dropped = append(dropped, s)
			}
			n++
		}
	}
	b.mu.Unlock()
	for _, s := range dropped {
		s.onDrop(fmt.Errorf("%w: a %d-byte message on %s exceeded the pending limits (%d messages, %d bytes)",
			ErrSlowConsumer, len(m.data), m.subject, s.lim.msgs, s.lim.bytes))
	}
	return n
}

func (b *Bus) subscribe(subject string, lim limits, deliver func(rawMsg), onDrop func(error)) *memSub {
	s := &memSub{
		bus: b, pattern: strings.Split(subject, "."), lim: lim, deliver: deliver, onDrop: onDrop,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	go s.run()
	return s
}

// memSub is one subscription on a Bus, with its queue and delivery goroutine.
type memSub struct {
	bus     *Bus
	pattern []string
	lim     limits
	deliver func(rawMsg)
	onDrop  func(error)
	wake    chan struct{}
	done    chan struct{}

	mu     sync.Mutex
	queue  []rawMsg
	bytes  int
	closed bool
}

// enqueue is called with the bus lock held; it never blocks. It reports false when the
// message exceeds the pending limits and is dropped.
func (s *memSub) enqueue(m rawMsg) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return true
	}
	if len(s.queue) >= s.lim.msgs || s.bytes+len(m.data) > s.lim.bytes {
		s.mu.Unlock()
		return false
	}
	s.queue = append(s.queue, m)
	s.bytes += len(m.data)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return true
}

func (s *memSub) run() {
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		}
		for {
			m, ok := s.pop()
			if !ok {
				break
			}
			s.deliver(m)
		}
	}
}

func (s *memSub) pop() (rawMsg, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || len(s.queue) == 0 {
		return rawMsg{}, false
	}
	m := s.queue[0]
	s.queue[0] = rawMsg{}
	s.queue = s.queue[1:]
	s.bytes -= len(m.data)
	return m, true
}

func (s *memSub) unsubscribe() error {
	s.bus.mu.Lock()
	delete(s.bus.subs, s)
	s.bus.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed, s.queue, s.bytes = true, nil, 0
		close(s.done)
	}
	return nil
}

// memNet adapts a Bus to the network interface.
type memNet struct{ bus *Bus }

func (n memNet) publish(subject, reply string, data []byte) error {
	return n.bus.PublishRaw(subject, reply, data)
}

func (n memNet) subscribe(subject string, lim limits, deliver func(rawMsg), onDrop func(error)) (func() error, error) {
	return n.bus.subscribe(subject, lim, deliver, onDrop).unsubscribe, nil
}

func (n memNet) maxPayload() int { return n.bus.maxPayload }

func (n memNet) newInbox() string {
	return "_INBOX.mem" + strconv.FormatUint(n.bus.inboxes.Add(1), 10)
}
