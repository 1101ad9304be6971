package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/briefbot/briefbot/answer"
)

const chatHelp = `Ask a question about the articles, or:
  /source "text"   where does this text come from?
  /help            this text
  /quit            leave
`

// maxHistory bounds the turns kept for follow-up questions.
const maxHistory = 6

// runChat is the terminal chat: questions in, cited answers out, with the
// conversation kept for follow-ups.
func runChat(ctx context.Context, cfg config, logger *slog.Logger, stdin io.Reader, stdout, stderr io.Writer) error {
	eng, err := openEngine(ctx, cfg, engineOptions{k: cfg.K}, logger, stderr)
	if err != nil {
		return err
	}
	n := len(eng.index.Articles())
	fmt.Fprintf(stdout, "briefbot: %d articles loaded. Ask a question; /help for commands, /quit to leave.\n", n)
	in := newLineReader(stdin, stdout, "> ")
	var history []answer.Turn
	for {
		text, err := in.ReadLine()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		line := strings.TrimSpace(text)
		switch {
		case line == "":
			continue
		case line == "/quit" || line == "/exit":
			return nil
		case line == "/help":
			fmt.Fprint(stdout, chatHelp)
		case strings.HasPrefix(line, "/source"):
			text := strings.TrimSpace(strings.TrimPrefix(line, "/source"))
			if text == "" {
				fmt.Fprintln(stdout, `usage: /source "text to look up"`)
				continue
			}
			res, err := eng.composer.Source(ctx, text)
			if err != nil {
				fmt.Fprintf(stdout, "sorry, that lookup failed: %v\n", err)
				continue
			}
			printSource(stdout, res)
		case strings.HasPrefix(line, "/"):
			fmt.Fprintf(stdout, "unknown command %s\n%s", strings.Fields(line)[0], chatHelp)
		default:
			ans, err := eng.composer.Answer(ctx, line, history)
			if errors.Is(err, answer.ErrEmptyQuestion) {
				continue
			}
			if err != nil {
				fmt.Fprintf(stdout, "sorry, I could not answer that: %v\n", err)
				continue
			}
			printAnswer(stdout, ans)
			history = append(history, answer.Turn{Role: "user", Text: line}, answer.Turn{Role: "assistant", Text: ans.Answer})
			if len(history) > maxHistory {
				history = history[len(history)-maxHistory:]
			}
		}
	}
}
