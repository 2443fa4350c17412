// Package charttest tests the Helm chart in deploy/helm/hymbaserve and the Dockerfiles in
// deploy/docker, with no Kubernetes cluster and no container engine. It holds no code of its
// own; everything is in its tests:
//
//   - Rendering: the chart is installed with the Helm library (action.Install, client only,
//     dry run, Kubernetes v1.33) for the default values and for every values file in
//     deploy/helm/examples (small, external etcd and NATS, GPU workers with autoscaling,
//     model from a PVC, model downloaded at start, API keys/TLS/ServiceMonitor).
//   - Objects: every rendered object is decoded strictly into the Kubernetes API types
//     (client-go's scheme; unknown fields, wrong types, bad quantities and unknown kinds
//     fail), the ServiceMonitor into a copy of the Prometheus Operator fields it uses;
//     names, labels, selectors and references between objects are checked.
//   - Lint: helm lint for Kubernetes v1.33 reports no warning for any values set, and the
//     chart refuses Kubernetes versions below its kubeVersion.
//   - Values: values.schema.json rejects unknown keys and wrong types, and the chart's
//     cross-value checks fail with messages naming the values at fault.
//   - Wiring: ports, probes, flags and addresses agree across objects (container ports and
//     --grpc/--http flags, Service target ports, the preStop drain address and the
//     coordinator Service, etcd endpoints and members, the NATS URL and Service).
//   - Binaries: the coordinator, worker and hymbactl are built; one coordinator and two workers
//     run with exactly the rendered arguments (ids and addresses replaced by loopback ones)
//     against real etcd and NATS servers, and every probe path of their pods must answer 200.
//     hymbactl must have the drain and uncordon subcommands the hooks call, and the rendered
//     uncordon init script and preStop drain hook then run against the live cluster: the
//     drained worker must end up holding no layers while the coordinator stays ready. The etcd
//     flags are parsed with etcd's own flag set and its probe paths fetched from a real etcd
//     v3.7 server; the rendered nats.conf is parsed by nats-server's configuration parser and
//     its probe paths fetched from a real server run from it.
//   - Images: each Dockerfile is multi-stage, builds the CPU binaries with CGO_ENABLED=0 (the
//     CUDA worker with -tags cuda on an nvidia/cuda base), runs as a non-root USER, copies
//     binaries of cmd/ directories that exist, uses a Go version not older than go.mod's, and
//     its .dockerignore keeps every file the binaries are built from.
//
// The binaries test is skipped with -short (it builds three binaries); everything else runs
// in well under a minute on two cores.
package charttest
