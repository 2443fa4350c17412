package shard

import "github.com/hymbaserve/hymbaserve/model"

// Boundaries returns the layer indices at which a stage may start, in increasing order, with 0
// first and NumHiddenLayers last: every index c such that no kv_reuse_group has a member below c
// and a member at or above c. A plan's stages start and end only on these boundaries, so the
// K/V a consumer reads never crosses a hop. len(Boundaries)−1 is the deepest allowed pipeline.
func Boundaries(cfg *model.Config) []int {
	pts := []int{0}
	for c := 1; c < cfg.NumHiddenLayers; c++ {
		if splitsGroup(cfg, c) < 0 {
			pts = append(pts, c)
		}
	}
	return append(pts, cfg.NumHiddenLayers)
}

// splitsGroup returns the index of a kv_reuse_group that a cut before layer c would split,
// or -1 if none does.
func splitsGroup(cfg *model.Config, c int) int {
	for gi, g := range cfg.KVReuseGroup {
		if len(g) > 0 && g[0] < c && c <= g[len(g)-1] {
			return gi
		}
	}
	return -1
}
