// Package engine runs generation requests: a Scheduler batches the sequences of many requests
// into steps (prefill chunks and decode tokens together, sequences joining and leaving at step
// boundaries), samples each sequence's next token, applies stop conditions and streams text.
//
// An Executor runs a step. Local runs it in this process on a model.Model; the cluster's
// coordinator runs it through a pipeline of workers. The scheduler cannot tell them apart, which
// is what makes a cluster's output identical to one process.
package engine
