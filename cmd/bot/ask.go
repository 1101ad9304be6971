package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/ingest"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/termtext"
	"github.com/briefbot/briefbot/webpage"
)

// maxLine bounds one line of standard input for `ask`.
const maxLine = 1 << 20

func runAsk(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("ask", stderr)
	corpus := fs.String("corpus", "", "articles to use instead of the seeds")
	asJSON := fs.Bool("json", false, "print one JSON object per question")
	k := fs.Int("k", cfg.K, "passages to retrieve")
	outlet := fs.String("outlet", "", "only articles from these outlets (comma-separated)")
	from := fs.String("from", "", "only articles published on or after this day (YYYY-MM-DD)")
	to := fs.String("to", "", "only articles published on or before this day (YYYY-MM-DD)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *k < 1 || *k > 100 {
		return usagef("--k %d: want a number from 1 to 100", *k)
	}
	filter, err := searchFilter(*outlet, *from, *to)
	if err != nil {
		return err
	}
	question := strings.TrimSpace(strings.Join(pos, " "))
	if len(pos) > 0 && question == "" {
		return usagef("empty question")
	}
	eng, err := openEngine(ctx, cfg, engineOptions{corpus: *corpus, k: *k, filter: filter, reader: true}, logger, stderr)
	if err != nil {
		return err
	}
	// Article text reaches the terminal: its control characters (ANSI
	// and OSC 8 sequences) are dropped. JSON is left whole: its quotes are
	// the articles' exact text, and JSON escapes what a terminal obeys.
	w := stdout
	if !*asJSON {
		w = termtext.StripControls(stdout)
	}
	out := bufio.NewWriter(w)
	defer out.Flush()
	// answerOne answers q; in text, each of several questions read from
	// standard input is shown above its answer, so the answers stand apart.
	answerOne := func(q string, several bool) error {
		ans, err := eng.composer.Answer(ctx, q, nil)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSONLine(out, ans)
		}
		if several {
			fmt.Fprintf(out, "> %s\n", collapseSpace(q))
		}
		printAnswer(out, ans)
		return out.Flush()
	}
	if question != "" {
		return answerOne(question, false)
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	asked := 0
	for sc.Scan() {
		q := strings.TrimSpace(sc.Text())
		if q == "" {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		asked++
		if err := answerOne(q, true); err != nil {
			return fmt.Errorf("question %d: %w", asked, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read questions: %w", err)
	}
	if asked == 0 {
		return usagef("no question given, as an argument or on standard input")
	}
	return nil
}

// searchFilter builds a search filter from the --outlet, --from and --to
// flags.
func searchFilter(outlets, from, to string) (retrieval.Filter, error) {
	var f retrieval.Filter
	for _, o := range strings.Split(outlets, ",") {
		if o = strings.TrimSpace(o); o != "" {
			f.Outlets = append(f.Outlets, o)
		}
	}
	for _, d := range []struct {
		flag, value string
		into        *time.Time
	}{{"--from", from, &f.From}, {"--to", to, &f.To}} {
		if d.value == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", d.value)
		if err != nil {
			return f, usagef("%s %q: want a day as YYYY-MM-DD", d.flag, d.value)
		}
		*d.into = t
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return f, usagef("--to %s is before --from %s", to, from)
	}
	return f, nil
}

func runSource(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("source", stderr)
	corpus := fs.String("corpus", "", "articles to use instead of the seeds")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	text := strings.TrimSpace(strings.Join(pos, " "))
	if text == "" {
		return usagef("source needs the text to look up")
	}
	eng, err := openEngine(ctx, cfg, engineOptions{corpus: *corpus, k: cfg.K, reader: true}, logger, stderr)
	if err != nil {
		return err
	}
	res, err := eng.composer.Source(ctx, text)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSONLine(stdout, res)
	}
	printSource(termtext.StripControls(stdout), res)
	return nil
}

func runIngest(ctx context.Context, cfg config, logger *slog.Logger, args []string, stdout, stderr io.Writer) (err error) {
	// A flag set of its own, so that --help is never read as a path ("--"
	// ends the flags for a path that starts with "-").
	args, err = parseFlags(newFlags("ingest", stderr), args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usagef("ingest needs at least one file, directory, feed URL or page URL")
	}
	// Every path is read first: a missing one adds nothing.
	var arts []article.Article
	var skips []article.Skip
	var links []string
	for _, p := range args {
		if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
			links = append(links, p)
			continue
		}
		if isHTMLFile(p) {
			// A saved page: its article text, not its markup.
			data, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("ingest %s: %w", p, err)
			}
			a, err := webpage.FromFile(filepath.Base(p), data)
			if err != nil {
				skips = append(skips, article.Skip{Name: p, Reason: err.Error()})
				continue
			}
			arts = append(arts, a)
			continue
		}
		a, s, err := article.Load(p)
		if err != nil {
			if errors.Is(err, article.ErrNotFound) {
				return usagef("ingest %s: no such file or directory", p)
			}
			return fmt.Errorf("ingest %s: %w", p, err)
		}
		arts, skips = append(arts, a...), append(skips, s...)
	}
	meter := newProgressMeter(stderr)
	eng, err := openEngine(ctx, cfg, engineOptions{k: cfg.K, maybeEmpty: true, progress: meter}, logger, stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, eng.close()) }()
	var added, updated, unchanged []string
	total := retrieval.AddStats{}
	// Feeds are polled (their items indexed); other links are pages.
	feeds := newFeeds(cfg, eng)
	var failed []string // feeds that could not be read
	for _, u := range links {
		res, err := feeds.Poll(ctx, u)
		switch {
		case errors.Is(err, ingest.ErrNotFeed):
			a, perr := webpage.Fetch(ctx, u, webpage.Options{AllowPrivate: cfg.FetchAllowPrivate})
			if perr != nil {
				// Neither a feed nor a page: say why it is neither, as a
				// malformed feed is usually meant to be a feed.
				skips = append(skips, article.Skip{Name: u, Reason: fmt.Sprintf("%v; as a page: %v", err, perr)})
				continue
			}
			arts = append(arts, a)
		case err != nil:
			// The other inputs are still ingested, and what was added is
			// listed; the exit status says that one failed.
			skips = append(skips, article.Skip{Name: u, Reason: err.Error()})
			failed = append(failed, u)
		default:
			added, updated = append(added, res.Added...), append(updated, res.Updated...)
			skips = append(skips, res.Skipped...)
			total.Added += len(res.Added)
			total.Updated += len(res.Updated)
			total.Chunks += res.Chunks
		}
	}
	// One article ingested twice, as a page URL and as a file, is one.
	arts, dups := eng.ingest.Dedupe(arts)
	skips = append(skips, dups...)
	var newAdded, newUpdated []string
	for _, a := range arts {
		old, ok := eng.index.Article(a.ID)
		switch {
		case !ok:
			newAdded = append(newAdded, a.ID)
		case old.Hash() != a.Hash():
			newUpdated = append(newUpdated, a.ID)
		default:
			unchanged = append(unchanged, a.ID)
		}
	}
	if len(arts) > 0 {
		// "added" is said only once the articles are durable: Add returns
		// after the log record is fsynced.
		start := time.Now()
		st, err := eng.ingest.Add(ctx, arts)
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		meter.finish(st, time.Since(start))
		// Ingested by hand again: a removal no longer holds.
		if eng.state != nil {
			for _, a := range arts {
				if !ingest.WasRemoved(eng.state, a.ID) {
					continue // a read, not a write per article
				}
				if err := eng.state.Delete(ingest.RemovedBucket, a.ID); err != nil {
					return fmt.Errorf("ingest: %w", err)
				}
			}
		}
		total.Added += st.Added
		total.Updated += st.Updated
		total.Unchanged += st.Unchanged
		total.Chunks += st.Chunks
		added, updated = append(added, newAdded...), append(updated, newUpdated...)
	}
	for _, id := range added {
		fmt.Fprintf(stdout, "added %s\n", id)
	}
	for _, id := range updated {
		fmt.Fprintf(stdout, "updated %s\n", id)
	}
	for _, id := range unchanged {
		fmt.Fprintf(stdout, "skipped %s: unchanged\n", id)
	}
	for _, s := range skips {
		fmt.Fprintf(stdout, "skipped %s\n", s)
	}
	fmt.Fprintf(stdout, "ingested into %s: %d new, %d updated, %d unchanged articles, %d skipped (%d chunks embedded)\n",
		cfg.DataDir, total.Added, total.Updated, total.Unchanged, len(skips), total.Chunks)
	if len(failed) > 0 {
		return fmt.Errorf("could not read the feed %s (the rest was ingested)", strings.Join(failed, ", "))
	}
	return nil
}

