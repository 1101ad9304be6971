package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
)

// newLogger returns the logger for cmd as the settings ask: text or JSON
// (BOT_LOG_FORMAT), on stderr or appended to BOT_LOG_FILE. Terminal
// commands log warnings and errors only unless BOT_LOG_LEVEL is set; the
// terminal chat never logs below warnings on stderr, so log lines never land
// inside the conversation (BOT_LOG_FILE takes the lower levels). The
// returned func closes the log file.
func newLogger(cfg config, cmd string, stderr io.Writer) (*slog.Logger, func(), error) {
	w, closeLog := stderr, func() {}
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, settingf("BOT_LOG_FILE=%q: %v", cfg.LogFile, err)
		}
		w, closeLog = f, func() { _ = f.Close() }
	}
	level := cfg.LogLevel
	switch {
	case servesSlack(cfg, cmd):
	case cfg.LogFile == "" && isChat(cfg, cmd):
		level = max(level, slog.LevelWarn) // the conversation owns the terminal
	case !cfg.LogLevelSet:
		level = slog.LevelWarn // keep the terminal for answers
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch cfg.LogFormat {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text", "":
		h = slog.NewTextHandler(w, opts)
	default:
		closeLog()
		return nil, nil, fmt.Errorf("log format %q", cfg.LogFormat)
	}
	return slog.New(h), closeLog, nil
}

// isChat reports whether cmd is the terminal chat.
func isChat(cfg config, cmd string) bool {
	return cmd == "chat" || (cmd == "" && !servesSlack(cfg, cmd))
}
