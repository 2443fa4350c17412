package frontend

import (
	"context"
	"log/slog"
	"net/http"

	"google.golang.org/grpc"

	pb "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
)

// inferenceServer implements hymbaserve.v1.Inference over a Backend.
type inferenceServer struct {
	pb.UnimplementedInferenceServer
	b   Backend
	log *slog.Logger
}

// Generate validates the request, streams the backend's chunks, and ends
// with a message carrying finish_reason and usage.
func (s *inferenceServer) Generate(in *pb.GenerateRequest, stream grpc.ServerStreamingServer[pb.GenerateResponse]) error {
	req, err := requestFromProto(in, s.b.Model())
	if err != nil {
		return s.fail(stream.Context(), "Generate", req.ID, err)
	}
	first := true
	res, err := s.b.Generate(stream.Context(), &req, func(c Chunk) error {
		msg := &pb.GenerateResponse{TokenIds: toUint32s(c.IDs), Text: c.Text}
		if first {
			msg.RequestId, first = req.ID, false
		}
		return stream.Send(msg)
	})
	if err != nil {
		return s.fail(stream.Context(), "Generate", req.ID, err)
	}
	res = res.normalized()
	last := &pb.GenerateResponse{FinishReason: res.FinishReason, Usage: &pb.Usage{
		PromptTokens:     uint32(res.PromptTokens),
		CompletionTokens: uint32(res.CompletionTokens),
		TotalTokens:      uint32(res.PromptTokens + res.CompletionTokens),
	}}
	if first {
		last.RequestId = req.ID
	}
	return stream.Send(last)
}

// Tokenize returns the backend's token ids; add_bos defaults to true.
func (s *inferenceServer) Tokenize(ctx context.Context, in *pb.TokenizeRequest) (*pb.TokenizeResponse, error) {
	addBOS := in.AddBos == nil || *in.AddBos
	ids, err := s.b.Tokenize(ctx, in.GetText(), addBOS)
	if err != nil {
		return nil, s.fail(ctx, "Tokenize", "", err)
	}
	return &pb.TokenizeResponse{TokenIds: toUint32s(ids)}, nil
}

// fail logs server-side failures and returns err as a gRPC status.
func (s *inferenceServer) fail(ctx context.Context, method, reqID string, err error) error {
	return logAndConvert(ctx, s.log, method, reqID, err)
}

func logAndConvert(ctx context.Context, log *slog.Logger, method, reqID string, err error) error {
	if !validRequestID(reqID) { // keep malformed client ids out of the logs
		reqID = ""
	}
	level := slog.LevelDebug
	if describe(err).class.status >= http.StatusInternalServerError {
		level = slog.LevelError
	}
	log.Log(ctx, level, "grpc call failed", "method", method, "request_id", reqID, "err", err)
	return grpcError(err)
}

// requestFromProto converts and validates a GenerateRequest, filling the
// documented defaults and making up a request id when none is given.
func requestFromProto(in *pb.GenerateRequest, info ModelInfo) (Request, error) {
	req := newRequest(info)
	req.ID = in.GetRequestId()
	if req.ID == "" {
		req.ID = newRequestID()
	}
	if err := promptFromProto(in, &req); err != nil {
		return req, err
	}
	if in.MaxTokens != nil {
		req.MaxTokens = int(*in.MaxTokens)
	}
	setIf(&req.Temperature, in.Temperature)
	setIf(&req.TopP, in.TopP)
	setIf(&req.RepetitionPenalty, in.RepetitionPenalty)
	req.TopK = int(in.GetTopK())
	if in.Seed != nil {
		seed := *in.Seed
		req.Seed = &seed
	}
	req.Stop = in.GetStop()
	return req, validateRequest(&req, info)
}

func promptFromProto(in *pb.GenerateRequest, req *Request) error {
	switch p := in.GetPrompt().(type) {
	case *pb.GenerateRequest_Text:
		req.Prompt = p.Text
	case *pb.GenerateRequest_Ids:
		ids := p.Ids.GetIds()
		req.PromptIDs = make([]int, len(ids))
		for i, id := range ids {
			req.PromptIDs[i] = int(id)
		}
	case *pb.GenerateRequest_Chat:
		for _, m := range p.Chat.GetMessages() {
			req.Messages = append(req.Messages, Message{Role: m.GetRole(), Content: m.GetContent()})
		}
		req.Chat = true
	default:
		return invalidf("prompt", "prompt is required: set text, ids or chat")
	}
	return nil
}

func toUint32s(ids []int) []uint32 {
	if len(ids) == 0 {
		return nil
	}
	out := make([]uint32, len(ids))
	for i, id := range ids {
		out[i] = uint32(id)
	}
	return out
}
