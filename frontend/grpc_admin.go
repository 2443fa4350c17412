package frontend

import (
	"context"
	"log/slog"

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
	out := &pb.StatusResponse{ModelName: st.Model, PlanEpoch: st.PlanEpoch, Ready: st.Ready}
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
			WeightsBytes: w.Memory.WeightsBytes, KvBytes: w.Memory.KVBytes},
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
