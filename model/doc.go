// Package model is the Hymba forward pass: the weights of a Hymba checkpoint (or of a range of its
// layers, for a pipeline stage), the per-sequence state a stage keeps (KV rings, conv and SSM
// state), and the batched step that runs stacked rows of several sequences through the layers.
//
// The math follows docs/hymba-architecture.md of the shared design folder, including the official
// code's quirks: meta tokens prepended on a sequence's first forward, positions that count them,
// NTK RoPE, prefill window W+1 versus decode window W, consumers of a kv_reuse_group reading the
// producer's (trimmed) cache.
//
// A step is a list of segments, one per sequence, whose rows are stacked: row-wise work (norms,
// projections, MLP) runs once over all rows, attention, convolution and scan per segment over that
// sequence's own state. Kernels guarantee that a row's result does not depend on the other rows,
// so batched equals alone and chunked prefill equals whole, bit for bit.
package model
