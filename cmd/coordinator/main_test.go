package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecurityFlagErrors checks that security flags that cannot work stop the coordinator at
// start, before it serves anything, with an error naming the flag and the file at fault.
func TestSecurityFlagErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty-keys")
	notPEM := filepath.Join(dir, "tls.crt")
	for _, p := range []string{empty, notPEM} {
		if err := os.WriteFile(p, []byte("# nothing\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--dev", "--api-keys-file", missing}, []string{"--api-keys-file", missing}},
		{[]string{"--dev", "--api-keys-file", empty}, []string{"--api-keys-file", empty, "holds no key"}},
		{[]string{"--dev", "--tls-cert", notPEM}, []string{"--tls-cert and --tls-key"}},
		{[]string{"--dev", "--tls-cert", notPEM, "--tls-key", missing}, []string{"--tls-cert/--tls-key", missing}},
		{[]string{"--dev", "--tls-cert", notPEM, "--tls-key", notPEM}, []string{notPEM}},
		{[]string{"--etcd-ca", notPEM, "--gossip", "127.0.0.1:0"}, []string{"https://"}},
		{[]string{"--etcd", "https://127.0.0.1:1", "--etcd-ca", notPEM, "--gossip", "127.0.0.1:0"}, []string{notPEM, "no PEM certificate"}},
		{[]string{"--dev", "stray"}, []string{`unexpected argument "stray"`}},
		{[]string{"--dev", "--advertise-grpc", "0.0.0.0:7070"}, []string{"--advertise-grpc", "wildcard"}},
		{[]string{"--dev", "--advertise-grpc", "coordinator-0"}, []string{"--advertise-grpc", "missing port"}},
		{[]string{"--dev", "--leader-tls-ca", notPEM}, []string{"--leader-tls-ca", "need --tls-cert"}},
	} {
		err := run(tc.args, io.Discard, io.Discard)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %v, want an error containing %q", tc.args, err, w)
			}
		}
	}
}

// TestCacheFlags: the K/V dtype and reserve-ahead flags are read, and bad values stop the
// coordinator with the flag named.
func TestCacheFlags(t *testing.T) {
	o, err := parse([]string{"--kv-cache-dtype", "bf16", "--reserve-ahead", "64", "--plan-max-seqs", "8", "--plan-context", "4096"}, io.Discard)
	if err != nil || o.kv.String() != "bf16" || o.reserveAhead != 64 || o.planSeqs != 8 || o.planContext != 4096 {
		t.Fatalf("parse: %+v, %v", o, err)
	}
	for _, tc := range []struct{ args []string }{
		{[]string{"--kv-cache-dtype", "fp8"}}, {[]string{"--reserve-ahead", "-1"}}, {[]string{"--plan-max-seqs", "-1"}},
	} {
		if _, err := parse(tc.args, io.Discard); err == nil || !strings.Contains(err.Error(), tc.args[0]) {
			t.Errorf("%v: %v, want an error naming %s", tc.args, err, tc.args[0])
		}
	}
}
