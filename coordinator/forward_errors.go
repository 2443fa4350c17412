package coordinator

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hymbaserve/hymbaserve/frontend"
)

// leaderErrorDomain is the ErrorInfo domain of the errors a coordinator's frontend sends.
const leaderErrorDomain = "hymbaserve.v1"

// fromLeader turns an error of a call on the leader back into what the frontend sends
// (nil stays nil). A status the leader's frontend made (it carries the hymbaserve ErrorInfo)
// keeps its kind, message, field and code, so the client sees what the leader said; a
// connection failure (leader gone, unreachable) is ErrUnavailable, naming the leader. The
// caller's own cancellation or deadline is returned as such.
func (f *Forwarder) fromLeader(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	st, _ := status.FromError(err)
	info, field := statusDetails(st)
	kind := kindOf(st.Code(), info)
	if kind == nil {
		return fmt.Errorf("leader at %s: %s: %s", f.addr, st.Code(), st.Message())
	}
	e := &frontend.Error{Kind: kind, Param: field, Msg: st.Message()}
	if info != nil {
		e.Code = strings.ToLower(info.GetReason())
	} else {
		e.Msg = "leader at " + f.addr + ": " + st.Message()
	}
	return e
}

// statusDetails returns the hymbaserve ErrorInfo of st (nil if none) and the field its
// BadRequest names ("" if none).
func statusDetails(st *status.Status) (*errdetails.ErrorInfo, string) {
	var info *errdetails.ErrorInfo
	field := ""
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if d.GetDomain() == leaderErrorDomain {
				info = d
			}
		case *errdetails.BadRequest:
			if v := d.GetFieldViolations(); len(v) > 0 {
				field = v[0].GetField()
			}
		}
	}
	return info, field
}

// kindOf is the frontend error kind of a gRPC code (the inverse of the frontend's catalogue);
// nil for codes that are no client error (Internal, Unauthenticated: the leader refused the
// caller's key that this coordinator admitted, a configuration fault).
func kindOf(code codes.Code, info *errdetails.ErrorInfo) error {
	switch code {
	case codes.InvalidArgument:
		if info.GetReason() == "CONTEXT_LENGTH_EXCEEDED" {
			return frontend.ErrContextLength
		}
		return frontend.ErrInvalidRequest
	case codes.NotFound:
		return frontend.ErrNotFound
	case codes.ResourceExhausted:
		return frontend.ErrOverloaded
	case codes.Unavailable:
		return frontend.ErrUnavailable
	case codes.Canceled: // not the caller's cancel (fromLeader checked): the connection was closed
		return frontend.ErrUnavailable
	case codes.DeadlineExceeded:
		return context.DeadlineExceeded
	}
	return nil
}
