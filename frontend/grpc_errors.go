package frontend

import (
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
)

// errorDomain is the ErrorInfo domain of this API's errors.
const errorDomain = "hymbaserve.v1"

// grpcError maps err to a gRPC status with details: ErrorInfo (reason =
// the OpenAI error code in upper case), BadRequest naming the field at
// fault, and RetryInfo for retryable kinds.
func grpcError(err error) error {
	ae := describe(err)
	st := status.New(ae.class.grpc, ae.msg)
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: strings.ToUpper(ae.code), Domain: errorDomain}}
	if ae.param != "" {
		details = append(details, &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: ae.param, Description: ae.msg},
		}})
	}
	if ae.class.retryable {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(time.Second)})
	}
	if withDetails, derr := st.WithDetails(details...); derr == nil {
		st = withDetails
	}
	return st.Err()
}
