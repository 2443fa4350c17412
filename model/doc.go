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
//
// # K/V cache dtype
//
// LoadOptions.KVDType chooses the type of the K/V cache values (vLLM's kv_cache_dtype):
// kvshare.F32, the default, on which the golden tests and every bit-identical property are
// measured, or kvshare.BF16, which halves K/V memory (a Hymba-1.5B sequence at 8K tokens holds
// 83.3 MB instead of 158.5 MB, MaxSeqBytesDType). A bf16 part rounds each K/V row to bf16 (to
// nearest, ties to even) when it writes it, and the attention kernels widen it exactly when they
// read it; the meta template's pages are bf16 too. Writes are deterministic, so chunked equals
// whole, batched equals alone and export → import → continue stay bit-identical with bf16 K/V
// (against other bf16 runs); the logits move from the f32 ones by the rounding (≤ 0.06 on the
// golden cases). Conv and SSM state stay float32 in both modes: they are small (8.2 MB per 8K
// sequence), carried from step to step without end, and the scan is sensitive to their
// rounding — vLLM keeps Mamba state in float32 for the same reason. Exports carry the dtype and
// ship the 2-byte values; a part refuses an export of the other dtype (ErrKVDType), never
// converting rows silently.
package model
