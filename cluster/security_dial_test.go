package cluster

import (
	"github.com/hymbaserve/hymbaserve/internal/testpki"

	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// TestDialTLS starts etcd and NATS servers that require client certificates from a test CA,
// and checks that Dial with the client certificates works, and that every way of getting it
// wrong fails at once with an error naming the server and the problem.
func TestDialTLS(t *testing.T) {
	ca := testpki.NewCA(t, "infra-ca")
	etcdURL := startTLSEtcd(t, ca)
	natsURL := startTLSNATS(t, ca)
	cert, key := ca.Client("hymba")
	good := TLSFiles{CA: ca.File, Cert: cert, Key: key}
	ep := Endpoints{Etcd: []string{etcdURL}, NATS: natsURL, Cluster: "tls", EtcdTLS: good, NATSTLS: good}
	opt := DialOptions{Log: quiet}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	cl, err := Dial(ctx, ep, opt)
	if err != nil {
		t.Fatalf("Dial with client certificates: %v", err)
	}
	if _, err := cl.etcd.Put(ctx, "/tls-test", "ok"); err != nil {
		t.Errorf("etcd put over mutual TLS: %v", err)
	}
	if err := cl.nc.Flush(); err != nil || !cl.nc.TLSRequired() {
		t.Errorf("NATS over mutual TLS: flush %v, TLS required %v", err, cl.nc.TLSRequired())
	}
	cl.Close()

	other := testpki.NewCA(t, "other-ca")
	otherCert, otherKey := other.Client("intruder")
	for _, tc := range []struct {
		name string
		edit func(*Endpoints)
		want []string
	}{
		{"etcd without client certificate", func(e *Endpoints) { e.EtcdTLS = TLSFiles{CA: ca.File} }, []string{"etcd " + etcdURL, "refused"}},
		{"etcd with a certificate of another CA", func(e *Endpoints) { e.EtcdTLS.Cert, e.EtcdTLS.Key = otherCert, otherKey }, []string{"etcd " + etcdURL, "refused"}},
		{"etcd https:// without TLS files", func(e *Endpoints) { e.EtcdTLS = TLSFiles{} }, []string{"etcd " + etcdURL, "certificate signed by unknown authority"}},
		{"etcd not trusting the server", func(e *Endpoints) { e.EtcdTLS.CA = other.File }, []string{"etcd " + etcdURL, "certificate signed by unknown authority"}},
		{"etcd http:// endpoint with TLS", func(e *Endpoints) { e.Etcd = []string{strings.Replace(etcdURL, "https", "http", 1)} }, []string{"give https:// endpoints"}},
		// With TLS 1.3 the client learns of the refusal after its handshake: the server's alert
		// ("certificate required") or, when the server closed first, a broken pipe.
		{"NATS without client certificate", func(e *Endpoints) { e.NATSTLS = TLSFiles{CA: ca.File} }, []string{"nats " + natsURL}},
		{"NATS without TLS", func(e *Endpoints) { e.NATSTLS = TLSFiles{} }, []string{"nats " + natsURL, "tls"}},
		{"missing key file", func(e *Endpoints) { e.NATSTLS.Key = "/nonexistent/tls.key" }, []string{"NATS TLS", "/nonexistent/tls.key"}},
		{"CA file without certificates", func(e *Endpoints) { e.NATSTLS.CA = key }, []string{"NATS TLS", key, "no PEM certificate"}},
		{"certificate without key", func(e *Endpoints) { e.EtcdTLS.Key = "" }, []string{"etcd TLS", "give both"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := ep
			tc.edit(&e)
			cl, err := Dial(ctx, e, opt)
			if err == nil {
				cl.Close()
				t.Fatal("Dial succeeded")
			}
			t.Logf("error: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// startTLSEtcd starts an embedded etcd whose client URL requires TLS with a client
// certificate from ca, and returns that URL.
func startTLSEtcd(t *testing.T, ca *testpki.CA) string {
	t.Helper()
	cert, key := ca.Server("etcd")
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir, cfg.LogLevel = "tls", t.TempDir(), "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.TickMs, cfg.ElectionMs = 10, 100
	cu := url.URL{Scheme: "https", Host: freeAddr(t)}
	pu := url.URL{Scheme: "http", Host: freeAddr(t)}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.ClientTLSInfo = transport.TLSInfo{CertFile: cert, KeyFile: key, TrustedCAFile: ca.File, ClientCertAuth: true}
	srv, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	select {
	case <-srv.Server.ReadyNotify():
	case err := <-srv.Err():
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("etcd not ready")
	}
	return cu.String()
}

// startTLSNATS starts a NATS server that requires TLS with a client certificate from ca.
func startTLSNATS(t *testing.T, ca *testpki.CA) string {
	t.Helper()
	cert, key := ca.Server("nats")
	tc, err := natsserver.GenTLSConfig(&natsserver.TLSConfigOpts{CertFile: cert, KeyFile: key, CaFile: ca.File, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT,
		TLS: true, TLSVerify: true, TLSConfig: tc, TLSTimeout: 2, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS not ready")
	}
	return fmt.Sprintf("nats://%s", srv.Addr())
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
