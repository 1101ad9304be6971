package main

import (
	"context"
	"errors"
	"io"
	"strings"
)

// run is the whole program: main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	err := runCommand(ctx, cmd, rest, getenv, stdin, stdout, stderr)
	var help helpRequest
	if errors.As(err, &help) {
		_, err := io.WriteString(stdout, help.text)
		return err
	}
	var ue usageError
	if errors.As(err, &ue) && ue.cmd == "" {
		if _, known := commandHelp[cmd]; known {
			ue.cmd = cmd
		}
		return ue
	}
	return err
}

// runCommand runs one command with the rest of its command line.
func runCommand(ctx context.Context, cmd string, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	// Commands that need no settings, and every request for help, come
	// first: they work whatever the environment holds.
	switch cmd {
	case "":
		if wantsHelp(args) {
			return helpRequest{usage}
		}
		if len(args) == 1 && args[0] == "--version" {
			return runVersion(nil, stdout)
		}
		if len(args) > 0 {
			return usagef("unexpected arguments %q", args)
		}
	case "help":
		if len(args) == 0 {
			return helpRequest{usage}
		}
		if wantsHelp(args) {
			return helpRequest{commandUsage(cmd, nil)}
		}
		if _, ok := commandHelp[args[0]]; !ok || len(args) > 1 {
			return usagef("no command %q to give help on", strings.Join(args, " "))
		}
		return runCommand(ctx, args[0], []string{"--help"}, getenv, stdin, stdout, stderr)
	case "version":
		return runVersion(args, stdout)
	case "chat":
		if wantsHelp(args) {
			return helpRequest{commandUsage(cmd, nil)}
		}
	default:
		if _, ok := commandHelp[cmd]; !ok {
			return usagef("unknown command %q", cmd)
		}
	}

	getenv, err := withDotenv(getenv, ".env")
	if err != nil && !wantsHelp(args) {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		if !wantsHelp(args) {
			return err
		}
		// Only the usage is wanted: the defaults will do to print it.
		cfg, _ = loadConfig(func(k string) string { return map[string]string{"BOT_DATA_DIR": "."}[k] })
	}
	logger, closeLog, err := newLogger(cfg, cmd, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	switch cmd {
	case "":
		if slackConfig(cfg).Mode() != "" {
			return runSlack(ctx, cfg, logger, stderr)
		}
		return runChat(ctx, cfg, logger, stdin, stdout, stderr)
	case "chat":
		return runChat(ctx, cfg, logger, stdin, stdout, stderr)
	case "ask":
		return runAsk(ctx, cfg, logger, args, stdin, stdout, stderr)
	case "source":
		return runSource(ctx, cfg, logger, args, stdout, stderr)
	case "ingest":
		return runIngest(ctx, cfg, logger, args, stdout, stderr)
	case "remove":
		return runRemove(ctx, cfg, logger, args, stdout, stderr)
	case "status":
		return runStatus(ctx, cfg, logger, args, stdout, stderr)
	case "briefing":
		return runBriefing(ctx, cfg, logger, args, stdout, stderr)
	case "feedback":
		return runFeedback(cfg, logger, args, stdout, stderr)
	case "eval":
		return runEval(ctx, cfg, logger, args, stdout, stderr)
	case "bench":
		return runBench(ctx, cfg, logger, args, stdout, stderr)
	case "health":
		return runHealth(ctx, cfg, args, stdout)
	}
	return usagef("unknown command %q", cmd)
}

// servesSlack reports whether the command runs the Slack app.
func servesSlack(cfg config, cmd string) bool {
	return cmd == "" && slackConfig(cfg).Mode() != ""
}
