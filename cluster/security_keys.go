package cluster

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/hymbaserve/hymbaserve/frontend"
)

// APIKeyFile is an API key file loaded into a frontend.KeySet, which Reload and Watch keep
// in step with the file. A reload that fails (an unreadable or empty file) keeps the keys in
// force: a bad rotation never opens the API nor locks every client out.
type APIKeyFile struct {
	path string
	keys *frontend.KeySet
	log  *slog.Logger
	mu   sync.Mutex
	last []byte
}

// OpenAPIKeyFile reads path; an unreadable file or one without keys is an error naming it.
func OpenAPIKeyFile(path string, log *slog.Logger) (*APIKeyFile, error) {
	if log == nil {
		log = slog.Default()
	}
	f := &APIKeyFile{path: path, keys: frontend.NewKeySet(nil), log: log}
	if _, err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Keys returns the key set the API servers check.
func (f *APIKeyFile) Keys() *frontend.KeySet { return f.keys }

// Reload re-reads the file and reports whether the keys changed.
func (f *APIKeyFile) Reload() (changed bool, err error) {
	data, err := os.ReadFile(f.path)
	if err != nil {
		return false, fmt.Errorf("API key file: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.last != nil && bytes.Equal(data, f.last) {
		return false, nil
	}
	keys, err := frontend.ParseKeys(f.path, data)
	if err != nil {
		return false, err
	}
	f.keys.Set(keys)
	f.last = data
	return true, nil
}

// Watch reloads the file every interval and whenever hup delivers (SIGHUP; nil: none) until
// ctx ends, logging each change and each failed reload.
func (f *APIKeyFile) Watch(ctx context.Context, interval time.Duration, hup <-chan os.Signal) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var failed string // the last failure logged, so that a bad file is reported once
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-hup:
		}
		changed, err := f.Reload()
		switch {
		case err != nil && err.Error() != failed:
			f.log.Error("API keys not reloaded; the previous keys stay in force", "err", err)
		case changed:
			f.log.Info("API keys reloaded", "file", f.path, "keys", f.keys.Len())
		}
		failed = ""
		if err != nil {
			failed = err.Error()
		}
	}
}
