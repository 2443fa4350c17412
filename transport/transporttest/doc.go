// Package transporttest is the conformance suite every transport.Transport must pass: the
// in-memory twin and the NATS adapter run the same tests (raft's transport tests, gonum's
// testblas). A test file calls Run with a Setup that builds two connected Transports:
//
//	func TestConformance(t *testing.T) {
//		transporttest.Run(t, func(t *testing.T, opts transport.Options) transporttest.Pair {
//			bus := transport.NewBus(0)
//			a, _ := transport.NewMem(bus, opts)
//			b, _ := transport.NewMem(bus, opts)
//			return transporttest.Pair{A: a, B: b, Raw: func(s string, d []byte) error { return bus.PublishRaw(s, "", d) }}
//		})
//	}
//
// The suite checks delivery and per-publisher order, chunked messages of several MiB arriving
// whole, concurrent publishers, wildcards, request/reply (large both ways, concurrent, no
// responders, cancellation), garbled and foreign network messages dropped and reported
// without harm, stale incomplete messages dropped by an injected clock, slow consumers,
// Unsubscribe and Close. Waits are bounded only to turn a hang into a failure; no test
// depends on how fast anything runs.
package transporttest
