package transporttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hymbaserve/hymbaserve/transport"
	"github.com/hymbaserve/hymbaserve/wire"
)

func rawChunks(t *testing.T, maxChunk int, frame []byte) [][]byte {
	t.Helper()
	ck, err := wire.NewChunker(maxChunk)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := ck.Split(frame)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, cs.Len())
	for i := range out {
		out[i] = cs.Append(nil, i)
	}
	return out
}

func (e *env) raw(t *testing.T, subject string, data []byte) {
	t.Helper()
	if err := e.Raw(subject, data); err != nil {
		t.Fatalf("raw publish: %v", err)
	}
}

func (e *env) expectError(t *testing.T, subject string, want error) {
	t.Helper()
	r := e.nextError(t)
	if r.subject != subject || !errors.Is(r.err, want) {
		t.Fatalf("reported %v on %q, want %v on %q", r.err, r.subject, want, subject)
	}
}

// testGarbledChunks sends foreign bytes, a chunk with a flipped bit, and a chunked frame with
// one garbled chunk: each is reported and dropped, and the subscription keeps working.
func testGarbledChunks(t *testing.T, setup Setup) {
	e := newEnv(t, setup, nil)
	const subj = "hymba.test.garbled"
	in := newInbox()
	mustSubscribe(t, e.B, subj, in.handle)

	e.raw(t, subj, []byte("PING: not a chunk envelope"))
	e.expectError(t, subj, wire.ErrMagic)

	one := rawChunks(t, e.maxPay, payload(1, 100))[0]
	one[len(one)-1] ^= 1
	e.raw(t, subj, one)
	e.expectError(t, subj, wire.ErrChecksum)

	three := rawChunks(t, 1000, payload(2, 2500))
	three[1][500] ^= 0x40
	for _, c := range three {
		e.raw(t, subj, c)
	}
	e.expectError(t, subj, wire.ErrChecksum)

	good := payload(3, 3000)
	if err := e.A.Publish(context.Background(), subj, good); err != nil {
		t.Fatal(err)
	}
	sameBytes(t, "message after the garbage", in.next(t).Data, good)
	in.empty(t)
	e.noErrors(t)
}

// testStaleIncompleteFrame leaves a frame incomplete, moves the injected clock past
// MaxFrameAge, and checks that the next message drops and reports it.
func testStaleIncompleteFrame(t *testing.T, setup Setup) {
	e := newEnv(t, setup, func(o *transport.Options) { o.MaxFrameAge = time.Minute })
	const subj = "hymba.test.stale"
	in := newInbox()
	mustSubscribe(t, e.B, subj, in.handle)
	chunks := rawChunks(t, 1000, payload(1, 2500))
	e.raw(t, subj, chunks[0])
	e.raw(t, subj, chunks[1])
	first := payload(2, 10)
	if err := e.A.Publish(context.Background(), subj, first); err != nil {
		t.Fatal(err)
	}
	sameBytes(t, "message beside the incomplete frame", in.next(t).Data, first)
	e.noErrors(t)

	e.clock.advance(2 * time.Minute)
	second := payload(3, 10)
	if err := e.A.Publish(context.Background(), subj, second); err != nil {
		t.Fatal(err)
	}
	r := e.nextError(t)
	var drop *wire.DropError
	if !errors.As(r.err, &drop) || drop.Reason != "stale" || drop.Have != 2 || drop.Count != 3 {
		t.Fatalf("reported %v, want the 2-of-3-chunk frame dropped as stale", r.err)
	}
	sameBytes(t, "message after the drop", in.next(t).Data, second)
	in.empty(t)
}

// testSlowConsumer blocks a handler while 50 messages arrive with room for 4: the overflow is
// dropped and reported, what is delivered stays in order, and delivery resumes afterwards.
func testSlowConsumer(t *testing.T, setup Setup) {
	e := newEnv(t, setup, func(o *transport.Options) { o.PendingMsgs = 4 })
	ctx := context.Background()
	const subj = "hymba.test.slow"
	g := newGate()
	got := make(chan int, 256)
	mustSubscribe(t, e.B, subj, func(m transport.Msg) { g.wait(); got <- int(m.Data[0]) })
	mustSubscribe(t, e.B, subj+".sync", func(m transport.Msg) { _ = e.B.Publish(ctx, m.Reply, nil) })
	for i := range 50 {
		if err := e.A.Publish(ctx, subj, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// B's connection has taken in all 50 once it answers a request published after them.
	if _, err := e.A.Request(ctx, subj+".sync", nil); err != nil {
		t.Fatal(err)
	}
	g.open()
	const marker = 255
	last, delivered := -1, 0
	for {
		v := recv(t, got, "message")
		if v == marker {
			break
		}
		if v <= last {
			t.Fatalf("message %d delivered after %d", v, last)
		}
		last, delivered = v, delivered+1
		if err := e.A.Publish(ctx, subj, []byte{marker}); err != nil { // may itself be dropped; retried
			t.Fatal(err)
		}
	}
	if delivered >= 50 {
		t.Fatalf("all %d messages delivered despite a pending limit of 4", delivered)
	}
	e.expectError(t, subj, transport.ErrSlowConsumer)
}
