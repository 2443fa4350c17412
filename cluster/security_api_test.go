package cluster

import (
	"github.com/hymbaserve/hymbaserve/internal/testpki"

	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hymbaserve/hymbaserve/client"
)

// TestSecureAPI runs a cluster whose coordinator serves gRPC and HTTP over TLS with API keys
// from a file, and checks who gets in: the right key over TLS does, a wrong or missing key
// gets codes.Unauthenticated / 401, plain-text clients fail, probes and /metrics need no key.
// Then the key file and the server certificate are rewritten, and both take effect without
// a restart.
func TestSecureAPI(t *testing.T) {
	ca := testpki.NewCA(t, "api-ca")
	certFile, keyFile := ca.Server("coordinator")
	tlsCfg, err := ServerTLSConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	keysPath := filepath.Join(t.TempDir(), "api-keys")
	writeAtomic(t, keysPath, "# clients\nkey-one\n\n  key-two  \n")
	kf, err := OpenAPIKeyFile(keysPath, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go kf.Watch(ctx, 20*time.Millisecond, nil)
	d, plain := startDev(t, DevOptions{TLS: tlsCfg, APIKeys: kf.Keys()})
	srv := d.Coordinator.Servers
	if !srv.TLS {
		t.Fatal("Servers.TLS is false with a TLS config")
	}
	pool := certPool(t, ca.File)

	t.Run("grpc", func(t *testing.T) {
		if code := grpcStatus(t, srv.GRPCAddr, client.WithTLS(&tls.Config{RootCAs: pool}), client.WithAPIKey("key-two")); code != codes.OK {
			t.Errorf("right key over TLS: %v", code)
		}
		for name, opts := range map[string][]client.Option{
			"wrong key": {client.WithTLS(&tls.Config{RootCAs: pool}), client.WithAPIKey("key-three")},
			"no key":    {client.WithTLS(&tls.Config{RootCAs: pool})},
		} {
			if code := grpcStatus(t, srv.GRPCAddr, opts...); code != codes.Unauthenticated {
				t.Errorf("%s: %v, want Unauthenticated", name, code)
			}
		}
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		if _, err := plain.Status(sctx); err == nil || status.Code(err) == codes.Unauthenticated {
			t.Errorf("plain-text client: %v, want a transport failure", err)
		}
		if code := grpcStatus(t, srv.GRPCAddr, client.WithTLS(nil), client.WithAPIKey("key-one")); code != codes.Unavailable {
			t.Errorf("client not trusting the test CA: %v, want Unavailable", code)
		}
	})

	t.Run("http", func(t *testing.T) {
		base := "https://" + srv.HTTPAddr
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
		for _, tc := range []struct {
			path, key string
			want      int
		}{
			{"/v1/models", "key-one", 200}, {"/v1/models", "nope", 401}, {"/v1/models", "", 401},
			{"/healthz", "", 200}, {"/readyz", "", 200}, {"/metrics", "", 200},
		} {
			if got := httpStatus(t, hc, base+tc.path, tc.key); got != tc.want {
				t.Errorf("GET %s with key %q: %d, want %d", tc.path, tc.key, got, tc.want)
			}
		}
		if got := httpStatus(t, http.DefaultClient, "http://"+srv.HTTPAddr+"/healthz", ""); got == 200 {
			t.Error("plain HTTP to the TLS server answered 200")
		}
	})

	t.Run("key rotation", func(t *testing.T) {
		writeAtomic(t, keysPath, "key-new\n")
		opts := func(k string) []client.Option {
			return []client.Option{client.WithTLS(&tls.Config{RootCAs: pool}), client.WithAPIKey(k)}
		}
		pollUntil(t, "the new key", func() bool { return grpcStatus(t, srv.GRPCAddr, opts("key-new")...) == codes.OK })
		if code := grpcStatus(t, srv.GRPCAddr, opts("key-one")...); code != codes.Unauthenticated {
			t.Errorf("rotated-out key: %v, want Unauthenticated", code)
		}
		writeAtomic(t, keysPath, "# all keys removed by mistake\n")
		if _, err := kf.Reload(); err == nil {
			t.Fatal("Reload of a file without keys succeeded")
		}
		if code := grpcStatus(t, srv.GRPCAddr, opts("key-new")...); code != codes.OK {
			t.Errorf("after an empty key file the previous keys must stay in force: %v", code)
		}
		if code := grpcStatus(t, srv.GRPCAddr, opts("")...); code != codes.Unauthenticated {
			t.Errorf("after an empty key file, no key: %v, want Unauthenticated", code)
		}
	})

	t.Run("certificate rotation", func(t *testing.T) {
		before := peerSerial(t, srv.HTTPAddr, pool)
		ca.Server("coordinator") // rewrites certFile and keyFile with a new serial
		if after := peerSerial(t, srv.HTTPAddr, pool); after == before {
			t.Errorf("server still presents serial %v after its files were replaced", before)
		}
	})
}

func writeAtomic(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path+".tmp", []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

func certPool(t *testing.T, caFile string) *x509.CertPool {
	t.Helper()
	pool, err := LoadCAFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	return pool
}

// grpcStatus calls Admin.Status through a new client and returns the call's status code.
func grpcStatus(t *testing.T, addr string, opts ...client.Option) codes.Code {
	t.Helper()
	c, err := client.Dial(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = c.Status(ctx)
	return status.Code(err)
}

// httpStatus GETs url with the bearer key (if any) and returns the status code, 0 on a
// transport error.
func httpStatus(t *testing.T, hc *http.Client, url, key string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// peerSerial handshakes with addr and returns the serial number of the server's certificate.
func peerSerial(t *testing.T, addr string, pool *x509.CertPool) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

func pollUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
