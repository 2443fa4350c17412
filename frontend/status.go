package frontend

import "time"

// Status is the cluster's state as the coordinator sees it.
type Status struct {
	// Ready is true when the cluster can serve requests.
	Ready bool
	// Model is the served model name.
	Model string
	// PlanEpoch is the revision of the layer plan in force.
	PlanEpoch uint64
	Workers   []WorkerStatus
	// PrefixHits counts requests that started from a cached prompt prefix; PrefixTokensSaved the
	// prompt tokens that were not recomputed.
	PrefixHits, PrefixTokensSaved uint64
	// PrefixEvictions counts prefix snapshots dropped to make room for a sequence.
	PrefixEvictions uint64
	// KVCacheDType is the type of the workers' K/V values ("f32", "bf16").
	KVCacheDType string
	// Preempted counts sequences preempted for memory and recomputed later.
	Preempted uint64
}

// WorkerStatus describes one worker.
type WorkerStatus struct {
	ID      string
	Address string // host:port the worker advertises
	State   WorkerState
	Stages  []StageAssignment
	Memory  MemoryStats
	Load    LoadStats
	// LastSeen is the last heartbeat; zero if none.
	LastSeen time.Time
}

// StageAssignment is one pipeline stage: layers [LayerBegin, LayerEnd) of
// a replica.
type StageAssignment struct {
	Replica    int
	Stage      int
	LayerBegin int
	LayerEnd   int
}

// MemoryStats are a worker's memory figures in bytes.
type MemoryStats struct {
	TotalBytes   uint64
	UsedBytes    uint64
	WeightsBytes uint64
	KVBytes      uint64
	PagesUsed    uint64 // K/V pages in use (shared meta pages included)
	PagesFree    uint64
	PageBytes    uint64
}

// LoadStats are a worker's current work.
type LoadStats struct {
	ActiveSequences int
	QueuedRequests  int
	TokensPerSecond float64
}

// WorkerState is a worker's place in its lifecycle. The values match the
// hymbaserve.v1.WorkerState enum.
type WorkerState int

// Worker states.
const (
	WorkerUnknown  WorkerState = iota
	WorkerJoining              // registered, loading; no serving stage yet
	WorkerReady                // serving its stages
	WorkerDraining             // handing off its work before leaving
	WorkerCordoned             // serving, but no new stages are placed on it
	WorkerSuspect              // suspected failed by gossip, not confirmed
	WorkerDown                 // confirmed failed or gone
)

var workerStateNames = [...]string{"unknown", "joining", "ready", "draining", "cordoned", "suspect", "down"}

// String returns the state's lower-case name.
func (s WorkerState) String() string {
	if s < 0 || int(s) >= len(workerStateNames) {
		return "unknown"
	}
	return workerStateNames[s]
}
