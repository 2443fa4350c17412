package cluster

import (
	"github.com/hymbaserve/hymbaserve/internal/testpki"

	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hymbaserve/hymbaserve/client"
	"github.com/hymbaserve/hymbaserve/coordinator"
	"github.com/hymbaserve/hymbaserve/frontend"
	"github.com/hymbaserve/hymbaserve/shard"
)

// TestSecureStandby runs a leader and a standby that serve TLS with API keys: the standby
// checks the caller's key, forwards it to the leader over TLS verified with the servers' CA,
// and serves; a standby that does not trust the leader's certificate forwards nothing and is
// not ready.
func TestSecureStandby(t *testing.T) {
	ca := testpki.NewCA(t, "standby-ca")
	certFile, keyFile := ca.Server("coordinator")
	tlsCfg, err := ServerTLSConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	keys := frontend.NewKeySet([]string{"key-one"})
	d, _ := startDev(t, DevOptions{Workers: 1, ModelDir: tinyDir, Plan: shard.Options{Stages: 1}, TLS: tlsCfg, APIKeys: keys})
	pool := certPool(t, ca.File)
	api := ServeOptions{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", TLS: tlsCfg, Keys: keys}
	trusting := startSecureStandby(t, d, "coordinator-2", api, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for httpStatus(t, hc, "https://"+trusting.Servers.HTTPAddr+"/readyz", "") != http.StatusOK {
		sleepOrFail(t, ctx, "the standby never became ready over TLS")
	}
	gc := goldenCases(t)[0]
	c := dialCoordinator(t, trusting, client.WithTLS(&tls.Config{RootCAs: pool}), client.WithAPIKey("key-one"))
	checkGreedy(t, ctx, c, gc.InputIDs, gc.GreedyContinuation)
	if code := grpcStatus(t, trusting.Servers.GRPCAddr, client.WithTLS(&tls.Config{RootCAs: pool}), client.WithAPIKey("nope")); code != codes.Unauthenticated {
		t.Errorf("wrong key at the standby: %v, want Unauthenticated", code)
	}
	if got := httpStatus(t, hc, "https://"+trusting.Servers.HTTPAddr+"/v1/models", "key-one"); got != http.StatusOK {
		t.Errorf("/v1/models with the key through the standby: %d", got)
	}

	distrusting := startSecureStandby(t, d, "coordinator-3", api, &tls.Config{RootCAs: nil, ServerName: "localhost"})
	c3 := dialCoordinator(t, distrusting, client.WithTLS(&tls.Config{RootCAs: pool}), client.WithAPIKey("key-one"))
	for {
		_, err := c3.Generate(ctx, client.IDsRequest(gc.InputIDs, 2), nil)
		if status.Code(err) == codes.Unavailable && strings.Contains(err.Error(), "leader at "+d.Coordinator.AdvertiseGRPC()) {
			break
		}
		sleepOrFail(t, ctx, "a standby that distrusts the leader's certificate: "+err.Error())
	}
	if got := httpStatus(t, hc, "https://"+distrusting.Servers.HTTPAddr+"/readyz", ""); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz of a standby that cannot reach the leader: %d, want 503", got)
	}
}

func startSecureStandby(t *testing.T, d *Dev, id string, api ServeOptions, leaderTLS *tls.Config) *Coordinator {
	t.Helper()
	co, err := StartCoordinator(context.Background(), d.Endpoints,
		coordinator.Config{ID: id, ModelDir: tinyDir, FollowInterval: 100 * time.Millisecond, LeaderTLS: leaderTLS, Log: quiet},
		api, dialOptions(DevOptions{Fast: true, Log: slog.New(slog.DiscardHandler)}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(co.Close)
	return co
}
