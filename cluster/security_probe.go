package cluster

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"
)

// probeEtcdTLS opens one TLS session to the first etcd endpoint that accepts a TCP connection
// and reports a TLS failure (an unknown CA, a name mismatch, a refused or missing client
// certificate, a server that does not speak TLS) as an error naming the endpoint: etcd's
// client would only retry such failures and time out later without saying why. Anything
// else (no answer, a timeout) is no error: etcd may still be starting, and the client retries.
func probeEtcdTLS(ctx context.Context, endpoints []string, cfg *tls.Config) error {
	for _, e := range endpoints {
		u, err := url.Parse(e)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			continue // not a TLS endpoint; etcd's client reports malformed ones itself
		}
		err = probeTLS(ctx, u.Host, cfg)
		if err == nil {
			return nil
		}
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "remote error" {
			return fmt.Errorf("etcd %s: the server refused the TLS session (no client certificate, or one from a CA it does not trust): %w", e, err)
		}
		if tlsFailure(err) {
			return fmt.Errorf("etcd %s: TLS: %w", e, err)
		}
	}
	return nil
}

// probeTLS completes a handshake with addr and then waits briefly for the server to refuse
// the session: under TLS 1.3 a server that rejects the client certificate says so only after
// the client's handshake has finished.
func probeTLS(ctx context.Context, addr string, cfg *tls.Config) error {
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			host = addr
		}
		cfg.ServerName = host
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d := tls.Dialer{NetDialer: &net.Dialer{}, Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err = conn.Read(make([]byte, 1)); errors.Is(err, os.ErrDeadlineExceeded) {
		return nil // the server waits for the client to speak: accepted
	}
	return err
}

// tlsFailure reports whether err is the TLS session failing (as opposed to the network).
func tlsFailure(err error) bool {
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	var op *net.OpError
	switch {
	case errors.As(err, &verify), errors.As(err, &record):
		return true
	case errors.As(err, &op) && op.Op == "remote error": // an alert from the server
		return true
	}
	return false
}
