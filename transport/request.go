package transport

import (
	"context"
	"fmt"
	"strconv"
	"sync"
)

// Request implements Transport. Answers arrive on one wildcard inbox subscription per Conn,
// made on first use; each request waits under its own reply subject in that inbox.
func (c *Conn) Request(ctx context.Context, subject string, data []byte) ([]byte, error) {
	if err := checkSubject(subject, false); err != nil {
		return nil, err
	}
	r, err := c.requester()
	if err != nil {
		return nil, err
	}
	reply, ch, err := r.register()
	if err != nil {
		return nil, err
	}
	defer r.unregister(reply)
	if err := c.publish(ctx, subject, reply, data); err != nil {
		return nil, err
	}
	select {
	case res := <-ch:
		if res.err != nil {
			return nil, fmt.Errorf("transport: request %s: %w", subject, res.err)
		}
		return res.data, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("transport: request %s: %w", subject, ctx.Err())
	}
}

// requester returns the Conn's request multiplexer, subscribing its inbox on first use.
func (c *Conn) requester() (*requester, error) {
	c.reqInit.Lock()
	defer c.reqInit.Unlock()
	c.mu.Lock()
	r := c.req
	c.mu.Unlock()
	if r != nil {
		return r, nil
	}
	r = &requester{prefix: c.net.newInbox(), waiting: make(map[string]chan answer)}
	if _, err := c.subscribe(r.prefix+".*", r.handle, r.noResponders); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return nil, ErrClosed
	}
	c.req = r
	return r, nil
}

type answer struct {
	data []byte
	err  error
}

// requester matches answers on the inbox to waiting requests by reply subject.
type requester struct {
	prefix string

	mu      sync.Mutex
	next    uint64
	err     error // set once the Conn closes
	waiting map[string]chan answer
}

func (r *requester) register() (string, chan answer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return "", nil, r.err
	}
	r.next++
	reply := r.prefix + "." + strconv.FormatUint(r.next, 36)
	ch := make(chan answer, 1)
	r.waiting[reply] = ch
	return reply, ch, nil
}

func (r *requester) unregister(reply string) {
	r.mu.Lock()
	delete(r.waiting, reply)
	r.mu.Unlock()
}

// resolve hands the first answer for reply to its waiter; later ones are dropped.
func (r *requester) resolve(reply string, a answer) {
	r.mu.Lock()
	ch := r.waiting[reply]
	delete(r.waiting, reply)
	r.mu.Unlock()
	if ch != nil {
		ch <- a
	}
}

func (r *requester) handle(m Msg)                { r.resolve(m.Subject, answer{data: m.Data}) }
func (r *requester) noResponders(subject string) { r.resolve(subject, answer{err: ErrNoResponders}) }

// fail ends every waiting request with err, and every later one.
func (r *requester) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
	for reply, ch := range r.waiting {
		ch <- answer{err: err}
		delete(r.waiting, reply)
	}
}
