package client

import (
	"context"
	"fmt"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	v1 "github.com/hymbaserve/hymbaserve/api/hymbaserve/v1"
)

// CheckHealth asks the server's grpc.health.v1 service about the whole server (service ""):
// nil when it answers SERVING, an error saying what it answered otherwise. The health service
// needs no API key.
func (c *Client) CheckHealth(ctx context.Context) error {
	r, err := healthpb.NewHealthClient(c.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	if s := r.GetStatus(); s != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("%s answers %s", c.conn.Target(), s)
	}
	return nil
}

// Inference returns the Inference service client, for callers that handle the generation
// stream themselves (Generate collects it).
func (c *Client) Inference() v1.InferenceClient { return c.inf }
