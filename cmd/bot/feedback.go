package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/briefbot/briefbot/slackbot"
)

// feedbackReport is what `bot feedback --json` prints: the totals, then
// the records counted, newest first.
type feedbackReport struct {
	Since string `json:"since,omitempty"`
	slackbot.FeedbackTotals
	Records []slackbot.FeedbackRecord `json:"records"`
}

// runFeedback prints the feedback recorded from Slack: totals by verdict,
// kind of answer and reason, then the records, newest first; with --since,
// only those from then on. It reads the bot's store, importing an older
// feedback.jsonl once.
func runFeedback(cfg config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("feedback", stderr)
	sinceArg := fs.String("since", "", "only feedback from this date (YYYY-MM-DD, UTC) or this long ago (such as 7d or 36h) on")
	asJSON := fs.Bool("json", false, "print one JSON object: the totals and the records")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("feedback takes no arguments")
	}
	var since time.Time
	if *sinceArg != "" {
		if since, err = parseSince(*sinceArg, time.Now()); err != nil {
			return usagef("%v", err)
		}
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
	all, err := fb.List()
	if err != nil {
		return err
	}
	recs := make([]slackbot.FeedbackRecord, 0, len(all))
	for _, r := range all {
		if !r.Time.Before(since) {
			recs = append(recs, r)
		}
	}
	totals := slackbot.TallyFeedback(recs)
	if *asJSON {
		rep := feedbackReport{FeedbackTotals: totals, Records: recs}
		if !since.IsZero() {
			rep.Since = since.UTC().Format(time.RFC3339)
		}
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(rep)
	}
	if len(recs) == 0 {
		what := "no feedback recorded yet"
		if !since.IsZero() {
			what = "no feedback recorded since " + since.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "%s (%s)\n", what, state.Path())
		return nil
	}
	if !since.IsZero() {
		fmt.Fprintf(stdout, "Since %s:\n", since.UTC().Format(time.RFC3339))
	}
	if err := slackbot.WriteFeedbackTotals(stdout, totals); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	return slackbot.WriteFeedback(stdout, recs)
}

// parseSince reads --since: a date (YYYY-MM-DD, midnight UTC), a time
// (RFC 3339), or how long ago (a Go duration such as 36h, or days: 7d).
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since %q is not a date (2025-03-04), a time (RFC 3339) or a time ago (7d, 36h)", s)
}
