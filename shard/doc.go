// Package shard is the layer planner of the cluster: a pure function from a Hymba config, a pool
// of workers and the operator's options to a Plan, the assignment of contiguous layer ranges
// (pipeline stages) to workers, in one or more pipeline replicas.
//
// The planner performs no I/O and keeps no state; the same config, the same set of workers (in
// any order) and the same options always give the same plan. The coordinator calls it, stores the
// Plan as JSON under one etcd key, and routes activations with StageOf, WorkerOf and Next. Moves
// lists what changes per worker between two plans, for make-before-break rebalancing.
//
// # Rules every plan keeps
//
//   - Each replica covers layers [0, L) with contiguous, non-empty stages in pipeline order.
//   - Stages start only at Boundaries: no kv_reuse_group is split, so the K/V a consumer layer
//     reads never crosses a hop.
//   - The first stage holds the embedding and the meta tokens; the last stage holds the final
//     norm and the LM head. The head is tied to the embedding, so when these are different
//     workers each holds a copy of the V×H matrix, and both copies are counted.
//   - A worker's stage (weights + state for Options.MaxSeqs sequences of Options.ContextLen rows)
//     never exceeds its MemBytes. Cordoned workers get no layers; they and the workers left over
//     are listed in Plan.Unused.
//
// # Cost model
//
// LayerCosts gives each layer's weight bytes, state bytes per sequence and FLOPs per decoded
// token. Sliding-window KV owners hold at most window + meta rows per sequence, global layers
// ContextLen rows, consumers none; every layer holds a conv (D×K) and an SSM (D×N) state.
//
// For every pipeline depth s it allows, NewPlan takes the r·s largest workers for the most
// replicas r that fit, deals them out to replicas in a snake order, orders each replica's workers
// (all orders up to 4 stages) and cuts its layers with a dynamic program that minimises the
// slowest stage's FLOPs/Speed. It then estimates each candidate's decode throughput and per-token
// latency, charging every hop Options.HopLatency and a pipeline its bubbles when MaxSeqs < s, and
// keeps the highest throughput, then the lowest latency, then the shallowest. A small model such
// as Hymba-1.5B therefore runs as replicas whenever one worker can hold it, and as a pipeline when
// memory forces one. Options.Stages and Options.Replicas pin the shape. All replicas of a plan have
// the same depth. docs/planner.md has the formulas and the numbers for the real 1.5B config.
//
// # Example
//
//	cfg, err := model.LoadConfig("/models/hymba-1.5b")
//	...
//	plan, err := shard.NewPlan(cfg, []shard.Worker{
//		{ID: "gpu-a", MemBytes: 16 << 30, Speed: 5e13},
//		{ID: "cpu-b", MemBytes: 8 << 30, Speed: 2e10},
//	}, shard.DefaultOptions())
//	...
//	w, err := plan.WorkerOf(0, 17) // who runs layer 17 in replica 0
package shard
