package gossip

import (
	"sync"

	"github.com/hashicorp/memberlist"
)

// EventKind says what happened to a member.
type EventKind int

const (
	// EventJoin: the member is alive (joined, or came back).
	EventJoin EventKind = iota + 1
	// EventLeave: the member left gracefully or was declared dead.
	EventLeave
	// EventUpdate: the member's Meta changed.
	EventUpdate
)

func (k EventKind) String() string {
	switch k {
	case EventJoin:
		return "join"
	case EventLeave:
		return "leave"
	case EventUpdate:
		return "update"
	}
	return "unknown"
}

// Event is one membership change seen by this member.
type Event struct {
	Kind EventKind
	Name string
	Addr string // host:port of the member's gossip endpoint
	Meta []byte
}

func newEvent(kind EventKind, n *memberlist.Node) Event {
	return Event{Kind: kind, Name: n.Name, Addr: n.Address(), Meta: append([]byte(nil), n.Meta...)}
}

// eventQueue decouples memberlist's callbacks (which must not block) from
// the consumer: push never blocks, and beyond limit the oldest event is
// dropped.
type eventQueue struct {
	mu      sync.Mutex
	buf     []Event
	limit   int
	dropped uint64
	closed  bool
	wake    chan struct{} // capacity 1
	out     chan Event
	done    chan struct{}
	pumped  chan struct{}
}

func newEventQueue(limit int) *eventQueue {
	q := makeEventQueue(limit)
	go q.pump()
	return q
}

// makeEventQueue returns a queue whose pump is not running yet.
func makeEventQueue(limit int) *eventQueue {
	return &eventQueue{limit: limit, wake: make(chan struct{}, 1), out: make(chan Event),
		done: make(chan struct{}), pumped: make(chan struct{})}
}

func (q *eventQueue) push(ev Event) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	if len(q.buf) >= q.limit {
		q.buf = q.buf[1:]
		q.dropped++
	}
	q.buf = append(q.buf, ev)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *eventQueue) pop() (Event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.buf) == 0 {
		return Event{}, false
	}
	ev := q.buf[0]
	q.buf = q.buf[1:]
	return ev, true
}

func (q *eventQueue) pump() {
	defer close(q.pumped)
	defer close(q.out)
	for {
		ev, ok := q.pop()
		if !ok {
			select {
			case <-q.wake:
				continue
			case <-q.done:
				return
			}
		}
		select {
		case q.out <- ev:
		case <-q.done:
			return
		}
	}
}

// close stops delivery; undelivered events are discarded and out closes.
func (q *eventQueue) close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	q.mu.Unlock()
	close(q.done)
	<-q.pumped
}

func (q *eventQueue) droppedCount() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// delegate receives memberlist's callbacks.
type delegate struct {
	q    *eventQueue
	meta func() []byte
}

func (d *delegate) NotifyJoin(n *memberlist.Node)   { d.q.push(newEvent(EventJoin, n)) }
func (d *delegate) NotifyLeave(n *memberlist.Node)  { d.q.push(newEvent(EventLeave, n)) }
func (d *delegate) NotifyUpdate(n *memberlist.Node) { d.q.push(newEvent(EventUpdate, n)) }

// memberlist.Delegate: only NodeMeta is used; no user messages or state.
func (d *delegate) NodeMeta(limit int) []byte                  { return d.meta() }
func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}
