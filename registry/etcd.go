package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Etcd is the Registry backed by etcd v3. Every key lives under
// /hymbaserve/<cluster>/ (see the package doc for the schema).
type Etcd struct {
	cli     *clientv3.Client
	cluster string
	keys    keys
	opts    Options
	log     *slog.Logger
	life    *lifecycle
}

var _ Registry = (*Etcd)(nil)

// NewEtcd returns a Registry for cluster using cli. The caller keeps
// ownership of cli and closes it after the Registry.
func NewEtcd(cli *clientv3.Client, cluster string, opts Options) (*Etcd, error) {
	if cli == nil {
		return nil, fmt.Errorf("%w: etcd client is nil", ErrInvalid)
	}
	if err := ValidateID("cluster name", cluster); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	return &Etcd{cli: cli, cluster: cluster, keys: newKeys(cluster), opts: opts,
		log: opts.Logger.With("cluster", cluster), life: newLifecycle()}, nil
}

// Cluster returns the cluster name.
func (e *Etcd) Cluster() string { return e.cluster }

// Close revokes registrations, resigns leaderships and ends watches.
func (e *Etcd) Close() error { return e.life.closeAll(e.opts.RequestTimeout) }

// usable returns ErrClosed when the registry or its client is closed.
func (e *Etcd) usable() error {
	if e.life.isClosed() {
		return ErrClosed
	}
	if e.cli.Ctx().Err() != nil {
		return fmt.Errorf("%w: etcd client closed", ErrClosed)
	}
	return nil
}

// wrap adds the operation to an etcd error and maps a closed client to
// ErrClosed.
func (e *Etcd) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if e.cli.Ctx().Err() != nil {
		return fmt.Errorf("registry: %s: %w: etcd client closed", op, ErrClosed)
	}
	return fmt.Errorf("registry: %s: %w", op, err)
}

func isLeaseNotFound(err error) bool {
	return errors.Is(err, rpctypes.ErrLeaseNotFound) || errors.Is(err, rpctypes.ErrGRPCLeaseNotFound)
}

func (e *Etcd) requestCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(e.life.ctx, e.opts.RequestTimeout)
}
