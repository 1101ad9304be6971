package main

import (
	"fmt"
	"io"

	"github.com/briefbot/briefbot/slackbot"
)

// runFeedback lists the feedback recorded from Slack, newest first.
func runFeedback(cfg config, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usagef("feedback takes no arguments")
	}
	store, err := slackbot.OpenFeedback(cfg.DataDir)
	if err != nil {
		return err
	}
	recs, err := store.List()
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		fmt.Fprintf(stdout, "no feedback recorded yet (%s)\n", store.Path())
		return nil
	}
	return slackbot.WriteFeedback(stdout, recs)
}
