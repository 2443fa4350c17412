package coordinator

import (
	"context"

	pb "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
)

// GetPlan implements frontend.Operator on the leader.
func (f *Forwarder) GetPlan(ctx context.Context, r *pb.GetPlanRequest) (*pb.GetPlanResponse, error) {
	out, err := f.cl.Admin().GetPlan(f.outgoing(ctx), r)
	return out, f.fromLeader(ctx, err)
}

// Rebalance implements frontend.Operator on the leader.
func (f *Forwarder) Rebalance(ctx context.Context, r *pb.RebalanceRequest) (*pb.RebalanceResponse, error) {
	out, err := f.cl.Admin().Rebalance(f.outgoing(ctx), r)
	return out, f.fromLeader(ctx, err)
}

// Cordon implements frontend.Operator on the leader.
func (f *Forwarder) Cordon(ctx context.Context, r *pb.CordonRequest) (*pb.CordonResponse, error) {
	out, err := f.cl.Admin().Cordon(f.outgoing(ctx), r)
	return out, f.fromLeader(ctx, err)
}

// Drain implements frontend.Operator on the leader.
func (f *Forwarder) Drain(ctx context.Context, r *pb.DrainRequest) (*pb.DrainResponse, error) {
	out, err := f.cl.Admin().Drain(f.outgoing(ctx), r)
	return out, f.fromLeader(ctx, err)
}

// Move implements frontend.Operator on the leader.
func (f *Forwarder) Move(ctx context.Context, r *pb.MoveRequest) (*pb.MoveResponse, error) {
	out, err := f.cl.Admin().Move(f.outgoing(ctx), r)
	return out, f.fromLeader(ctx, err)
}
