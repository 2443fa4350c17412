// Package transport is the seam between the pipeline and the network: it moves whole messages
// (wire frames, control requests) between the coordinator and the worker stages.
//
// Transport is the interface; Conn is its implementation over two networks:
//
//   - NewNATS(nc, opts): a core NATS connection (github.com/nats-io/nats.go). The caller owns
//     nc and may share it with other users.
//   - NewMem(bus, opts): an in-memory Bus with the NATS semantics this package relies on
//     (wildcards, a per-message size limit, per-publisher order, pending limits, no-responders
//     notices), for unit tests of the packages above.
//
// Both pass the same conformance suite, package transporttest; package natstest starts a real
// NATS server in a test process.
//
//	bus := transport.NewBus(0)
//	tr, err := transport.NewMem(bus, transport.Options{})
//	...
//	sub, err := tr.Subscribe(stageSubject, func(m transport.Msg) { /* wire.DecodeStepInto(&step, m.Data) */ })
//	err = tr.Publish(ctx, nextStageSubject, frame)
//
// # Messages larger than one network message
//
// Every message goes out in wire chunk envelopes: one envelope when it fits in MaxPayload
// (the NATS server's max_payload, 1 MiB by default), several otherwise. Each subscription
// rebuilds messages with a wire.Reassembler, so handlers only ever see whole messages. For the
// real model a batch-8 decode hop (8×1600 F32, 51 KB) and batch-8 F32 logits (8×32001, 1.02 MB)
// each travel as one NATS message; a 512-token prefill hop (3.3 MB) as four. Every envelope
// carries a CRC32C, so a damaged network message is caught at the transport even when it is
// not a wire frame.
//
// # Delivery guarantees and what the transport does not do
//
// Delivery is NATS core delivery: at most once, in order per publisher and subject, no
// persistence. A message that is lost, garbled, dropped for a slow handler, or left incomplete
// past MaxFrameAge is reported to Options.OnError (or logged) and never delivered in part;
// recovering the step is the pipeline's job (the coordinator times out and resends steps,
// fenced by plan epoch and step id). The transport has no flow control of its own: the pipeline
// bounds the micro-batches in flight, and the pending limits bound what a slow subscriber
// queues. Messages carry no headers; trace context, when added, will travel in wire frames.
//
// # Subjects
//
// Subjects are dot-separated tokens. Every hymbaserve subject starts with "hymba.<cluster>", so
// several clusters can share one NATS deployment (and NATS accounts can fence them). Ids used as
// tokens are limited to letters, digits, '-' and '_' (CheckToken). Subjects builds the names.
//
//	subject                          publisher           subscriber     carries
//	hymba.<cluster>.stage.<worker>   coordinator, stage  worker         Tokens and Hidden step frames
//	hymba.<cluster>.coord.<coord>    last stage, stages  coordinator    Logits frames, Error frames
//	hymba.<cluster>.ctl.<worker>     coordinator         worker         control requests (Request)
//	hymba.<cluster>.kv.<worker>      worker              worker         KV pages and SSM state moves
//	_INBOX.>                         responders          requesters     answers to Request
//
// Stage subjects are named after the worker, not the stage index: a new layer plan changes which
// worker a step is sent to, not the subjects workers listen on, and every step frame carries the
// plan epoch and hop it was sent under so a stage can refuse a step from an older plan
// (wire.CodeStaleEpoch). Pipeline replicas are distinguished the same way, by the workers they
// route to and the replica field of each frame.
package transport
