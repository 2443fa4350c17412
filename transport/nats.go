package transport

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/nats-io/nats.go"
)

// NewNATS returns a Transport on a connected NATS connection. The caller keeps ownership of
// nc: Close ends the Transport's subscriptions but leaves nc open. The network's limit is the
// server's max_payload.
func NewNATS(nc *nats.Conn, opts Options) (*Conn, error) {
	if nc == nil {
		return nil, errors.New("transport: NewNATS: nil connection")
	}
	if nc.IsClosed() {
		return nil, fmt.Errorf("transport: NewNATS: %w", nats.ErrConnectionClosed)
	}
	if limit := nc.MaxPayload(); limit <= 0 {
		return nil, fmt.Errorf("transport: NewNATS: the server reports max_payload %d", limit)
	}
	return newConn(natsNet{nc: nc, flush: opts.SubscribeTimeout}, opts)
}

// natsNet adapts a nats.Conn to the network interface.
type natsNet struct {
	nc    *nats.Conn
	flush time.Duration
}

func (n natsNet) publish(subject, reply string, data []byte) error {
	if reply == "" {
		return n.nc.Publish(subject, data)
	}
	return n.nc.PublishRequest(subject, reply, data)
}

// subscribe makes an asynchronous NATS subscription (nats.go delivers its messages on one
// goroutine, in order) and waits until the server has it, so that anything published after
// Transport.Subscribe returns is delivered.
func (n natsNet) subscribe(subject string, lim limits, deliver func(rawMsg), onDrop func(error)) (func() error, error) {
	var seen int // messages the subscription reported dropped; touched only by the callback
	sub, err := n.nc.Subscribe(subject, func(m *nats.Msg) {
		if d, err := m.Sub.Dropped(); err == nil && d > seen {
			onDrop(fmt.Errorf("%w: %d messages on %s exceeded the pending limits (%d messages, %d bytes)", ErrSlowConsumer, d-seen, subject, lim.msgs, lim.bytes))
			seen = d
		}
		deliver(rawMsg{subject: m.Subject, reply: m.Reply, data: m.Data, noResponders: isNoResponders(m)})
	})
	if err != nil {
		return nil, err
	}
	if err := sub.SetPendingLimits(lim.msgs, lim.bytes); err != nil {
		_ = sub.Unsubscribe()
		return nil, err
	}
	timeout := n.flush
	if timeout <= 0 {
		timeout = DefaultSubscribeTimeout
	}
	if err := n.nc.FlushTimeout(timeout); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("server did not confirm the subscription: %w", err)
	}
	return func() error {
		err := sub.Unsubscribe()
		if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrBadSubscription) {
			return nil // the connection or the subscription is already gone
		}
		return err
	}, nil
}

// isNoResponders recognizes the server's 503 status for a request that no subscriber heard.
func isNoResponders(m *nats.Msg) bool {
	return len(m.Data) == 0 && m.Header.Get("Status") == "503"
}

func (n natsNet) maxPayload() int {
	return int(min(n.nc.MaxPayload(), math.MaxInt32))
}

func (n natsNet) newInbox() string { return n.nc.NewInbox() }
