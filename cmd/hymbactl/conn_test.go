package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hymbaserve/hymbaserve/cluster"
	"github.com/hymbaserve/hymbaserve/frontend"
)

// TestRemoteSecurity runs remote commands against a cluster that serves TLS and wants an
// API key: the key from --api-key, --api-key-file or $HYMBA_API_KEY with the CA from
// --tls-ca gets in; no key, a wrong key, plain text or an unknown CA does not.
func TestRemoteSecurity(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
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
	addr, ca := "--addr="+d.Coordinator.Servers.GRPCAddr, "--tls-ca="+certFile
	for _, tc := range []struct {
		name   string
		env    string
		args   []string
		wantOK bool
		want   string // in stdout when it succeeds, in stderr when it fails
	}{
		{"key and CA", "", []string{"status", addr, ca, "--api-key=s3cret"}, true, "plan epoch"},
		{"key file", "", []string{"plan", addr, ca, "--api-key-file=" + keyPath}, true, "current plan"},
		{"key from the environment", "s3cret", []string{"generate", addr, ca, "--ids=1,2,3", "--max-tokens=2", "--json"}, true, `"completion_tokens":2`},
		{"no key", "", []string{"status", addr, ca}, false, "Unauthenticated"},
		{"wrong key", "", []string{"rebalance", "--dry-run", addr, ca, "--api-key=nope"}, false, "Unauthenticated"},
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

// selfSigned writes a self-signed certificate for 127.0.0.1 (its own CA) and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hymbactl-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	for path, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: kder}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}