// isHTMLFile reports whether p is a regular file named as an HTML page.
func isHTMLFile(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".html", ".htm", ".xhtml":
		fi, err := os.Stat(p)
		return err == nil && fi.Mode().IsRegular()
	}
	return false
}

func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printAnswer writes an answer for a terminal: the answer, then each
// citation's verbatim quote and source.
func printAnswer(w io.Writer, a answer.Answer) {
	fmt.Fprintln(w, termtext.Wrap(a.Answer, 78, ""))
	for _, n := range a.Notes {
		fmt.Fprintf(w, "(note: %s)\n", n)
	}
	if len(a.Citations) > 0 {
		fmt.Fprintln(w)
	}
	for _, c := range a.Citations {
		if answer.Shows(a, c) {
			// The answer's text already shows the quote: name the source only.
			fmt.Fprintf(w, "[%d] %s\n", c.N, termtext.Wrap(c.ShortLine(), 74, "    "))
			continue
		}
		fmt.Fprintf(w, "[%d] %s\n", c.N, termtext.Wrap(quoted(c.Quote), 74, "    "))
		fmt.Fprintf(w, "    — %s\n", termtext.Wrap(c.SourceLine(), 72, "      "))
	}
	fmt.Fprintln(w)
}

// quoted puts s in quotation marks, leaving out the opening or closing mark
// when s already has its own there, so that no quote shows doubled marks.
func quoted(s string) string {
	s = collapseSpace(s)
	open, end := "“", "”"
	if strings.HasPrefix(s, "“") || strings.HasPrefix(s, "\"") {
		open = ""
	}
	if strings.HasSuffix(s, "”") || strings.HasSuffix(s, "\"") {
		end = ""
	}
	return open + s + end
}

func printSource(w io.Writer, r answer.SourceResult) {
	if len(r.Matches) == 0 {
		fmt.Fprintf(w, "“%s” does not appear in the articles.\n", r.Text)
	}
	for i, m := range r.Matches {
		kind := "exact"
		switch {
		case !m.Exact:
			kind = fmt.Sprintf("near-match, %.0f%% alike", 100*m.Similarity)
		case m.Altered == "trimmed":
			kind = "exact, part of a longer sentence"
		}
		fmt.Fprintf(w, "%d. (%s) %s\n", i+1, kind, termtext.Wrap("“"+collapseSpace(m.Quote)+"”", 70, "   "))
		if m.Sentence != m.Quote {
			fmt.Fprintf(w, "   in: %s\n", termtext.Wrap(collapseSpace(m.Sentence), 70, "       "))
		}
		if m.Speaker != "" {
			fmt.Fprintf(w, "   said by: %s\n", m.Speaker)
		}
		fmt.Fprintf(w, "   — %s\n", termtext.Wrap(m.SourceLine(), 70, "     "))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "(note: %s)\n", n)
	}
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }
