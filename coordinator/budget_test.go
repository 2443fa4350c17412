package coordinator

import (
	"log/slog"
	"strings"
	"testing"

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
	return newLedger(cfg, ex), plan
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
