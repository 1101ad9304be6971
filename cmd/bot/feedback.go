package main

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/briefbot/briefbot/slackbot"
)

// runFeedback lists the feedback recorded from Slack, newest first. It
// reads the bot's store, importing an older feedback.jsonl once.
func runFeedback(cfg config, logger *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usagef("feedback takes no arguments")
	}
	state, err := openState(cfg)
	if err != nil {
		return err
	}
	defer state.Close()
	fb, err := slackbot.OpenFeedback(state, cfg.DataDir, logger)
	if err != nil {
		return err
	}
	recs, err := fb.List()
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		fmt.Fprintf(stdout, "no feedback recorded yet (%s)\n", state.Path())
		return nil
	}
	return slackbot.WriteFeedback(stdout, recs)
}
