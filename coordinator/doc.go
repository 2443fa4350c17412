// Package coordinator is the hymbaserve coordinator: it campaigns for leadership, watches the
// registered workers, plans the layers over them with package shard and commits the plan to the
// registry by compare-and-swap (the record's revision is the plan epoch), waits until every
// stage of the plan serves it, and then runs requests: tokenization and chat templating, the
// engine's scheduler, and an executor that carries each step through a replica's stages.
//
// Coordinator implements frontend.Backend for the requests it runs itself. The API servers sit
// on Front, which routes each call: to the coordinator while it serves, otherwise (a standby)
// to the leader through a Forwarder, a gRPC client of the leader's Inference and Admin
// services that streams chunk by chunk, passes the caller's API key on and maps the leader's
// errors back to frontend error kinds. A standby follows the election (the leader's id, then
// the gRPC address the leader registered, Config.AdvertiseGRPC) and checks the leader's gRPC
// health every Config.FollowInterval; it is ready while that check succeeds. Forwarded calls
// carry ForwardedByKey and are never forwarded again. docs/control-plane.md records the
// decisions.
package coordinator
