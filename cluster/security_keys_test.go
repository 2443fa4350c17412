package cluster

import (
	"github.com/hymbaserve/hymbaserve/internal/testpki"

	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAPIKeyFileErrors checks that a key file that cannot serve is refused at start with an
// error naming it, and that a bad rewrite keeps the keys in force.
func TestAPIKeyFileErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty":          "",
		"comments only":  "# no keys yet\n\n",
		"two on a line":  "key-one key-two\n",
		"control bytes":  "key\x00one\n",
		"does not exist": "",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		if name != "does not exist" {
			writeAtomic(t, path, content)
		}
		if _, err := OpenAPIKeyFile(path, quiet); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v, want an error naming %s", name, err, path)
		}
	}
	path := filepath.Join(dir, "keys")
	writeAtomic(t, path, "good\n")
	kf, err := OpenAPIKeyFile(path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := kf.Reload(); changed || err != nil {
		t.Errorf("Reload of an unchanged file: changed %v, %v", changed, err)
	}
	os.Remove(path)
	if _, err := kf.Reload(); err == nil || kf.Keys().Len() != 1 {
		t.Errorf("Reload of a removed file: %v, %d keys (want an error and the key kept)", err, kf.Keys().Len())
	}
}

// TestKeyPairFilesKeepLastGood checks that a certificate rewritten with garbage keeps the
// last good pair in service and reports the failure, and that a good rewrite is picked up.
func TestKeyPairFilesKeepLastGood(t *testing.T) {
	ca := testpki.NewCA(t, "ca")
	certFile, keyFile := ca.Server("srv")
	kp, err := NewKeyPairFiles(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := kp.Certificate()
	writeAtomic(t, certFile, "not a certificate, and longer than none")
	got, err := kp.Certificate()
	if err != nil || got != first || kp.Err() == nil || !strings.Contains(kp.Err().Error(), certFile) {
		t.Errorf("after a bad rewrite: same pair %v, err %v, Err() %v (want the old pair and an error naming %s)", got == first, err, kp.Err(), certFile)
	}
	ca.Server("srv")
	if got, err := kp.Certificate(); err != nil || got == first || kp.Err() != nil {
		t.Errorf("after a good rewrite: new pair %v, err %v, Err() %v", got != first, err, kp.Err())
	}
	if _, err := NewKeyPairFiles(certFile, filepath.Join(t.TempDir(), "missing.key")); err == nil || !strings.Contains(err.Error(), "missing.key") {
		t.Errorf("missing key file: %v", err)
	}
}

// BenchmarkKeyPairFilesCertificate measures the per-handshake cost of checking the key pair
// files for a renewal (two stats when nothing changed).
func BenchmarkKeyPairFilesCertificate(b *testing.B) {
	ca := testpki.NewCA(b, "bench")
	kp, err := NewKeyPairFiles(ca.Server("srv"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := kp.Certificate(); err != nil {
			b.Fatal(err)
		}
	}
}
