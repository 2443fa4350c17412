package coordinator

import (
	pb "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
	"github.com/hymbaserve/hymbaserve/frontend"
)

// generateRequest is req as the leader's Inference.Generate takes it: every value the
// frontend resolved is sent explicitly, so the leader runs the same request.
func generateRequest(req *frontend.Request) *pb.GenerateRequest {
	mt, temp, topP, rep := uint32(req.MaxTokens), req.Temperature, req.TopP, req.RepetitionPenalty
	out := &pb.GenerateRequest{MaxTokens: &mt, Temperature: &temp, TopP: &topP, RepetitionPenalty: &rep,
		TopK: uint32(req.TopK), Stop: req.Stop, RequestId: req.ID}
	if req.Seed != nil {
		seed := *req.Seed
		out.Seed = &seed
	}
	switch {
	case req.PromptIDs != nil:
		out.Prompt = &pb.GenerateRequest_Ids{Ids: &pb.TokenIds{Ids: toUint32s(req.PromptIDs)}}
	case req.Chat:
		msgs := make([]*pb.ChatMessage, len(req.Messages))
		for i, m := range req.Messages {
			msgs[i] = &pb.ChatMessage{Role: m.Role, Content: m.Content}
		}
		out.Prompt = &pb.GenerateRequest_Chat{Chat: &pb.ChatMessages{Messages: msgs}}
	default:
		out.Prompt = &pb.GenerateRequest_Text{Text: req.Prompt}
	}
	return out
}

// statusFromProto is the leader's Admin.Status answer as a frontend.Status.
func statusFromProto(r *pb.StatusResponse) *frontend.Status {
	st := &frontend.Status{Ready: r.GetReady(), Model: r.GetModelName(), PlanEpoch: r.GetPlanEpoch(),
		PrefixHits: r.GetPrefixHits(), PrefixTokensSaved: r.GetPrefixTokensSaved(), PrefixEvictions: r.GetPrefixEvictions(),
		KVCacheDType: r.GetKvCacheDtype(), Preempted: r.GetSequencesPreempted()}
	for _, w := range r.GetWorkers() {
		st.Workers = append(st.Workers, workerFromProto(w))
	}
	return st
}

func workerFromProto(w *pb.Worker) frontend.WorkerStatus {
	m, l := w.GetMemory(), w.GetLoad()
	out := frontend.WorkerStatus{ID: w.GetId(), Address: w.GetAddress(), State: frontend.WorkerState(w.GetState()),
		Memory: frontend.MemoryStats{TotalBytes: m.GetTotalBytes(), UsedBytes: m.GetUsedBytes(), WeightsBytes: m.GetWeightsBytes(),
			KVBytes: m.GetKvBytes(), PagesUsed: m.GetPagesUsed(), PagesFree: m.GetPagesFree(), PageBytes: m.GetPageBytes()},
		Load: frontend.LoadStats{ActiveSequences: int(l.GetActiveSequences()), QueuedRequests: int(l.GetQueuedRequests()),
			TokensPerSecond: l.GetTokensPerSecond()},
	}
	if w.GetLastSeen() != nil {
		out.LastSeen = w.GetLastSeen().AsTime()
	}
	for _, s := range w.GetStages() {
		out.Stages = append(out.Stages, frontend.StageAssignment{Replica: int(s.GetReplica()), Stage: int(s.GetStage()),
			LayerBegin: int(s.GetLayerBegin()), LayerEnd: int(s.GetLayerEnd())})
	}
	return out
}

func toUint32s(ids []int) []uint32 {
	out := make([]uint32, len(ids))
	for i, id := range ids {
		out[i] = uint32(id)
	}
	return out
}

func fromUint32s(ids []uint32) []int {
	if len(ids) == 0 {
		return nil
	}
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}
