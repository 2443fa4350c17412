package coordinator

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"time"

	"google.golang.org/grpc/metadata"

	pb "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
	"github.com/hymbaserve/hymbaserve/client"
	"github.com/hymbaserve/hymbaserve/frontend"
)

// ForwardedByKey is the gRPC metadata key a forwarding coordinator adds to each call it sends
// to the leader (its id). A coordinator never forwards a call that carries it, so a request
// takes at most one hop even while two coordinators disagree about who leads.
const ForwardedByKey = "hymbaserve-forwarded-by"

// ForwardOptions configure a Forwarder.
type ForwardOptions struct {
	// From is the forwarding coordinator's id, sent as ForwardedByKey.
	From string
	// TLS, when not nil, makes the connection to the leader use TLS with it (the CA and server
	// name of the coordinators' server certificate); nil means plain text.
	TLS *tls.Config
	// Model is what Model reports: the forwarding coordinator's own copy of the served model's
	// description (every coordinator of a cluster serves the same model).
	Model frontend.ModelInfo
}

// Forwarder is a frontend.Backend and frontend.Operator that runs every call on a leading
// coordinator through its gRPC API. Generation streams chunk by chunk; cancelling a call's
// context cancels the leader's call; the leader's errors come back as the frontend error kinds
// they were sent from (InvalidArgument stays ErrInvalidRequest, naming the same field). The
// caller's API key travels with the call: the gRPC "authorization" metadata, or the HTTP
// header CarryAuthorization put into the context.
type Forwarder struct {
	addr string
	opt  ForwardOptions
	cl   *client.Client
}

var (
	_ frontend.Backend  = (*Forwarder)(nil)
	_ frontend.Operator = (*Forwarder)(nil)
)

// NewForwarder returns a Forwarder to the leader's gRPC address addr (host:port). It connects
// lazily, on the first call.
func NewForwarder(addr string, opt ForwardOptions) (*Forwarder, error) {
	opts := []client.Option{client.WithKeepalive(10 * time.Second)} // a leader host that vanishes fails the calls
	if opt.TLS != nil {
		opts = append(opts, client.WithTLS(opt.TLS.Clone()))
	}
	cl, err := client.Dial(addr, opts...)
	if err != nil {
		return nil, err
	}
	return &Forwarder{addr: addr, opt: opt, cl: cl}, nil
}

// Addr is the leader's address.
func (f *Forwarder) Addr() string { return f.addr }

// Close closes the connection; calls still running on it fail with ErrUnavailable.
func (f *Forwarder) Close() error { return f.cl.Close() }

// CheckHealth asks the leader's gRPC health service whether it serves.
func (f *Forwarder) CheckHealth(ctx context.Context) error { return f.cl.CheckHealth(ctx) }

// Model implements frontend.Backend with ForwardOptions.Model.
func (f *Forwarder) Model() frontend.ModelInfo { return f.opt.Model }

// Generate implements frontend.Backend: one Inference.Generate stream on the leader, each of
// its messages emitted as it arrives.
func (f *Forwarder) Generate(ctx context.Context, req *frontend.Request, emit func(frontend.Chunk) error) (frontend.Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the leader's call when emit fails
	out := f.outgoing(ctx)
	stream, err := f.cl.Inference().Generate(out, generateRequest(req))
	if err != nil {
		return frontend.Result{}, f.fromLeader(ctx, err)
	}
	var res frontend.Result
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil {
			return frontend.Result{}, f.fromLeader(ctx, err)
		}
		if len(m.GetTokenIds()) > 0 || m.GetText() != "" {
			if err := emit(frontend.Chunk{IDs: fromUint32s(m.GetTokenIds()), Text: m.GetText()}); err != nil {
				return frontend.Result{}, err
			}
		}
		if r := m.GetFinishReason(); r != "" {
			res.FinishReason = r
		}
		if u := m.GetUsage(); u != nil {
			res.PromptTokens, res.CompletionTokens = int(u.GetPromptTokens()), int(u.GetCompletionTokens())
		}
	}
}

// Tokenize implements frontend.Backend.
func (f *Forwarder) Tokenize(ctx context.Context, text string, addBOS bool) ([]int, error) {
	r, err := f.cl.Inference().Tokenize(f.outgoing(ctx), &pb.TokenizeRequest{Text: text, AddBos: &addBOS})
	if err != nil {
		return nil, f.fromLeader(ctx, err)
	}
	return fromUint32s(r.GetTokenIds()), nil
}

// Status implements frontend.Backend: the leader's Admin.Status.
func (f *Forwarder) Status(ctx context.Context) (*frontend.Status, error) {
	r, err := f.cl.Admin().Status(f.outgoing(ctx), &pb.StatusRequest{})
	if err != nil {
		return nil, f.fromLeader(ctx, err)
	}
	return statusFromProto(r), nil
}

// outgoing is ctx with the metadata of a forwarded call: the caller's Authorization and this
// coordinator's id.
func (f *Forwarder) outgoing(ctx context.Context) context.Context {
	kv := []string{ForwardedByKey, f.opt.From}
	if auth := callerAuthorization(ctx); auth != "" {
		kv = append(kv, "authorization", auth)
	}
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

type authKey struct{}

// CarryAuthorization puts each HTTP request's Authorization header into its context, where a
// Forwarder finds it (the frontend checks the key; the leader checks it again). Wrap a
// standby's OpenAI handler with it.
func CarryAuthorization(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth := r.Header.Get("Authorization"); auth != "" {
			r = r.WithContext(context.WithValue(r.Context(), authKey{}, auth))
		}
		h.ServeHTTP(w, r)
	})
}

// callerAuthorization is the Authorization of the call ctx belongs to: gRPC metadata, else
// what CarryAuthorization stored.
func callerAuthorization(ctx context.Context) string {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("authorization"); len(v) > 0 {
			return v[0]
		}
	}
	auth, _ := ctx.Value(authKey{}).(string)
	return auth
}

// forwardedBy is the id of the coordinator that forwarded the call ctx belongs to, "" if none.
func forwardedBy(ctx context.Context) string {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(ForwardedByKey); len(v) > 0 {
			return v[0]
		}
	}
	return ""
}
