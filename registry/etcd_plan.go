package registry

import (
	"context"
	"fmt"
	"math/rand/v2"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Plan implements Registry.
func (e *Etcd) Plan(ctx context.Context) (PlanRecord, error) {
	if err := e.usable(); err != nil {
		return PlanRecord{}, err
	}
	rec, _, err := e.loadPlan(ctx)
	if err != nil {
		return PlanRecord{}, err
	}
	if rec.Epoch == 0 {
		return PlanRecord{}, ErrNoPlan
	}
	return rec, nil
}

// loadPlan returns the plan (Epoch 0 when absent) and the store revision.
func (e *Etcd) loadPlan(ctx context.Context) (PlanRecord, int64, error) {
	resp, err := e.cli.Get(ctx, e.keys.plan())
	if err != nil {
		return PlanRecord{}, 0, e.wrap("read plan", err)
	}
	if len(resp.Kvs) == 0 {
		return PlanRecord{}, resp.Header.Revision, nil
	}
	kv := resp.Kvs[0]
	return PlanRecord{Epoch: kv.ModRevision, Data: kv.Value}, resp.Header.Revision, nil
}

// CASPlan implements Registry.
func (e *Etcd) CASPlan(ctx context.Context, expectEpoch int64, data []byte) (PlanRecord, error) {
	if err := validatePlan(expectEpoch, data); err != nil {
		return PlanRecord{}, err
	}
	if err := e.usable(); err != nil {
		return PlanRecord{}, err
	}
	key := e.keys.plan()
	resp, err := e.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", expectEpoch)).
		Then(clientv3.OpPut(key, string(data))).
		Else(clientv3.OpGet(key)).
		Commit()
	if err != nil {
		return PlanRecord{}, e.wrap("write plan", err)
	}
	if resp.Succeeded {
		return PlanRecord{Epoch: resp.Header.Revision, Data: append([]byte(nil), data...)}, nil
	}
	var cur PlanRecord
	if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
		cur = PlanRecord{Epoch: kvs[0].ModRevision, Data: kvs[0].Value}
	}
	return cur, fmt.Errorf("%w: expected epoch %d, current %d", ErrEpochConflict, expectEpoch, cur.Epoch)
}

// WatchPlan implements Registry.
func (e *Etcd) WatchPlan(ctx context.Context) <-chan PlanRecord {
	out := make(chan PlanRecord)
	wctx, done, ok := e.life.watch(ctx)
	if !ok {
		close(out)
		return out
	}
	go func() {
		defer done()
		defer close(out)
		e.watchPlan(wctx, out)
	}()
	return out
}

// watchPlan emits every plan newer than the last one emitted. After an
// error or compaction it re-reads the key, so a consumer may skip epochs
// but never sees one twice or out of order.
func (e *Etcd) watchPlan(ctx context.Context, out chan<- PlanRecord) {
	var last int64
	for n := 0; ctx.Err() == nil && e.cli.Ctx().Err() == nil; n++ {
		var rec PlanRecord
		var rev int64
		err := retry(ctx, e.opts.Backoff, e.opts.RequestTimeout, e.log, "read plan", func(actx context.Context) error {
			var err error
			rec, rev, err = e.loadPlan(actx)
			return err
		})
		if err != nil {
			return
		}
		if rec.Epoch > last {
			if !send(ctx, out, rec) {
				return
			}
			last = rec.Epoch
		}
		next := e.followPlan(ctx, rev, last, out)
		if ctx.Err() != nil {
			return
		}
		if next > last {
			n = 0
		}
		last = next
		sleep(ctx, e.opts.Backoff.Delay(min(n, 16), rand.Float64()))
	}
}

func (e *Etcd) followPlan(ctx context.Context, rev, last int64, out chan<- PlanRecord) int64 {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for resp := range e.cli.Watch(wctx, e.keys.plan(), clientv3.WithRev(rev+1)) {
		if compactedWatch(resp) || resp.Err() != nil {
			return last
		}
		for _, ev := range resp.Events {
			if ev.Type != mvccpb.PUT || ev.Kv.ModRevision <= last {
				continue // a deleted plan is not an epoch; keep serving the last one
			}
			if !send(ctx, out, PlanRecord{Epoch: ev.Kv.ModRevision, Data: ev.Kv.Value}) {
				return last
			}
			last = ev.Kv.ModRevision
		}
	}
	return last
}
