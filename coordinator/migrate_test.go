package coordinator

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hymbaserve/hymbaserve/shard"
)

func plan(replicas ...[]shard.Stage) *shard.Plan {
	p := &shard.Plan{Layers: 8}
	for _, r := range replicas {
		p.Replicas = append(p.Replicas, shard.Replica{Stages: r})
	}
	return p
}

// TestTransfersOfADrain: dropping a replica keeps the others' sequences in place and moves the
// dropped replica's sequences, all layers, to the least loaded survivors in turn.
func TestTransfersOfADrain(t *testing.T) {
	from := plan([]shard.Stage{{Worker: "a", Last: 8}}, []shard.Stage{{Worker: "b", Last: 8}}, []shard.Stage{{Worker: "c", Last: 8}})
	to := plan([]shard.Stage{{Worker: "a", Last: 8}}, []shard.Stage{{Worker: "c", Last: 8}})
	seqs := map[uint64][2]int{1: {0, 5}, 2: {1, 3}, 3: {1, 9}, 4: {2, 1}, 5: {0, 2}}
	assign := assignReplicas(seqs, from, to)
	if assign[1] != 0 || assign[5] != 0 || assign[4] != 1 {
		t.Fatalf("sequences of kept replicas moved: %v", assign)
	}
	if assign[2] != 1 || assign[3] != 0 {
		t.Fatalf("the drained replica's sequences went to %d and %d, want 1 (less loaded) then 0 (tie)", assign[2], assign[3])
	}
	got := transferStrings(transfers(seqs, assign, from, to))
	if want := []string{"b→a [0,8) [3]", "b→c [0,8) [2]"}; !slices.Equal(got, want) {
		t.Fatalf("transfers %v, want %v", got, want)
	}
}

// TestTransfersOfARecut: a replica whose cut points change gets, for every new stage, the
// layers from whichever old stage held them — from the same worker too (a graft).
func TestTransfersOfARecut(t *testing.T) {
	from := plan([]shard.Stage{{Worker: "a", First: 0, Last: 4}, {Worker: "b", First: 4, Last: 8}})
	to := plan([]shard.Stage{{Worker: "b", First: 0, Last: 3}, {Worker: "c", First: 3, Last: 8}})
	seqs := map[uint64][2]int{7: {0, 4}}
	got := transferStrings(transfers(seqs, assignReplicas(seqs, from, to), from, to))
	want := []string{"a→b [0,3) [7]", "a→c [3,4) [7]", "b→c [4,8) [7]"}
	if !slices.Equal(got, want) {
		t.Fatalf("transfers %v, want %v", got, want)
	}
}

func transferStrings(ts []*transfer) []string {
	var out []string
	for _, t := range ts {
		out = append(out, fmt.Sprintf("%s→%s [%d,%d) %v", t.from, t.to, t.first, t.last, t.seqs))
	}
	slices.Sort(out)
	return out
}
