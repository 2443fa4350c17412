package devstack

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
)

// fastReconnect caps gRPC's reconnect backoff at one second (the default
// grows to two minutes), so a client finds a restarted server promptly.
func fastReconnect() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
		Backoff: backoff.Config{
			BaseDelay:  100 * time.Millisecond,
			Multiplier: 1.6,
			Jitter:     0.2,
			MaxDelay:   time.Second,
		},
		MinConnectTimeout: time.Second,
	})}
}
