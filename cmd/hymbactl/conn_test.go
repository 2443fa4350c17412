package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hymbaserve/hymbaserve/internal/testpki"

	"github.com/hymbaserve/hymbaserve/cluster"
	"github.com/hymbaserve/hymbaserve/frontend"
)

// TestRemoteSecurity runs remote commands against a cluster that serves TLS and wants an
// API key: the key from --api-key, --api-key-file or $HYMBA_API_KEY with the CA from
// --tls-ca gets in; no key, a wrong key, plain text or an unknown CA does not.
func TestRemoteSecurity(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t, "hymbactl-test")
	certFile, keyFile := ca.Server("coordinator")
	tlsCfg, err := cluster.ServerTLSConfig(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	d, err := cluster.StartDev(context.Background(), cluster.DevOptions{ModelDir: "../../testdata/golden/tiny-hymba",
		Fast: true, Dir: t.TempDir(), Log: quiet, TLS: tlsCfg, APIKeys: frontend.NewKeySet([]string{"s3cret"})})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := d.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "keys")
	if err := os.WriteFile(keyPath, []byte("# ops key first\ns3cret\nother\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, caFlag := "--addr="+d.Coordinator.Servers.GRPCAddr, "--tls-ca="+ca.File
	for _, tc := range []struct {
		name   string
		env    string
		args   []string
		wantOK bool
		want   string // in stdout when it succeeds, in stderr when it fails
	}{
		{"key and CA", "", []string{"status", addr, caFlag, "--api-key=s3cret"}, true, "plan epoch"},
		{"key file", "", []string{"plan", addr, caFlag, "--api-key-file=" + keyPath}, true, "current plan"},
		{"key from the environment", "s3cret", []string{"generate", addr, caFlag, "--ids=1,2,3", "--max-tokens=2", "--json"}, true, `"completion_tokens":2`},
		{"no key", "", []string{"status", addr, caFlag}, false, "Unauthenticated"},
		{"wrong key", "", []string{"rebalance", "--dry-run", addr, caFlag, "--api-key=nope"}, false, "Unauthenticated"},
		{"plain text", "", []string{"status", addr, "--api-key=s3cret"}, false, "Unavailable"},
		{"unknown CA", "", []string{"status", addr, "--tls", "--api-key=s3cret"}, false, "certificate"},
		{"insecure", "", []string{"status", addr, "--insecure", "--api-key=s3cret"}, true, "plan epoch"},
		{"key flags without --addr", "", []string{"generate", "--ids=1", "--api-key=s3cret"}, false, "give --addr"},
		{"both key flags", "", []string{"status", addr, "--api-key=a", "--api-key-file=" + keyPath}, false, "not both"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(apiKeyEnv, tc.env)
			out, errOut, code := runCLI(t, tc.args...)
			if (code == 0) != tc.wantOK || !strings.Contains(map[bool]string{true: out, false: errOut}[tc.wantOK], tc.want) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want success %v with %q", tc.args, code, out, errOut, tc.wantOK, tc.want)
			}
		})
	}
}
