package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLeaderTLSConfig: without --tls-cert standbys forward in plain text; with it they verify
// the leader against --leader-tls-ca under the first name of the shared certificate, unless
// --leader-tls-server-name says otherwise; a CA file without a certificate is an error naming it.
func TestLeaderTLSConfig(t *testing.T) {
	dir := t.TempDir()
	cert := writeCert(t, dir, []string{"hymba-coordinator.hymba.svc", "other.example"}, nil)
	ipOnly := writeCert(t, dir, nil, []net.IP{net.ParseIP("10.0.0.7")})
	if cfg, err := leaderTLSConfig(&options{}); cfg != nil || err != nil {
		t.Errorf("no --tls-cert: %v %v, want plain text", cfg, err)
	}
	cfg, err := leaderTLSConfig(&options{tlsCert: cert, leaderCA: cert})
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

// writeCert writes a self-signed certificate for names and ips and returns its path.
func writeCert(t *testing.T, dir string, names []string, ips []net.IP) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"}, DNSNames: names, IPAddresses: ips,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(dir, "cert-*.pem")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pem.Encode(f, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	return f.Name()
}
