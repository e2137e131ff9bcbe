package server

import (
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/lessor-dhcp/lessor/config"
)

// loggerFor builds the process logger from a section's "loggers": the
// entry naming the server (kea-dhcp4 / kea-dhcp6, or the first one), its
// severity, and its first output (stdout, stderr, or a file appended to;
// syslog outputs go to stderr). Without loggers, fallback is kept.
func loggerFor(loggers []config.Logger, fam int, fallback *slog.Logger) (*slog.Logger, io.Closer) {
	if len(loggers) == 0 {
		return fallback, nil
	}
	pick := loggers[0]
	for _, l := range loggers {
		if l.Name == "kea-dhcp4" && fam == 4 || l.Name == "kea-dhcp6" && fam == 6 {
			pick = l
		}
	}
	level := slog.LevelInfo
	switch strings.ToUpper(pick.Severity) {
	case "FATAL", "ERROR":
		level = slog.LevelError
	case "WARN":
		level = slog.LevelWarn
	case "DEBUG":
		level = slog.LevelDebug
	case "NONE":
		level = slog.LevelError + 100
	}
	var w io.Writer = os.Stderr
	var closer io.Closer
	if len(pick.Outputs) > 0 {
		switch out := pick.Outputs[0].Output; {
		case out == "stdout":
			w = os.Stdout
		case out == "stderr", strings.HasPrefix(out, "syslog"):
			w = os.Stderr
		case out != "":
			f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				fallback.Warn("cannot open the log file, logging to stderr", "file", out, "err", err)
			} else {
				w, closer = f, f
			}
		}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), closer
}
