package coordinator

import (
	"log/slog"
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
// refused where there is none, and a sequence that finds no room has snapshots dropped for it
// (through evict) before it is refused.
func TestLedgerChargesPrefixSnapshots(t *testing.T) {
	l, plan := testLedger(t)
	one := l.seqBytes(0, 8, 100)
	l.setRoute(plan, map[string]int64{"a": 0, "b": 0, "c": one}) // replica 0 has no room at all
	snap := [32]byte{1}
	if l.holdSnapshot([32]byte{2}, 0, 64) {
		t.Fatal("a snapshot was charged to a replica without room")
	}
	if !l.holdSnapshot(snap, 1, 64) {
		t.Fatal("a snapshot was refused with room left")
	}
	if got, want := l.reserved()["c"], model.MaxSeqBytes(l.cfg, 0, 8, 64); got != want {
		t.Fatalf("snapshot charged %d bytes, want %d (a sequence of its length)", got, want)
	}
	if l.Reserve(1, 100) {
		t.Fatal("a sequence was admitted on top of the snapshot beyond the worker's memory")
	}
	evicted := 0
	l.evict = func() bool {
		if evicted > 0 {
			return false
		}
		evicted++
		l.dropSnapshot(snap)
		return true
	}
	if !l.Reserve(1, 100) || evicted != 1 {
		t.Fatalf("sequence not admitted after its snapshot could be dropped (evictions %d)", evicted)
	}
	if l.Reserve(2, 100) {
		t.Fatal("a second sequence was admitted with nothing left to evict")
	}
	if got := l.reserved()["c"]; got != one {
		t.Fatalf("reserved %d after the eviction, want one sequence's %d", got, one)
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
