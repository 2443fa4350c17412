package pipeline

import (
	"encoding/json"
	"fmt"

	"github.com/hymbaserve/hymbaserve/kvshare"
	"github.com/hymbaserve/hymbaserve/shard"
)

// PlanDoc is the plan document the coordinator writes to the registry; its epoch is the
// registry's revision of the record.
type PlanDoc struct {
	Model       string      `json:"model"`              // served model name
	Coordinator string      `json:"coordinator"`        // the leader that wrote it: logits and error frames go to its subject
	Bucket      string      `json:"bucket,omitempty"`   // Object Store bucket holding the weights, for workers without a model directory
	KVDType     string      `json:"kv_dtype,omitempty"` // K/V page type of every stage: "f32" (also when empty) or "bf16"
	Plan        *shard.Plan `json:"plan"`
}

// KV returns the K/V page type the document asks for; an unknown one is an error naming it.
func (d *PlanDoc) KV() (kvshare.DType, error) {
	if d.KVDType == "" {
		return kvshare.F32, nil
	}
	dt, err := kvshare.ParseDType(d.KVDType)
	if err != nil {
		return 0, fmt.Errorf("plan document: kv_dtype: %w", err)
	}
	return dt, nil
}

// ParsePlanDoc decodes a plan document.
func ParsePlanDoc(b []byte) (*PlanDoc, error) {
	var d PlanDoc
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("plan document: %w", err)
	}
	if d.Plan == nil || len(d.Plan.Replicas) == 0 {
		return nil, fmt.Errorf("plan document: no replicas")
	}
	if _, err := d.KV(); err != nil {
		return nil, err
	}
	return &d, nil
}

// CtlRequest is the JSON body of a control request to a worker (its ctl subject):
//
//	status                    → WorkerStatus
//	leave                     → the worker deregisters and stops
//	prepare first last gen    → load layers [first,last) beside the stage in force, for the next
//	                            plan (migration gen: the prepared stage takes only its imports)
//	send seqs first last to gen → export the sequences' state for those layers (Stage.Export) and
//	                            have worker `to` import it, directly; replies {"ok","bytes"}
//	graft seqs first last     → copy those layers of the sequences into the prepared stage
//	abort                     → forget the prepared stage
//	snapshot seqs=[s]         → keep a copy of s's state at its position (a prompt prefix)
//	fork seqs=[s,n] first=p   → start sequence n from the snapshot of s at p
//	unsnap seqs=[s] first=p   → forget that snapshot
//
// The prepared stage takes imports on the worker's kv subject — the migration's gen (8 bytes,
// little-endian) then a Stage.Export body; an import of another migration is refused — and
// becomes the stage in force when a plan gives the worker exactly its layers.
type CtlRequest struct {
	Op    string   `json:"op"`
	First int      `json:"first,omitempty"`
	Last  int      `json:"last,omitempty"`
	Seqs  []uint64 `json:"seqs,omitempty"`
	To    string   `json:"to,omitempty"`  // send: the worker that imports
	Gen   uint64   `json:"gen,omitempty"` // prepare, send: the migration the state belongs to
}

// WorkerStatus is what a worker reports about itself.
type WorkerStatus struct {
	ID          string `json:"id"`
	Epoch       uint64 `json:"epoch"` // plan epoch its stage serves (0: none yet)
	Replica     int    `json:"replica"`
	Stage       int    `json:"stage"`
	First       int    `json:"first"`
	Last        int    `json:"last"`
	Loaded      bool   `json:"loaded"` // a stage is loaded and serving
	Seqs        int    `json:"seqs"`
	StateBytes  int64  `json:"state_bytes"`
	WeightBytes int64  `json:"weight_bytes"`
	PagesUsed   int    `json:"pages_used"` // K/V pages of the stage's pool in use (shared meta pages included)
	PagesFree   int    `json:"pages_free"` // allocated pages on the free list
	PageBytes   int64  `json:"page_bytes"`
	KVDType     string `json:"kv_dtype,omitempty"` // the stage's K/V page type (f32, bf16)
	Steps       uint64 `json:"steps"`              // steps served
	Errors      uint64 `json:"errors"`             // steps refused
	LoadError   string `json:"load_error,omitempty"`
}
