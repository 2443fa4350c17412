// Package kernels holds the numeric kernels of the Hymba forward pass on the CPU, in pure Go:
// matrix products against F32 or BF16 weights, RMSNorm, RoPE, attention over cache spans, the
// causal depthwise convolution and the Mamba selective scan.
//
// Exactness contract: every kernel computes each output element with a fixed order of operations
// that depends only on that element's inputs, never on the batch size n, on how rows are split
// between goroutines, or on the number of cores. This is what makes a batched step equal each
// sequence alone, chunked prefill equal whole prefill, and a pipeline of N workers equal one
// process, bit for bit.
//
// Every fast kernel has a plain reference twin (suffix Ref) and a parity test.
package kernels
