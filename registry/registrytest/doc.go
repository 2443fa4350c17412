// Package registrytest is the conformance suite for registry.Registry.
// Every implementation (the etcd adapter and the in-memory twin) must pass
// Run; other packages can rely on the behaviour it checks instead of on a
// particular backend.
//
// Run calls the factory once per simulated process. Handles made with the
// same *testing.T must share one cluster (like processes pointed at one
// etcd cluster and cluster name); handles made with different ones must be
// isolated. Each handle must implement Faults so that the suite can crash a
// process, make the store drop its leases, and compact history. The
// factory registers the handle's cleanup (Close, and closing its client).
//
// The suite uses real time: lease expiry tests wait for the backend's TTL,
// so factories should use registry.LocalTestOptions (1 s TTLs). Waits are
// bounded generously (tens of seconds) and never asserted as timings.
package registrytest
