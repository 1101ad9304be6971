package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitCode prints err for the user and returns the process exit status.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, context.Canceled) {
		return 0
	}
	fmt.Fprintln(stderr, "bot:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

const usage = `briefbot answers questions about news articles with cited, verbatim quotes.

Usage:
  bot                       chat in the terminal, or run the Slack app when Slack settings are given
  bot chat                  chat in the terminal even when Slack settings are given
  bot ask [flags] [QUESTION]  answer one question, or one per line of standard input
      --corpus PATH           use these articles instead of the seeds (directory, .txt/.md, .json, .jsonl)
      --json                  print one JSON object per question
      --k N                   passages to retrieve (default 8)
      --outlet A,B            only articles from these outlets
      --from D, --to D        only articles published in this range of days (YYYY-MM-DD)
  bot source [--corpus PATH] [--json] TEXT
                            find where TEXT appears in the articles
  bot briefing [--date YYYY-MM-DD] [--topic T] [--json] [--corpus PATH]
                            the day's stories across outlets, with quotes and disagreements
  bot ingest PATH|URL...    add articles to the persistent index in BOT_DATA_DIR: files, directories,
                            feed URLs (RSS, Atom, JSON Feed) and article page URLs
  bot remove ID|URL...      take articles out of the index; they are never quoted again
  bot status [--json]       articles, chunks, outlets, dates, feeds and index size in BOT_DATA_DIR
  bot feedback              list the feedback given in Slack, newest first
  bot eval [--limit N] [--only seeds,desk,multihop,scifact] [--questions FILE] [--answers FILE] [--markdown FILE]
                            measure quality on the seed and desk questions, MultiHop-RAG and SciFact
  bot bench [--corpus PATH] [--questions FILE] [--n N]
                            print start-up, per-question and memory figures
  bot help                  this text

Settings come from the environment; see .env.example.
`

// run is the whole program: main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return usageError{err.Error()}
	}
	cmd, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	level := cfg.LogLevel
	if !cfg.LogLevelSet && !servesSlack(cfg, cmd) {
		level = slog.LevelWarn // keep the terminal for answers
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	switch cmd {
	case "":
		if len(rest) > 0 {
			return usagef("unexpected arguments %q\n\n%s", rest, usage)
		}
		if slackConfig(cfg).Mode() != "" {
			return runSlack(ctx, cfg, logger, stderr)
		}
		return runChat(ctx, cfg, logger, stdin, stdout, stderr)
	case "chat":
		return runChat(ctx, cfg, logger, stdin, stdout, stderr)
	case "ask":
		return runAsk(ctx, cfg, logger, rest, stdin, stdout, stderr)
	case "source":
		return runSource(ctx, cfg, logger, rest, stdout, stderr)
	case "ingest":
		return runIngest(ctx, cfg, logger, rest, stdout, stderr)
	case "remove":
		return runRemove(ctx, cfg, logger, rest, stdout, stderr)
	case "status":
		return runStatus(ctx, cfg, logger, rest, stdout, stderr)
	case "briefing":
		return runBriefing(ctx, cfg, logger, rest, stdout, stderr)
	case "feedback":
		return runFeedback(cfg, logger, rest, stdout)
	case "eval":
		return runEval(ctx, cfg, logger, rest, stdout, stderr)
	case "bench":
		return runBench(ctx, cfg, logger, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return usagef("unknown command %q\n\n%s", cmd, usage)
	}
}

// servesSlack reports whether the command runs the Slack app.
func servesSlack(cfg config, cmd string) bool {
	return cmd == "" && slackConfig(cfg).Mode() != ""
}

// newFlags returns a flag set that reports errors as usage errors.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses flags that may stand before, between or after the
// positional arguments ("ask QUESTION --json"), and returns the positional
// ones. "--" ends the flags.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usageError{"see the usage above"}
			}
			return nil, usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
