package registrytest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/hymbaserve/hymbaserve/registry"
)

func testPlanCAS(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r := newRegistry(t)
	if _, err := r.Plan(ctx); !errors.Is(err, registry.ErrNoPlan) {
		t.Fatalf("Plan on empty cluster: err = %v; want ErrNoPlan", err)
	}
	p1, err := r.CASPlan(ctx, 0, []byte(`{"v":1}`))
	if err != nil || p1.Epoch <= 0 || string(p1.Data) != `{"v":1}` {
		t.Fatalf("first CASPlan = %+v, %v; want epoch > 0", p1, err)
	}
	cur, err := r.CASPlan(ctx, 0, []byte(`{"v":"lost"}`))
	if !errors.Is(err, registry.ErrEpochConflict) || cur.Epoch != p1.Epoch {
		t.Fatalf("CASPlan(0) over a plan = %+v, %v; want ErrEpochConflict with epoch %d", cur, err, p1.Epoch)
	}
	p2, err := r.CASPlan(ctx, p1.Epoch, []byte(`{"v":2}`))
	if err != nil || p2.Epoch <= p1.Epoch {
		t.Fatalf("CASPlan(%d) = %+v, %v; want a higher epoch", p1.Epoch, p2, err)
	}
	if _, err := r.CASPlan(ctx, p1.Epoch, []byte(`{"v":"stale"}`)); !errors.Is(err, registry.ErrEpochConflict) {
		t.Fatalf("stale CASPlan: err = %v; want ErrEpochConflict", err)
	}
	got, err := newRegistry(t).Plan(ctx)
	if err != nil || got.Epoch != p2.Epoch || string(got.Data) != `{"v":2}` {
		t.Fatalf("peer Plan = %+v, %v; want epoch %d data v2", got, err, p2.Epoch)
	}
	for name, data := range map[string][]byte{"empty": nil, "not json": []byte("{oops"), "too big": make([]byte, registry.MaxPlanBytes+1)} {
		if _, err := r.CASPlan(ctx, p2.Epoch, data); !errors.Is(err, registry.ErrInvalid) {
			t.Errorf("CASPlan with %s data: err = %v; want ErrInvalid", name, err)
		}
	}
	if _, err := r.CASPlan(ctx, -1, []byte(`{}`)); !errors.Is(err, registry.ErrInvalid) {
		t.Errorf("CASPlan with epoch -1: err = %v; want ErrInvalid", err)
	}
}

func testPlanConcurrentCAS(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	base, err := newRegistry(t).CASPlan(ctx, 0, []byte(`{"v":0}`))
	if err != nil {
		t.Fatal(err)
	}
	const writers = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < writers; i++ {
		r := newRegistry(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.CASPlan(ctx, base.Epoch, []byte(fmt.Sprintf(`{"writer":%d}`, i)))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, registry.ErrEpochConflict):
				conflicts++
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || conflicts != writers-1 {
		t.Fatalf("%d wins, %d conflicts; want exactly 1 win", wins, conflicts)
	}
}

func testWatchPlan(t *testing.T, newRegistry Factory) {
	ctx := testCtx(t)
	r := newRegistry(t)
	wctx, cancel := context.WithCancel(ctx)
	early := r.WatchPlan(wctx)
	p1, err := newRegistry(t).CASPlan(ctx, 0, []byte(`{"v":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := recv(t, early, waitShort, "first plan"); got.Epoch != p1.Epoch || string(got.Data) != `{"v":1}` {
		t.Fatalf("watched %+v; want epoch %d", got, p1.Epoch)
	}
	late := r.WatchPlan(ctx) // starts with the current plan
	if got := recv(t, late, waitShort, "current plan"); got.Epoch != p1.Epoch {
		t.Fatalf("late watch started with epoch %d; want %d", got.Epoch, p1.Epoch)
	}
	p2, err := r.CASPlan(ctx, p1.Epoch, []byte(`{"v":2}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []<-chan registry.PlanRecord{early, late} {
		if got := recv(t, ch, waitShort, "second plan"); got.Epoch != p2.Epoch || got.Epoch <= p1.Epoch {
			t.Fatalf("watched epoch %d; want %d (> %d)", got.Epoch, p2.Epoch, p1.Epoch)
		}
	}
	cancel()
	drainClosed(t, early, "plan watch after its context ended")
}
