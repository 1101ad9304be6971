package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/termtext"
)

const chatHelp = `Ask a question about the articles, or:
  /source "text"   where does this text come from?
  /reset           forget the conversation: the next question starts afresh
  /help            this text
  /quit            leave
`

// maxHistory bounds the turns kept for follow-up questions.
const maxHistory = 6

// lineRead is one line read from the user, or why none was.
type lineRead struct {
	text string
	err  error
}

// runChat is the terminal chat: questions in, cited answers out, with the
// conversation kept for follow-ups.
func runChat(ctx context.Context, cfg config, logger *slog.Logger, stdin io.Reader, stdout, stderr io.Writer) error {
	stdout = termtext.StripControls(stdout) // article text reaches the terminal
	eng, err := openEngine(ctx, cfg, engineOptions{k: cfg.K, readOnlyOK: true}, logger, stderr)
	if err != nil {
		return err
	}
	defer eng.close()
	// The articles folder, the feeds and the retention are kept up while
	// the chat runs, where the data directory can be written.
	bgCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer stop()
	if !eng.readOnly {
		startWatch(bgCtx, &wg, cfg, eng, logger)
		startFeeds(bgCtx, &wg, cfg, eng, logger)
	}
	n := len(eng.index.Articles())
	fmt.Fprintf(stdout, "briefbot: %d articles loaded. Ask a question; /help for commands, /quit to leave.\n", n)
	in := newLineReader(stdin, stdout, "> ")
	var history []answer.Turn
	for {
		// A signal (Ctrl-C outside raw mode, SIGTERM) ends the chat at once,
		// without waiting for the line being read.
		res, done := readOrCancel(ctx, func() lineRead {
			text, err := in.ReadLine()
			return lineRead{text, err}
		})
		if !done {
			fmt.Fprintln(stdout)
			return ctx.Err()
		}
		text, err := res.text, res.err
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
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
		case line == "/reset":
			history = nil
			fmt.Fprintln(stdout, "Conversation cleared; the next question starts afresh.")
		case strings.HasPrefix(line, "/source"):
			text := strings.TrimSpace(strings.TrimPrefix(line, "/source"))
			if text == "" {
				fmt.Fprintln(stdout, `usage: /source "text to look up"`)
				continue
			}
			res, err := eng.composer.Source(ctx, text)
			if err != nil {
				chatFailed(stdout, logger, "sorry, that lookup failed.", err)
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
				chatFailed(stdout, logger, "sorry, I could not answer that.", err)
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

// chatFailed tells the chat user that a request failed, in a plain
// sentence, and logs the error with its detail for the operator.
func chatFailed(stdout io.Writer, logger *slog.Logger, say string, err error) {
	logger.Error("chat request failed", "err", err)
	fmt.Fprintln(stdout, say)
}
