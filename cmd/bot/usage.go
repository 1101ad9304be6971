package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// usageError is a mistake in the command line; it exits with status 2.
// cmd names the subcommand whose --help the message points to.
type usageError struct{ msg, cmd string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{msg: fmt.Sprintf(format, args...)} }

// settingError is a setting that cannot be used; it exits with status 2 and
// names the setting, with no pointer to the command's usage.
type settingError struct{ msg string }

func (e settingError) Error() string { return e.msg }

func settingf(format string, args ...any) error { return settingError{fmt.Sprintf(format, args...)} }

// helpRequest is returned when the command line asks for a command's usage
// (-h, --help); run prints text on standard output and exits 0.
type helpRequest struct{ text string }

func (h helpRequest) Error() string { return "help requested" }

// exitCode prints err for the user and returns the process exit status.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, context.Canceled) {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		cmd := "bot"
		if ue.cmd != "" {
			cmd = "bot " + ue.cmd
		}
		fmt.Fprintf(stderr, "bot: %s; see `%s --help`\n", strings.TrimRight(ue.msg, ".\n"), cmd)
		return 2
	}
	fmt.Fprintln(stderr, "bot:", err)
	var se settingError
	if errors.As(err, &se) {
		return 2
	}
	return 1
}

const usage = `Usage: bot [COMMAND] [flags] [ARGS]

briefbot answers questions about news articles with cited, verbatim quotes.

Commands:
  (none)      chat in the terminal, or run the Slack app when Slack settings are given
  chat        chat in the terminal even when Slack settings are given
  ask         answer one question, or one per line of standard input
  source      find where a piece of text appears in the articles
  briefing    the day's stories across outlets, with quotes and disagreements
  ingest      add articles (files, folders, feed URLs, page URLs) to the index in BOT_DATA_DIR
  remove      take articles out of the index; they are never quoted again
  status      what the index holds: articles, outlets, dates, feeds, size
  feedback    totals and list of the feedback given in Slack (--since D, --json)
  eval        measure quality on the seed and desk questions, MultiHop-RAG and SciFact
  bench       print start-up, per-question and memory figures
  health      check that a running bot answers GET /healthz on BOT_ADDR
  version     print the version
  help        this text; "bot help COMMAND" or "bot COMMAND --help" for one command

Settings come from the environment, and from a .env file in the working
directory when there is one (the environment wins; BOT_DOTENV=false skips it).
See .env.example for every setting.
`

// commandHelp is each command's synopsis and description, printed above its
// flags by "bot COMMAND --help".
var commandHelp = map[string]struct{ synopsis, about string }{
	"chat": {"bot chat", `Chat in the terminal about the articles: ask questions (follow-ups keep the
conversation), /source "text" to find where a text comes from, /help for the
chat commands, /quit or Ctrl-D to leave. In a terminal the line can be edited
and earlier questions come back with the arrow keys.`},
	"ask": {"bot ask [flags] [QUESTION]", `Answer QUESTION, or every line of standard input as a separate question
(blank lines are skipped), with cited, verbatim quotes.`},
	"source": {"bot source [flags] TEXT", `Find every place TEXT appears in the articles: exact matches first, then
the closest near-matches, with the sentence around each.`},
	"briefing": {"bot briefing [flags] [TOPIC]", `Print the day's stories across outlets: headline, quoted points, outlets,
and where they differ; or the briefing on TOPIC.`},
	"ingest": {"bot ingest PATH|URL...", `Add articles (.txt/.md files, .json/.jsonl records, or directories of them;
feed URLs: RSS, Atom, JSON Feed; article page URLs) to the persistent index in
BOT_DATA_DIR. Lists what was added, updated and skipped (with the reason);
"added" is said once the article is durable. Unchanged articles are not
embedded again. Progress (articles/s, ETA) goes to stderr when it is a
terminal, then one summary line.`},
	"remove": {"bot remove ID|URL...", `Take articles out of the index by ID or URL; they are never quoted again.`},
	"status": {"bot status [flags]", `Print what the index in BOT_DATA_DIR holds: articles, chunks, outlets with
counts, newest and oldest dates, feeds with their last poll, index size on
disk, data directory. Works while the bot runs.`},
	"feedback": {"bot feedback [flags]", `Print the "helpful / not helpful" clicks recorded in Slack: totals by verdict,
by kind of answer and, for "not helpful", by the reason given in the form;
then the clicks, newest first, with the question, answer, quotes and reason.`},
	"eval": {"bot eval [flags]", `Measure quality on the seed and desk question sets, the MultiHop-RAG dev
split (end to end per question type, with the cut-off's trade-off curve) and
SciFact, through the same path and settings as "bot ask --json"; see
BENCHMARKS.md.`},
	"bench": {"bot bench [flags]", `Print start-up, per-question latency (median, p99) and memory figures.`},
	"health": {"bot health [flags]", `GET /healthz on the bot running at BOT_ADDR (or --addr); exit status 0 when
it answers 200, 1 otherwise. For container health checks.`},
	"version": {"bot version", `Print the version of this build.`},
	"help":    {"bot help [COMMAND]", `Print the usage of bot, or of COMMAND.`},
}

// commandUsage returns the usage of one command: its synopsis, description
// and, when fs is given, its flags.
func commandUsage(name string, fs *flag.FlagSet) string {
	h, ok := commandHelp[name]
	if !ok {
		return usage
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s\n", h.synopsis, h.about)
	if fs == nil {
		return b.String()
	}
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			b.WriteString("\nFlags:\n")
			first = false
		}
		// The value's type names the argument; a `word` in the text stays
		// as it is written.
		arg, _ := flag.UnquoteUsage(&flag.Flag{Value: f.Value})
		text := f.Usage
		head := "  --" + f.Name
		if arg != "" {
			head += " " + arg
		}
		if len(head) < 20 {
			head += strings.Repeat(" ", 20-len(head))
		} else {
			head += "\n" + strings.Repeat(" ", 20)
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			text += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		b.WriteString(head + "  " + text + "\n")
	})
	return b.String()
}

// wantsHelp reports whether args ask for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// newFlags returns a flag set that reports errors as usage errors and
// prints nothing itself.
func newFlags(name string, _ io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses flags that may stand before, between or after the
// positional arguments ("ask QUESTION --json"), and returns the positional
// ones. "--" ends the flags. -h and --help return a helpRequest with the
// command's usage.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, helpRequest{commandUsage(fs.Name(), fs)}
			}
			return nil, usageError{msg: err.Error(), cmd: fs.Name()}
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
