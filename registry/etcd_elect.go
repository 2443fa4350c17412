package registry

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Campaign implements Registry with an etcd concurrency.Election under
// /hymbaserve/<cluster>/leader/. The candidate's key lives on its own lease
// (ElectionTTL), separate from any member registration.
func (e *Etcd) Campaign(ctx context.Context, id string) (*Leadership, error) {
	if err := ValidateID("candidate id", id); err != nil {
		return nil, err
	}
	if err := e.usable(); err != nil {
		return nil, err
	}
	g, err := e.cli.Grant(ctx, ttlSeconds(e.opts.ElectionTTL))
	if err != nil {
		return nil, e.wrap("campaign "+id+": grant lease", err)
	}
	sess, err := concurrency.NewSession(e.cli, concurrency.WithLease(g.ID), concurrency.WithContext(e.life.ctx))
	if err != nil {
		e.revokeQuietly(g.ID)
		return nil, e.wrap("campaign "+id+": session", err)
	}
	el := concurrency.NewElection(sess, e.keys.electionPrefix())
	if err := e.campaign(ctx, sess, el, id); err != nil {
		sess.Close()
		return nil, err
	}
	return e.lead(sess, el, id, time.Duration(g.TTL)*time.Second)
}

// campaign waits for el to be won, giving up when ctx ends or the session's
// lease is lost, and then checks that the candidate key survived the wait.
func (e *Etcd) campaign(ctx context.Context, sess *concurrency.Session, el *concurrency.Election, id string) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(sess.Ctx(), cancel)
	defer stop()
	err := el.Campaign(cctx, id)
	if err == nil {
		err = e.stillCandidate(ctx, el)
	}
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("registry: campaign %s: %w", id, ctx.Err())
	case sess.Ctx().Err() != nil:
		return fmt.Errorf("registry: campaign %s: %w", id, ErrLeaseLost)
	}
	return e.wrap("campaign "+id, err)
}

// stillCandidate checks that the candidate key exists with the revision
// the election recorded (the session could have expired while waiting).
func (e *Etcd) stillCandidate(ctx context.Context, el *concurrency.Election) error {
	resp, err := e.cli.Get(ctx, el.Key())
	if err != nil {
		return err
	}
	if len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != el.Rev() {
		return ErrLeaseLost
	}
	return nil
}

// lead wraps a won election in a Leadership that ends with the session or
// when no renewal of its lease arrived for ttl.
func (e *Etcd) lead(sess *concurrency.Session, el *concurrency.Election, id string, ttl time.Duration) (*Leadership, error) {
	var resigned atomic.Bool
	l := newLeadership(id, int64(sess.Lease()), func(ctx context.Context) error {
		resigned.Store(true)
		err := el.Resign(ctx)
		if cerr := sess.Close(); err == nil && !isLeaseNotFound(cerr) {
			err = cerr
		}
		return e.wrap("resign "+id, err)
	})
	l.onEnd = func() { e.life.dropLead(l) }
	if !e.life.addLead(l) {
		sess.Close()
		return nil, ErrClosed
	}
	kctx, stop := context.WithCancel(sess.Ctx())
	renewals, err := e.cli.KeepAlive(kctx, sess.Lease()) // shares the session's keepalive
	if err != nil {
		stop()
		l.Resign(context.Background())
		return nil, e.wrap("campaign "+id+": watch lease", err)
	}
	go func() {
		defer stop()
		watchLease(renewals, ttl)
		if !resigned.Load() {
			e.log.Warn("registry: leadership lost", "candidate", id, "lease", int64(sess.Lease()))
			go sess.Close() // drop the candidacy if the store is still there
		}
		l.end()
	}()
	return l, nil
}

// Leader implements Registry: the candidate with the oldest key leads.
func (e *Etcd) Leader(ctx context.Context) (string, error) {
	if err := e.usable(); err != nil {
		return "", err
	}
	resp, err := e.cli.Get(ctx, e.keys.electionKeyPrefix(), clientv3.WithFirstCreate()...)
	if err != nil {
		return "", e.wrap("read leader", err)
	}
	if len(resp.Kvs) == 0 {
		return "", ErrNoLeader
	}
	return string(resp.Kvs[0].Value), nil
}
