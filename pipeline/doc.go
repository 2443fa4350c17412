// Package pipeline runs Hymba as a pipeline of stages: a Stage holds a contiguous range of layers
// and the per-sequence state for them, and turns one step frame into the next (token ids →
// hidden rows → … → logits). Workers serve stages over a transport; the coordinator's Executor
// sends steps through a replica's stages and collects the logits.
//
// A stage runs exactly the computation the whole model runs for its layers, and hidden rows
// travel as float32, so a pipeline of N stages gives bit-identical logits to one process.
package pipeline
