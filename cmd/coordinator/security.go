package main

import (
	"context"
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
	api := cluster.ServeOptions{GRPCAddr: o.grpcAddr, HTTPAddr: o.httpAddr, Log: log}
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
