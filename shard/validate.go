package shard

import (
	"fmt"

	"github.com/hymbaserve/hymbaserve/model"
)

// Validate checks the plan's structure against the model config: every replica covers layers
// [0, L) contiguously in order with non-empty stages, no stage boundary splits a kv_reuse_group,
// the embedding is on the first stage only and the head on the last only, and each worker holds
// at most one stage and is not also listed as unused. Plans read back from etcd or written by an
// operator go through it; the error names the replica, stage and worker at fault.
func (p *Plan) Validate(cfg *model.Config) error {
	if p.Layers != cfg.NumHiddenLayers {
		return fmt.Errorf("shard: plan is for %d layers, the model has %d", p.Layers, cfg.NumHiddenLayers)
	}
	if len(p.Replicas) == 0 {
		return fmt.Errorf("shard: plan has no replicas")
	}
	seen := map[string]string{}
	for r, rep := range p.Replicas {
		if err := validateReplica(cfg, rep, r, seen); err != nil {
			return err
		}
	}
	for _, id := range p.Unused {
		if where, dup := seen[id]; dup {
			return fmt.Errorf("shard: unused worker %q also holds %s", id, where)
		}
		seen[id] = "the unused list"
	}
	return nil
}

func validateReplica(cfg *model.Config, rep Replica, r int, seen map[string]string) error {
	if len(rep.Stages) == 0 {
		return fmt.Errorf("shard: replica %d has no stages", r)
	}
	next, last := 0, len(rep.Stages)-1
	for s, st := range rep.Stages {
		where := fmt.Sprintf("replica %d stage %d", r, s)
		if err := validateStage(cfg, st, where, next, s == 0, s == last); err != nil {
			return err
		}
		if prev, dup := seen[st.Worker]; dup {
			return fmt.Errorf("shard: %s: worker %q already holds %s", where, st.Worker, prev)
		}
		seen[st.Worker] = where
		next = st.Last
	}
	if next != cfg.NumHiddenLayers {
		return fmt.Errorf("shard: replica %d ends at layer %d, not %d", r, next, cfg.NumHiddenLayers)
	}
	return nil
}

func validateStage(cfg *model.Config, st Stage, where string, first int, isFirst, isLast bool) error {
	switch {
	case st.Worker == "":
		return fmt.Errorf("shard: %s has no worker", where)
	case st.First != first:
		return fmt.Errorf("shard: %s (worker %q) starts at layer %d, want %d (stages must be contiguous and in order)",
			where, st.Worker, st.First, first)
	case st.Last <= st.First:
		return fmt.Errorf("shard: %s (worker %q) has an empty layer range [%d,%d)", where, st.Worker, st.First, st.Last)
	case st.Last > cfg.NumHiddenLayers:
		return fmt.Errorf("shard: %s (worker %q) ends at layer %d beyond the model's %d",
			where, st.Worker, st.Last, cfg.NumHiddenLayers)
	case st.Embed != isFirst:
		return fmt.Errorf("shard: %s (worker %q): embed = %v, want it on the first stage only", where, st.Worker, st.Embed)
	case st.Head != isLast:
		return fmt.Errorf("shard: %s (worker %q): head = %v, want it on the last stage only", where, st.Worker, st.Head)
	}
	if g := splitsGroup(cfg, st.First); st.First > 0 && g >= 0 {
		return fmt.Errorf("shard: %s (worker %q) starts at layer %d inside kv_reuse_group[%d] %v",
			where, st.Worker, st.First, g, cfg.KVReuseGroup[g])
	}
	return nil
}
