package cluster

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// TLSFiles name the PEM files of one TLS client: CA is the bundle that verifies the server
// ("" → the system roots); Cert and Key are the client's own key pair for mutual TLS (both or
// neither). The zero value means no TLS.
type TLSFiles struct {
	CA, Cert, Key string
}

// Enabled reports whether any file is named.
func (f TLSFiles) Enabled() bool { return f.CA != "" || f.Cert != "" || f.Key != "" }

// ClientConfig builds the tls.Config of a client of what ("etcd", "NATS"). The key pair is
// re-read when its files change, so a rotated client certificate is used from the next
// connection on; the CA bundle is read once. Errors name the file at fault.
func (f TLSFiles) ClientConfig(what string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		pool, err := LoadCAFile(f.CA)
		if err != nil {
			return nil, fmt.Errorf("%s TLS: %w", what, err)
		}
		cfg.RootCAs = pool
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, fmt.Errorf("%s TLS: give both a certificate and a key file (certificate %q, key %q)", what, f.Cert, f.Key)
	}
	if f.Cert != "" {
		kp, err := NewKeyPairFiles(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("%s TLS: %w", what, err)
		}
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return kp.Certificate() }
	}
	return cfg, nil
}

// LoadCAFile reads a PEM bundle of CA certificates.
func LoadCAFile(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("CA file %s: no PEM certificate in it", path)
	}
	return pool, nil
}

// ServerTLSConfig builds the tls.Config of the coordinator's API servers from a certificate
// (chain) file and its key file. The files are checked now (an error names the file at
// fault) and re-read when they change, so a renewed certificate is served from the next
// handshake on without a restart.
func ServerTLSConfig(certFile, keyFile string) (*tls.Config, error) {
	kp, err := NewKeyPairFiles(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("server TLS: %w", err)
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return kp.Certificate() },
	}, nil
}

// KeyPairFiles is a certificate and key read from files and re-read when either changes
// (size or modification time; Kubernetes replaces a mounted Secret's files in place). A
// change that does not load (a half-written update, a key that does not match) keeps the
// last good pair and is retried on the next use.
type KeyPairFiles struct {
	cert, key string
	mu        sync.Mutex
	cur       *tls.Certificate
	stamp     [2]fileStamp
	lastErr   error
}

type fileStamp struct {
	size int64
	mod  time.Time
}

// NewKeyPairFiles loads the pair; an error names the file at fault.
func NewKeyPairFiles(certFile, keyFile string) (*KeyPairFiles, error) {
	k := &KeyPairFiles{cert: certFile, key: keyFile}
	if _, err := k.Certificate(); err != nil {
		return nil, err
	}
	return k, nil
}

// Certificate returns the pair, re-reading the files first if they changed.
func (k *KeyPairFiles) Certificate() (*tls.Certificate, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	stamp, err := k.stamps()
	if err == nil && k.cur != nil && stamp == k.stamp {
		return k.cur, nil
	}
	if err == nil {
		var c tls.Certificate
		if c, err = k.load(); err == nil {
			k.cur, k.stamp, k.lastErr = &c, stamp, nil
			return k.cur, nil
		}
	}
	k.lastErr = err
	if k.cur != nil {
		return k.cur, nil // keep serving the last good pair
	}
	return nil, err
}

// Err returns the error of the last reload that failed since the last good one, if any.
func (k *KeyPairFiles) Err() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lastErr
}

func (k *KeyPairFiles) stamps() ([2]fileStamp, error) {
	var s [2]fileStamp
	for i, p := range []string{k.cert, k.key} {
		fi, err := os.Stat(p)
		if err != nil {
			return s, err
		}
		s[i] = fileStamp{fi.Size(), fi.ModTime()}
	}
	return s, nil
}

func (k *KeyPairFiles) load() (tls.Certificate, error) {
	certPEM, err := os.ReadFile(k.cert)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certificate file: %w", err)
	}
	keyPEM, err := os.ReadFile(k.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("key file: %w", err)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return c, fmt.Errorf("certificate %s with key %s: %w", k.cert, k.key, err)
	}
	if len(c.Certificate) == 0 {
		return c, errors.New("certificate file " + k.cert + ": no certificate")
	}
	return c, nil
}
