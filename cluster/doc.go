// Package cluster assembles the processes of a hymbaserve cluster from their parts: it dials
// etcd and NATS, builds the registry and transport on them, and runs workers, a coordinator and
// the API servers. The cmd binaries are thin flag parsers over it, and Dev runs a whole cluster
// in one process (embedded etcd and NATS, N workers each with their own clients) for
// `coordinator --dev` and the integration tests.
package cluster
