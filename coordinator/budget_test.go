package coordinator

import (
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/hymbaserve/hymbaserve/kvshare"
	"github.com/hymbaserve/hymbaserve/model"
	"github.com/hymbaserve/hymbaserve/pipeline"
	"github.com/hymbaserve/hymbaserve/shard"
	"github.com/hymbaserve/hymbaserve/transport"
)

func testLedger(t *testing.T) (*ledger, *shard.Plan) {
	cfg, err := model.LoadConfig("../testdata/golden/tiny-hymba")
	if err != nil {
		t.Fatal(err)
	}
	bus := transport.NewBus(0)
	tr, err := transport.NewMem(bus, transport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := transport.NewSubjects("t")
	ex, err := pipeline.NewExecutor(tr, subj, "c", slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	plan := &shard.Plan{Layers: 8, Replicas: []shard.Replica{
		{Stages: []shard.Stage{{Worker: "a", First: 0, Last: 3}, {Worker: "b", First: 3, Last: 8}}},
		{Stages: []shard.Stage{{Worker: "c", First: 0, Last: 8}}},
	}}
	ex.SetRoute(pipeline.Route{Epoch: 1, Plan: plan})
	return newLedger(cfg, kvshare.F32, ex), plan
}

// TestLedgerAdmitsWhileEveryStageHasRoom: sequences go to the replica with room, wait when no
// replica has room, come back after Free, and one that could never fit is refused by name.
func TestLedgerAdmitsWhileEveryStageHasRoom(t *testing.T) {
	l, plan := testLedger(t)
	per := l.seqBytes(0, 8, 100)
	l.setRoute(plan, map[string]int64{"a": 2 * l.seqBytes(0, 3, 100), "b": 2 * l.seqBytes(3, 8, 100), "c": per})
	for seq := range uint64(3) {
		if !l.Reserve(seq, 100) {
			t.Fatalf("sequence %d refused with room left", seq)
		}
	}
	if l.Reserve(9, 100) {
		t.Fatal("a fourth sequence was admitted beyond every replica's memory")
	}
	if got := l.reserved(); got["c"] != per || got["a"]+got["b"] != 2*per {
		t.Fatalf("reserved %v, want c=%d and a+b=%d", got, per, 2*per)
	}
	l.Free(1)
	if !l.Reserve(9, 100) {
		t.Fatal("no room after a sequence was freed")
	}
	if err := l.Fits(100000); err == nil || !strings.Contains(err.Error(), "offers") {
		t.Fatalf("Fits of an enormous sequence: %v", err)
	}
	if l.Fits(100) != nil {
		t.Fatal("a sequence that fits was refused")
	}
}

// TestLedgerChargesPrefixSnapshots: a snapshot takes room like a sequence of its length, is
// refused where there is none, and a sequence that finds no room has the snapshots of the
// replica it could then use dropped for it (through evict); when dropping snapshots cannot make
// room, none is dropped.
func TestLedgerChargesPrefixSnapshots(t *testing.T) {
	l, plan := testLedger(t)
	one, snap := l.seqBytes(0, 8, 100), model.MaxSeqBytes(l.cfg, 0, 8, 32)
	l.setRoute(plan, map[string]int64{"a": 0, "b": 0, "c": one + snap}) // replica 0 has no room at all
	if l.holdSnapshot([32]byte{9}, 0, 64) {
		t.Fatal("a snapshot was charged to a replica without room")
	}
	held := map[[32]byte]bool{}
	for _, k := range [][32]byte{{1}, {2}} {
		if !l.holdSnapshot(k, 1, 32) {
			t.Fatalf("snapshot %d refused with room left", k[0])
		}
		held[k] = true
	}
	if got, want := l.reserved()["c"], 2*snap; got != want {
		t.Fatalf("two snapshots charged %d bytes, want %d (each a sequence of its length)", got, want)
	}
	if l.Reserve(1, 100) {
		t.Fatal("a sequence was admitted on top of the snapshots beyond the worker's memory")
	}
	var evicted []int
	l.evict = func(r int) bool {
		evicted = append(evicted, r)
		for k := range held {
			delete(held, k)
			l.dropSnapshot(k)
			return true
		}
		return false
	}
	if !l.Reserve(1, 100) || !slices.Equal(evicted, []int{1}) || len(held) != 1 {
		t.Fatalf("sequence not admitted after one snapshot could be dropped (evictions on replicas %v, want [1]; %d snapshots left, want 1)", evicted, len(held))
	}
	evicted = nil
	if l.Reserve(2, 100) || len(evicted) != 0 {
		t.Fatalf("a second sequence: admitted, or evictions on replicas %v although dropping the snapshot cannot make room", evicted)
	}
}

// TestLedgerGrows: a reservation grows while its replica has room and the growth is returned
// by Free.
func TestLedgerGrows(t *testing.T) {
	l, plan := testLedger(t)
	l.setRoute(plan, map[string]int64{"a": 0, "b": 0, "c": l.seqBytes(0, 8, 60)})
	if !l.Reserve(1, 20) || !l.Grow(1, 60) {
		t.Fatal("a reservation could not grow within the worker's room")
	}
	if got, want := l.reserved()["c"], l.seqBytes(0, 8, 60); got != want {
		t.Fatalf("reserved %d after growing to 60 tokens, want %d", got, want)
	}
	if l.Grow(1, 100) {
		t.Fatal("a reservation grew beyond the worker's room")
	}
	l.Free(1)
	if got := l.reserved()["c"]; got != 0 {
		t.Fatalf("reserved %d after Free, want 0", got)
	}
}
