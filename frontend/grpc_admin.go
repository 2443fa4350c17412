package frontend

import (
	"context"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
)

// adminServer implements hymbaserve.v1.Admin over a Backend.
type adminServer struct {
	pb.UnimplementedAdminServer
	b   Backend
	log *slog.Logger
}

// Status reports the backend's view of the cluster.
func (s *adminServer) Status(ctx context.Context, _ *pb.StatusRequest) (*pb.StatusResponse, error) {
	st, err := s.b.Status(ctx)
	if err != nil {
		return nil, logAndConvert(ctx, s.log, "Status", "", err)
	}
	if st == nil {
		st = &Status{}
	}
	out := &pb.StatusResponse{ModelName: st.Model, PlanEpoch: st.PlanEpoch, Ready: st.Ready,
		PrefixHits: st.PrefixHits, PrefixTokensSaved: st.PrefixTokensSaved, PrefixEvictions: st.PrefixEvictions,
		KvCacheDtype: st.KVCacheDType, SequencesPreempted: st.Preempted}
	if out.ModelName == "" {
		out.ModelName = s.b.Model().Name
	}
	for i := range st.Workers {
		out.Workers = append(out.Workers, workerToProto(&st.Workers[i]))
	}
	return out, nil
}

func workerToProto(w *WorkerStatus) *pb.Worker {
	out := &pb.Worker{
		Id: w.ID, Address: w.Address, State: stateToProto(w.State),
		Memory: &pb.Memory{TotalBytes: w.Memory.TotalBytes, UsedBytes: w.Memory.UsedBytes,
			WeightsBytes: w.Memory.WeightsBytes, KvBytes: w.Memory.KVBytes,
			PagesUsed: w.Memory.PagesUsed, PagesFree: w.Memory.PagesFree, PageBytes: w.Memory.PageBytes},
		Load: &pb.Load{ActiveSequences: uint32(w.Load.ActiveSequences),
			QueuedRequests: uint32(w.Load.QueuedRequests), TokensPerSecond: w.Load.TokensPerSecond},
	}
	if !w.LastSeen.IsZero() {
		out.LastSeen = timestamppb.New(w.LastSeen)
	}
	for _, a := range w.Stages {
		out.Stages = append(out.Stages, &pb.StageAssignment{Replica: uint32(a.Replica), Stage: uint32(a.Stage),
			LayerBegin: uint32(a.LayerBegin), LayerEnd: uint32(a.LayerEnd)})
	}
	return out
}

func stateToProto(s WorkerState) pb.WorkerState {
	if s < WorkerUnknown || s > WorkerDown {
		return pb.WorkerState_WORKER_STATE_UNSPECIFIED
	}
	return pb.WorkerState(s)
}

// Operator is implemented by backends that take operations (the coordinator). Backends without
// it answer the operation RPCs with Unimplemented.
type Operator interface {
	GetPlan(context.Context, *pb.GetPlanRequest) (*pb.GetPlanResponse, error)
	Rebalance(context.Context, *pb.RebalanceRequest) (*pb.RebalanceResponse, error)
	Cordon(context.Context, *pb.CordonRequest) (*pb.CordonResponse, error)
	Drain(context.Context, *pb.DrainRequest) (*pb.DrainResponse, error)
	Move(context.Context, *pb.MoveRequest) (*pb.MoveResponse, error)
}

func (s *adminServer) operator() (Operator, error) {
	if op, ok := s.b.(Operator); ok {
		return op, nil
	}
	return nil, status.Error(codes.Unimplemented, "this server takes no operations")
}

// GetPlan forwards to the backend's Operator.
func (s *adminServer) GetPlan(ctx context.Context, r *pb.GetPlanRequest) (*pb.GetPlanResponse, error) {
	op, err := s.operator()
	if err != nil {
		return nil, err
	}
	out, err := op.GetPlan(ctx, r)
	return out, s.opErr(ctx, "GetPlan", err)
}

// Rebalance forwards to the backend's Operator.
func (s *adminServer) Rebalance(ctx context.Context, r *pb.RebalanceRequest) (*pb.RebalanceResponse, error) {
	op, err := s.operator()
	if err != nil {
		return nil, err
	}
	out, err := op.Rebalance(ctx, r)
	return out, s.opErr(ctx, "Rebalance", err)
}

// Cordon forwards to the backend's Operator.
func (s *adminServer) Cordon(ctx context.Context, r *pb.CordonRequest) (*pb.CordonResponse, error) {
	op, err := s.operator()
	if err != nil {
		return nil, err
	}
	out, err := op.Cordon(ctx, r)
	return out, s.opErr(ctx, "Cordon", err)
}

// Drain forwards to the backend's Operator.
func (s *adminServer) Drain(ctx context.Context, r *pb.DrainRequest) (*pb.DrainResponse, error) {
	op, err := s.operator()
	if err != nil {
		return nil, err
	}
	out, err := op.Drain(ctx, r)
	return out, s.opErr(ctx, "Drain", err)
}

func (s *adminServer) opErr(ctx context.Context, method string, err error) error {
	if err == nil {
		return nil
	}
	return logAndConvert(ctx, s.log, method, "", err)
}

// Move forwards to the backend's Operator.
func (s *adminServer) Move(ctx context.Context, r *pb.MoveRequest) (*pb.MoveResponse, error) {
	op, err := s.operator()
	if err != nil {
		return nil, err
	}
	out, err := op.Move(ctx, r)
	return out, s.opErr(ctx, "Move", err)
}
