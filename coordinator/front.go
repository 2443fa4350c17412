package coordinator

import (
	"context"
	"errors"

	"google.golang.org/grpc"

	pb "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
	"github.com/hymbaserve/hymbaserve/frontend"
)

// Front is what a coordinator's API servers serve: the coordinator itself while it serves a
// plan, and otherwise (a standby) the leader, through a Forwarder to the address the leader
// registered. Calls another coordinator forwarded are never forwarded again. Status answers
// the readiness probes (/readyz, the gRPC health service) from memory: a standby is ready
// while the leader answered its last health check; Admin.Status calls go to the leader.
type Front struct{ c *Coordinator }

var (
	_ frontend.Backend  = Front{}
	_ frontend.Operator = Front{}
)

// Front returns the coordinator's routing Backend.
func (c *Coordinator) Front() Front { return Front{c} }

// route returns the Forwarder a call goes to (done ends the call's count on it), or nil when
// this coordinator runs it.
func (f Front) route(ctx context.Context) (fwd *Forwarder, done func(), err error) {
	if f.c.Ready() || forwardedBy(ctx) != "" {
		return nil, nil, nil
	}
	return f.c.follow.target()
}

// forwarded ends a forwarded call: it counts it, and asks for a fresh look at the election
// when the leader could not be reached.
func (f Front) forwarded(done func(), err error) {
	done()
	f.c.stats.forwarded.Add(1)
	if errors.Is(err, frontend.ErrUnavailable) {
		f.c.follow.poke()
	}
}

// Model implements frontend.Backend with the coordinator's own copy of the model.
func (f Front) Model() frontend.ModelInfo { return f.c.Model() }

// Generate implements frontend.Backend.
func (f Front) Generate(ctx context.Context, req *frontend.Request, emit func(frontend.Chunk) error) (frontend.Result, error) {
	return operate(f, ctx, req,
		func(ctx context.Context, r *frontend.Request) (frontend.Result, error) {
			return f.c.Generate(ctx, r, emit)
		},
		func(fwd *Forwarder, ctx context.Context, r *frontend.Request) (frontend.Result, error) {
			return fwd.Generate(ctx, r, emit)
		})
}

// Tokenize implements frontend.Backend.
func (f Front) Tokenize(ctx context.Context, text string, addBOS bool) ([]int, error) {
	return operate(f, ctx, text,
		func(ctx context.Context, t string) ([]int, error) { return f.c.Tokenize(ctx, t, addBOS) },
		func(fwd *Forwarder, ctx context.Context, t string) ([]int, error) {
			return fwd.Tokenize(ctx, t, addBOS)
		})
}

// Status implements frontend.Backend. Inside a gRPC call (Admin.Status) a standby answers with
// the leader's status; for the probes it answers ready when the leader is reachable.
func (f Front) Status(ctx context.Context) (*frontend.Status, error) {
	if _, call := grpc.Method(ctx); !call {
		if f.c.Ready() || !f.c.follow.reachable() {
			return f.c.Status(ctx)
		}
		return &frontend.Status{Ready: true, Model: f.c.name, KVCacheDType: f.c.cfg.KVDType.String()}, nil
	}
	return operate(f, ctx, struct{}{},
		func(ctx context.Context, _ struct{}) (*frontend.Status, error) { return f.c.Status(ctx) },
		func(fwd *Forwarder, ctx context.Context, _ struct{}) (*frontend.Status, error) {
			return fwd.Status(ctx)
		})
}

// operate runs an Admin operation on the leader, or locally.
func operate[Req, Resp any](f Front, ctx context.Context, r Req, local func(context.Context, Req) (Resp, error),
	remote func(*Forwarder, context.Context, Req) (Resp, error)) (Resp, error) {
	fwd, done, err := f.route(ctx)
	switch {
	case err != nil:
		var zero Resp
		return zero, err
	case fwd == nil:
		return local(ctx, r)
	}
	out, err := remote(fwd, ctx, r)
	f.forwarded(done, err)
	return out, err
}

// GetPlan implements frontend.Operator.
func (f Front) GetPlan(ctx context.Context, r *pb.GetPlanRequest) (*pb.GetPlanResponse, error) {
	return operate(f, ctx, r, f.c.GetPlan, (*Forwarder).GetPlan)
}

// Rebalance implements frontend.Operator.
func (f Front) Rebalance(ctx context.Context, r *pb.RebalanceRequest) (*pb.RebalanceResponse, error) {
	return operate(f, ctx, r, f.c.Rebalance, (*Forwarder).Rebalance)
}

// Cordon implements frontend.Operator.
func (f Front) Cordon(ctx context.Context, r *pb.CordonRequest) (*pb.CordonResponse, error) {
	return operate(f, ctx, r, f.c.Cordon, (*Forwarder).Cordon)
}

// Drain implements frontend.Operator.
func (f Front) Drain(ctx context.Context, r *pb.DrainRequest) (*pb.DrainResponse, error) {
	return operate(f, ctx, r, f.c.Drain, (*Forwarder).Drain)
}

// Move implements frontend.Operator.
func (f Front) Move(ctx context.Context, r *pb.MoveRequest) (*pb.MoveResponse, error) {
	return operate(f, ctx, r, f.c.Move, (*Forwarder).Move)
}
