// Package coordinator is the hymbaserve coordinator: it campaigns for leadership, watches the
// registered workers, plans the layers over them with package shard and commits the plan to the
// registry by compare-and-swap (the record's revision is the plan epoch), waits until every
// stage of the plan serves it, and then runs requests: tokenization and chat templating, the
// engine's scheduler, and an executor that carries each step through a replica's stages.
// It implements frontend.Backend, so the gRPC and OpenAI servers sit directly on it.
package coordinator
