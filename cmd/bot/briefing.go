package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/briefbot/briefbot/briefing"
	"github.com/briefbot/briefbot/termtext"
)

// runBriefing prints the briefing of a day or a topic.
func runBriefing(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("briefing", stderr)
	corpus := fs.String("corpus", "", "articles to use instead of the seeds")
	date := fs.String("date", "", "the day to brief, YYYY-MM-DD (default: the newest day with articles)")
	topic := fs.String("topic", "", "brief the articles about this topic")
	asJSON := fs.Bool("json", false, "print the briefing as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		if *topic != "" {
			return usagef("give the topic either with --topic or as arguments, not both")
		}
		*topic = strings.Join(pos, " ")
	}
	req := briefing.Request{Topic: strings.TrimSpace(*topic)}
	if *date != "" {
		d, err := time.Parse("2006-01-02", *date)
		if err != nil {
			return usagef("--date %q: want a day as YYYY-MM-DD", *date)
		}
		req.Date = d
	}
	eng, err := openEngine(ctx, cfg, engineOptions{corpus: *corpus, k: cfg.K, reader: true}, logger, stderr)
	if err != nil {
		return err
	}
	b, err := eng.briefer.Build(ctx, req)
	if err != nil {
		return fmt.Errorf("briefing: %w", err)
	}
	if *asJSON {
		return writeJSONLine(stdout, b)
	}
	_, err = io.WriteString(termtext.StripControls(stdout), b.Text()) // article text reaches the terminal
	return err
}
