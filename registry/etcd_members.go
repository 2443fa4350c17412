package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Members implements Registry. A member record that does not decode makes
// the listing fail with an error naming its key.
func (e *Etcd) Members(ctx context.Context) ([]Member, int64, error) {
	if err := e.usable(); err != nil {
		return nil, 0, err
	}
	set, rev, err := e.loadMembers(ctx, 0, true)
	if err != nil {
		return nil, 0, err
	}
	return set.list(), rev, nil
}

// loadMembers reads the member records and cordons at rev (0: now). With
// strict unset, records that do not decode are logged and skipped.
func (e *Etcd) loadMembers(ctx context.Context, rev int64, strict bool) (*memberSet, int64, error) {
	opts := []clientv3.OpOption{clientv3.WithPrefix()}
	if rev > 0 {
		opts = append(opts, clientv3.WithRev(rev))
	}
	resp, err := e.cli.Get(ctx, e.keys.members(), opts...)
	if err != nil {
		return nil, 0, e.wrap("list members", err)
	}
	set := newMemberSet()
	for _, kv := range resp.Kvs {
		if _, err := e.memberEvent(set, mvccpb.PUT, kv); err != nil {
			if strict {
				return nil, 0, err
			}
			e.log.Warn("registry: skipping bad member record", "err", err)
		}
	}
	return set, resp.Header.Revision, nil
}

// memberEvent applies one put or delete of a key under members/ to set and
// returns the event a watcher should emit (Kind 0: none).
func (e *Etcd) memberEvent(set *memberSet, typ mvccpb.Event_EventType, kv *mvccpb.KeyValue) (MembersEvent, error) {
	kind, id := e.keys.parseMemberKey(string(kv.Key))
	ev := MembersEvent{Revision: kv.ModRevision}
	switch {
	case kind == keyInfo && typ == mvccpb.PUT:
		m, err := decodeMember(string(kv.Key), id, kv.Value)
		if err != nil {
			return MembersEvent{}, err
		}
		ev.Kind, ev.Member = MemberPut, set.put(m)
	case kind == keyInfo:
		ev.Kind, ev.Member = MemberDelete, set.remove(id)
	case kind == keyCordon:
		if m, changed := set.cordon(id, typ == mvccpb.PUT); changed {
			ev.Kind, ev.Member = MemberPut, m
		}
	}
	return ev, nil
}

// cordonRecord is the value of a cordon key.
type cordonRecord struct {
	Since time.Time `json:"since"`
}

// SetCordon implements Registry.
func (e *Etcd) SetCordon(ctx context.Context, id string, cordoned bool) error {
	if err := ValidateID("member id", id); err != nil {
		return err
	}
	if err := e.usable(); err != nil {
		return err
	}
	ck := e.keys.cordon(id)
	if !cordoned {
		_, err := e.cli.Delete(ctx, ck)
		return e.wrap("uncordon "+id, err)
	}
	val, _ := json.Marshal(cordonRecord{Since: time.Now().UTC()})
	resp, err := e.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(e.keys.member(id)), ">", 0)).
		Then(clientv3.OpPut(ck, string(val))).
		Commit()
	if err != nil {
		return e.wrap("cordon "+id, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("%w: cordon %s: no key %s", ErrUnknownMember, id, e.keys.member(id))
	}
	return nil
}
