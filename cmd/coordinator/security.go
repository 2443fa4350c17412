package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hymbaserve/hymbaserve/cluster"
)

// keysPollInterval is how often the API key file is checked for changes (Kubernetes replaces
// a mounted Secret's files in place, within about a minute of the Secret's update).
const keysPollInterval = 2 * time.Second

// serveOptions reads the API key file and the server certificate named by the flags; the key
// file is then watched (and re-read on SIGHUP) until ctx ends.
func serveOptions(ctx context.Context, o *options, log *slog.Logger) (cluster.ServeOptions, error) {
	api := cluster.ServeOptions{GRPCAddr: o.grpcAddr, HTTPAddr: o.httpAddr, AdvertiseGRPC: o.advertiseGRPC, Log: log}
	if o.apiKeysFile != "" {
		kf, err := cluster.OpenAPIKeyFile(o.apiKeysFile, log)
		if err != nil {
			return api, fmt.Errorf("--api-keys-file: %w", err)
		}
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		go func() {
			defer signal.Stop(hup)
			kf.Watch(ctx, keysPollInterval, hup)
		}()
		api.Keys = kf.Keys()
		log.Info("API keys required", "file", o.apiKeysFile, "keys", api.Keys.Len())
	} else if !o.dev {
		log.Warn("no --api-keys-file: the API accepts requests without a key")
	}
	if o.tlsCert != "" {
		cfg, err := cluster.ServerTLSConfig(o.tlsCert, o.tlsKey)
		if err != nil {
			return api, fmt.Errorf("--tls-cert/--tls-key: %w", err)
		}
		api.TLS = cfg
	}
	return api, nil
}

// leaderTLSConfig is the TLS client configuration a standby forwards to the leader with: none
// without --tls-cert (the coordinators speak plain text); otherwise the CA of --leader-tls-ca
// (default: the system roots) and the name of --leader-tls-server-name, by default the first
// name of this coordinator's own certificate, since the coordinators of a cluster share one
// (the standby dials the leader's pod address, which the certificate need not name).
func leaderTLSConfig(o *options) (*tls.Config, error) {
	if o.tlsCert == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.leaderName}
	if o.leaderCA != "" {
		pool, err := cluster.LoadCAFile(o.leaderCA)
		if err != nil {
			return nil, fmt.Errorf("--leader-tls-ca: %w", err)
		}
		cfg.RootCAs = pool
	}
	if cfg.ServerName != "" {
		return cfg, nil
	}
	name, err := certName(o.tlsCert)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s: %w (or give --leader-tls-server-name)", o.tlsCert, err)
	}
	cfg.ServerName = name
	return cfg, nil
}

// certName is the first DNS name, else the first IP address, of the leaf certificate in file.
func certName(file string) (string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", errors.New("no PEM certificate first in the file")
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", err
	}
	switch {
	case len(leaf.DNSNames) > 0:
		return leaf.DNSNames[0], nil
	case len(leaf.IPAddresses) > 0:
		return leaf.IPAddresses[0].String(), nil
	}
	return "", errors.New("the certificate names no DNS name or IP address")
}
