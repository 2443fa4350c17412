package registry

import (
	"context"
	"errors"
	"math/rand/v2"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// WatchMembers implements Registry.
func (e *Etcd) WatchMembers(ctx context.Context, fromRev int64) <-chan MembersEvent {
	out := make(chan MembersEvent)
	wctx, done, ok := e.life.watch(ctx)
	if !ok {
		close(out)
		return out
	}
	go func() {
		defer done()
		defer close(out)
		e.watchMembers(wctx, fromRev, out)
	}()
	return out
}

func (e *Etcd) watchMembers(ctx context.Context, fromRev int64, out chan<- MembersEvent) {
	var set *memberSet
	rev := fromRev
	if fromRev > 0 {
		s, _, err := e.loadMembers(ctx, fromRev, false)
		if err == nil {
			set = s
		} // compacted, future or unreachable: start from a fresh listing
	}
	for n := 0; ctx.Err() == nil && e.cli.Ctx().Err() == nil; n++ {
		if set == nil {
			if set, rev = e.syncMembers(ctx, out); set == nil {
				return
			}
		}
		next, compacted := e.followMembers(ctx, set, rev, out)
		if next > rev {
			n = 0 // the watch made progress: restart it promptly
		}
		rev = next
		if compacted {
			set = nil
			continue
		}
		sleep(ctx, e.opts.Backoff.Delay(min(n, 16), rand.Float64()))
	}
}

// syncMembers lists the members (retrying until ctx ends) and emits a
// MembersSync. It returns nil when ctx ended first.
func (e *Etcd) syncMembers(ctx context.Context, out chan<- MembersEvent) (*memberSet, int64) {
	var set *memberSet
	var rev int64
	err := retry(ctx, e.opts.Backoff, e.opts.RequestTimeout, e.log, "list members", func(actx context.Context) error {
		var err error
		set, rev, err = e.loadMembers(actx, 0, false)
		return err
	})
	if err != nil {
		return nil, 0
	}
	if !send(ctx, out, MembersEvent{Kind: MembersSync, Members: set.list(), Revision: rev}) {
		return nil, 0
	}
	return set, rev
}

// followMembers watches from rev+1 and emits events until the watch ends.
// It returns the last revision seen and whether history was compacted.
func (e *Etcd) followMembers(ctx context.Context, set *memberSet, rev int64, out chan<- MembersEvent) (int64, bool) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wch := e.cli.Watch(wctx, e.keys.members(), clientv3.WithPrefix(), clientv3.WithRev(rev+1))
	for resp := range wch {
		if compactedWatch(resp) {
			return rev, true
		}
		if resp.Err() != nil {
			e.log.Debug("registry: member watch ended", "err", resp.Err())
			return rev, false
		}
		for _, wev := range resp.Events {
			ev, err := e.memberEvent(set, wev.Type, wev.Kv)
			rev = wev.Kv.ModRevision
			if err != nil {
				e.log.Warn("registry: skipping bad member record", "err", err)
				continue
			}
			if ev.Kind != 0 && !send(ctx, out, ev) {
				return rev, false
			}
		}
	}
	return rev, false
}

func compactedWatch(resp clientv3.WatchResponse) bool {
	return resp.CompactRevision != 0 || errors.Is(resp.Err(), rpctypes.ErrCompacted)
}
