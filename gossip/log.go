package gossip

import (
	"bytes"
	"context"
	"log"
	"log/slog"
)

// logWriter turns memberlist's "[LEVEL] memberlist: msg" lines into slog
// records.
type logWriter struct{ l *slog.Logger }

func newLogAdapter(l *slog.Logger) *log.Logger {
	return log.New(logWriter{l}, "", 0)
}

var levels = []struct {
	tag   string
	level slog.Level
}{
	{"[DEBUG]", slog.LevelDebug},
	{"[INFO]", slog.LevelDebug},
	{"[WARN]", slog.LevelInfo}, // peers failing is what gossip is for
	{"[ERR]", slog.LevelWarn},
}

func (w logWriter) Write(p []byte) (int, error) {
	msg := bytes.TrimSpace(p)
	level := slog.LevelInfo
	for _, lv := range levels {
		if rest, ok := bytes.CutPrefix(msg, []byte(lv.tag)); ok {
			msg, level = bytes.TrimSpace(rest), lv.level
			break
		}
	}
	w.l.Log(context.Background(), level, string(msg))
	return len(p), nil
}
