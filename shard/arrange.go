package shard

import (
	"cmp"
	"slices"
)

// maxPermuted is the deepest replica whose every pipeline order is tried (4! = 24 orders).
const maxPermuted = 4

// canonical sorts workers by memory, then speed (both descending), then ID: the order every
// decision is taken in, so that a plan does not depend on the order workers were listed in.
func canonical(ws []Worker) {
	slices.SortFunc(ws, func(a, b Worker) int {
		if c := cmp.Compare(b.MemBytes, a.MemBytes); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Speed, a.Speed); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// arrange picks the pipeline order of one replica's workers (given in canonical order) and
// partitions the layers over them. Up to maxPermuted workers it tries every order; deeper
// replicas put the two largest-memory workers at the ends, which hold the embedding and the head.
func (p *profile) arrange(group []Worker) (split, bool) {
	if len(group) > maxPermuted {
		order := make([]Worker, 0, len(group))
		order = append(order, group[0])
		order = append(order, group[2:]...)
		return p.partition(append(order, group[1]))
	}
	var best split
	found := false
	permute(group, func(order []Worker) {
		if sp, ok := p.partition(order); ok && (!found || sp.better(best)) {
			best, found = sp, true
		}
	})
	return best, found
}

// permute calls fn with every ordering of ws, in lexicographic order of positions, starting with
// ws as given. fn must not keep the slice.
func permute(ws []Worker, fn func([]Worker)) {
	idx := make([]int, len(ws))
	for i := range idx {
		idx[i] = i
	}
	buf := make([]Worker, len(ws))
	for {
		for i, k := range idx {
			buf[i] = ws[k]
		}
		fn(buf)
		if !nextPermutation(idx) {
			return
		}
	}
}

// nextPermutation advances idx to the next permutation in lexicographic order, reporting
// false after the last one.
func nextPermutation(idx []int) bool {
	i := len(idx) - 2
	for i >= 0 && idx[i] >= idx[i+1] {
		i--
	}
	if i < 0 {
		return false
	}
	j := len(idx) - 1
	for idx[j] <= idx[i] {
		j--
	}
	idx[i], idx[j] = idx[j], idx[i]
	slices.Reverse(idx[i+1:])
	return true
}
