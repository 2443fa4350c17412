package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	v1 "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
)

// Client talks to one coordinator.
type Client struct {
	conn  *grpc.ClientConn
	inf   v1.InferenceClient
	admin v1.AdminClient
}

// Option configures Dial.
type Option func(*dialConfig)

type dialConfig struct {
	apiKey    string
	tls       *tls.Config
	keepalive time.Duration
}

// WithKeepalive pings the server every interval while calls are in flight and drops the
// connection when a ping is not answered within interval/2, so that a call to a host that
// vanished without closing its connections fails instead of hanging. hymbaserve's servers
// accept pings every 5 s or more.
func WithKeepalive(interval time.Duration) Option {
	return func(c *dialConfig) { c.keepalive = interval }
}

// WithAPIKey sends key on every call (metadata "authorization: Bearer KEY"). Without TLS the
// key crosses the network in clear text.
func WithAPIKey(key string) Option { return func(c *dialConfig) { c.apiKey = key } }

// WithTLS makes the connection use TLS with cfg (nil: the system roots, default settings).
func WithTLS(cfg *tls.Config) Option {
	return func(c *dialConfig) {
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		c.tls = cfg
	}
}

// bearer is the API key as per-call credentials.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

// RequireTransportSecurity is false: a cluster may take keys over plain text on a trusted
// network (docs/security.md).
func (bearer) RequireTransportSecurity() bool { return false }

// Dial connects to addr (host:port), in plain text unless WithTLS is given. The connection is
// made lazily, on the first call.
func Dial(addr string, opts ...Option) (*Client, error) {
	var dc dialConfig
	for _, o := range opts {
		o(&dc)
	}
	gopts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if dc.tls != nil {
		gopts[0] = grpc.WithTransportCredentials(credentials.NewTLS(dc.tls))
	}
	if dc.apiKey != "" {
		gopts = append(gopts, grpc.WithPerRPCCredentials(bearer(dc.apiKey)))
	}
	if dc.keepalive > 0 {
		gopts = append(gopts, grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: dc.keepalive, Timeout: dc.keepalive / 2}))
	}
	conn, err := grpc.NewClient(addr, gopts...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &Client{conn: conn, inf: v1.NewInferenceClient(conn), admin: v1.NewAdminClient(conn)}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Result is a finished generation.
type Result struct {
	IDs              []int
	Text             string
	FinishReason     string
	PromptTokens     int
	CompletionTokens int
}

// Generate runs req, calling onChunk (if not nil) with each streamed response.
func (c *Client) Generate(ctx context.Context, req *v1.GenerateRequest, onChunk func(*v1.GenerateResponse)) (Result, error) {
	stream, err := c.inf.Generate(ctx, req)
	if err != nil {
		return Result{}, err
	}
	var r Result
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return r, nil
		}
		if err != nil {
			return r, err
		}
		for _, id := range m.GetTokenIds() {
			r.IDs = append(r.IDs, int(id))
		}
		r.Text += m.GetText()
		if m.GetFinishReason() != "" {
			r.FinishReason = m.GetFinishReason()
		}
		if u := m.GetUsage(); u != nil {
			r.PromptTokens, r.CompletionTokens = int(u.GetPromptTokens()), int(u.GetCompletionTokens())
		}
		if onChunk != nil {
			onChunk(m)
		}
	}
}

// IDsRequest builds a greedy request for a token-id prompt.
func IDsRequest(ids []int, maxTokens int) *v1.GenerateRequest {
	u := make([]uint32, len(ids))
	for i, id := range ids {
		u[i] = uint32(id)
	}
	mt, greedy := uint32(maxTokens), float32(0)
	return &v1.GenerateRequest{Prompt: &v1.GenerateRequest_Ids{Ids: &v1.TokenIds{Ids: u}}, MaxTokens: &mt, Temperature: &greedy}
}

// Tokenize returns the token ids of text.
func (c *Client) Tokenize(ctx context.Context, text string, addBOS bool) ([]int, error) {
	r, err := c.inf.Tokenize(ctx, &v1.TokenizeRequest{Text: text, AddBos: &addBOS})
	if err != nil {
		return nil, err
	}
	ids := make([]int, len(r.GetTokenIds()))
	for i, id := range r.GetTokenIds() {
		ids[i] = int(id)
	}
	return ids, nil
}

// Status returns the cluster's status.
func (c *Client) Status(ctx context.Context) (*v1.StatusResponse, error) {
	return c.admin.Status(ctx, &v1.StatusRequest{})
}

// Admin returns the Admin service client (plan, rebalance, cordon, drain).
func (c *Client) Admin() v1.AdminClient { return c.admin }
