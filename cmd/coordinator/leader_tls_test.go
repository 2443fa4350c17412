package main

import (
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hymbaserve/hymbaserve/internal/testpki"
)

// TestLeaderTLSConfig: without --tls-cert standbys forward in plain text; with it they verify
// the leader against --leader-tls-ca under the first name of the shared certificate, unless
// --leader-tls-server-name says otherwise; a CA file without a certificate is an error naming it.
func TestLeaderTLSConfig(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t, "coordinators")
	cert, _ := ca.Issue("named", x509.ExtKeyUsageServerAuth, []string{"hymba-coordinator.hymba.svc", "other.example"}, nil)
	ipOnly, _ := ca.Issue("ip-only", x509.ExtKeyUsageServerAuth, nil, []net.IP{net.ParseIP("10.0.0.7")})
	if cfg, err := leaderTLSConfig(&options{}); cfg != nil || err != nil {
		t.Errorf("no --tls-cert: %v %v, want plain text", cfg, err)
	}
	cfg, err := leaderTLSConfig(&options{tlsCert: cert, leaderCA: ca.File})
	if err != nil || cfg.ServerName != "hymba-coordinator.hymba.svc" || cfg.RootCAs == nil {
		t.Errorf("default name: %+v %v", cfg, err)
	}
	if cfg, err := leaderTLSConfig(&options{tlsCert: ipOnly}); err != nil || cfg.ServerName != "10.0.0.7" || cfg.RootCAs != nil {
		t.Errorf("IP-only certificate, system roots: %+v %v", cfg, err)
	}
	if cfg, err := leaderTLSConfig(&options{tlsCert: cert, leaderName: "x.example"}); err != nil || cfg.ServerName != "x.example" {
		t.Errorf("--leader-tls-server-name: %+v %v", cfg, err)
	}
	notPEM := filepath.Join(dir, "ca.txt")
	os.WriteFile(notPEM, []byte("nothing"), 0o600)
	if _, err := leaderTLSConfig(&options{tlsCert: cert, leaderCA: notPEM}); err == nil || !strings.Contains(err.Error(), notPEM) {
		t.Errorf("bad CA file: %v, want an error naming %s", err, notPEM)
	}
	if _, err := leaderTLSConfig(&options{tlsCert: notPEM}); err == nil || !strings.Contains(err.Error(), "--leader-tls-server-name") {
		t.Errorf("certificate without a name: %v, want an error pointing at --leader-tls-server-name", err)
	}
}
