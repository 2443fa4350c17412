package registry

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Register implements Registry.
func (e *Etcd) Register(ctx context.Context, m Member) (*Registration, error) {
	if err := e.usable(); err != nil {
		return nil, err
	}
	r, err := register(ctx, e.life.ctx, e, m, e.opts)
	if err != nil {
		return nil, err
	}
	r.onClose = func() { e.life.dropReg(r) }
	if !e.life.addReg(r) {
		r.Close()
		return nil, ErrClosed
	}
	return r, nil
}

// acquire implements registrar: grant a lease, write the member key if it is
// free (or ours), and keep the lease alive.
func (e *Etcd) acquire(ctx context.Context, m Member, prev int64) (leaseHandle, error) {
	if err := e.usable(); err != nil {
		return leaseHandle{}, err
	}
	val, err := encodeMember(m)
	if err != nil {
		return leaseHandle{}, err
	}
	key := e.keys.member(m.ID)
	modRev, err := e.claimable(ctx, key, prev)
	if err != nil {
		return leaseHandle{}, err
	}
	g, err := e.cli.Grant(ctx, ttlSeconds(e.opts.TTL))
	if err != nil {
		return leaseHandle{}, e.wrap("grant lease for "+m.ID, err)
	}
	resp, err := e.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", modRev)).
		Then(clientv3.OpPut(key, string(val), clientv3.WithLease(g.ID))).
		Commit()
	if err == nil && !resp.Succeeded {
		err = fmt.Errorf("%w: %s changed while registering", ErrMemberExists, key)
	}
	if err != nil {
		e.revokeQuietly(g.ID)
		return leaseHandle{}, e.wrap("register "+m.ID, err)
	}
	return e.keepAlive(g.ID, time.Duration(g.TTL)*time.Second)
}

// claimable returns the mod revision of key if this registration may take
// it over: absent (0), held by lease prev, or held by no lease at all.
func (e *Etcd) claimable(ctx context.Context, key string, prev int64) (int64, error) {
	resp, err := e.cli.Get(ctx, key)
	if err != nil {
		return 0, e.wrap("read "+key, err)
	}
	if len(resp.Kvs) == 0 {
		return 0, nil
	}
	kv := resp.Kvs[0]
	if kv.Lease != 0 && kv.Lease != prev {
		return 0, fmt.Errorf("%w: %s is held by lease %x", ErrMemberExists, key, kv.Lease)
	}
	return kv.ModRevision, nil
}

// keepAlive starts keeping lease id alive; lost closes when the client
// gives up or no renewal arrived for ttl (see watchLease).
func (e *Etcd) keepAlive(id clientv3.LeaseID, ttl time.Duration) (leaseHandle, error) {
	kctx, stop := context.WithCancel(e.life.ctx)
	ch, err := e.cli.KeepAlive(kctx, id)
	if err != nil {
		stop()
		e.revokeQuietly(id)
		return leaseHandle{}, e.wrap("keep lease alive", err)
	}
	lost := make(chan struct{})
	go func() {
		watchLease(ch, ttl)
		stop()
		close(lost)
	}()
	return leaseHandle{id: int64(id), lost: lost, stop: stop}, nil
}

// watchLease returns when ch closes or when no renewal arrived for ttl, the
// point after which the server may have expired the lease. The client's own
// check is coarser: until a lease's first renewal it waits for its first
// keepalive timeout (5 s by default) rather than the TTL.
func watchLease(ch <-chan *clientv3.LeaseKeepAliveResponse, ttl time.Duration) {
	t := time.NewTimer(ttl)
	defer t.Stop()
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
			t.Reset(ttl)
		case <-t.C:
			return
		}
	}
}

// release implements registrar.
func (e *Etcd) release(ctx context.Context, h leaseHandle) error {
	h.stop()
	_, err := e.cli.Revoke(ctx, clientv3.LeaseID(h.id))
	if err != nil && !isLeaseNotFound(err) {
		return e.wrap(fmt.Sprintf("revoke lease %x", h.id), err)
	}
	return nil
}

func (e *Etcd) revokeQuietly(id clientv3.LeaseID) {
	ctx, cancel := e.requestCtx()
	defer cancel()
	_, _ = e.cli.Revoke(ctx, id)
}
