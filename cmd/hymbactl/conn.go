package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/hymbaserve/hymbaserve/client"
	"github.com/hymbaserve/hymbaserve/frontend"
)

// apiKeyEnv is the environment variable holding the API key when no flag gives one.
const apiKeyEnv = "HYMBA_API_KEY"

// connFlags say how to reach a cluster's gRPC API: the API key and TLS.
type connFlags struct {
	apiKey, apiKeyFile string
	useTLS, insecure   bool
	tlsCA, serverName  string
}

func (c *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.apiKey, "api-key", "", "API key to send (default: $"+apiKeyEnv+")")
	fs.StringVar(&c.apiKeyFile, "api-key-file", "", "read the API key from this file (its first key; the coordinator's --api-keys-file format)")
	fs.BoolVar(&c.useTLS, "tls", false, "connect with TLS, verifying the server against the system roots (implied by --tls-ca and --insecure)")
	fs.StringVar(&c.tlsCA, "tls-ca", "", "PEM CA bundle that verifies the coordinator's certificate (implies --tls)")
	fs.StringVar(&c.serverName, "tls-server-name", "", "name to verify in the coordinator's certificate when it differs from the --addr host (port-forwards)")
	fs.BoolVar(&c.insecure, "insecure", false, "TLS without verifying the server's certificate: anyone on the path can read the traffic and the API key (tests only)")
}

// given reports whether any connection flag was set.
func (c *connFlags) given() bool {
	return c.apiKey != "" || c.apiKeyFile != "" || c.useTLS || c.insecure || c.tlsCA != "" || c.serverName != ""
}

// dial connects to addr as the flags say.
func (c *connFlags) dial(addr string) (*client.Client, error) {
	var opts []client.Option
	key, err := c.key()
	if err != nil {
		return nil, err
	}
	if key != "" {
		opts = append(opts, client.WithAPIKey(key))
	}
	cfg, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	if cfg != nil {
		opts = append(opts, client.WithTLS(cfg))
	}
	return client.Dial(addr, opts...)
}

// key returns the API key of --api-key, --api-key-file or $HYMBA_API_KEY, in that order.
func (c *connFlags) key() (string, error) {
	if c.apiKey != "" && c.apiKeyFile != "" {
		return "", errors.New("give --api-key or --api-key-file, not both")
	}
	if c.apiKeyFile != "" {
		b, err := os.ReadFile(c.apiKeyFile)
		if err != nil {
			return "", fmt.Errorf("--api-key-file: %w", err)
		}
		keys, err := frontend.ParseKeys(c.apiKeyFile, b)
		if err != nil {
			return "", fmt.Errorf("--api-key-file: %w", err)
		}
		return keys[0], nil
	}
	if c.apiKey != "" {
		return c.apiKey, nil
	}
	return os.Getenv(apiKeyEnv), nil
}

// tlsConfig is the TLS configuration the flags ask for; nil for plain text.
func (c *connFlags) tlsConfig() (*tls.Config, error) {
	if !c.useTLS && c.tlsCA == "" && !c.insecure && c.serverName == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.serverName, InsecureSkipVerify: c.insecure}
	if c.tlsCA != "" {
		b, err := os.ReadFile(c.tlsCA)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("--tls-ca %s: no PEM certificate in it", c.tlsCA)
		}
	}
	return cfg, nil
}
