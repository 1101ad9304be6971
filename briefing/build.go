package briefing

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/prompts"
	"github.com/briefbot/briefbot/retrieval"
)

// Index is what the briefing needs from the article index.
type Index interface {
	Articles() []*article.Article
	Article(id string) (*article.Article, bool)
	Search(ctx context.Context, q retrieval.Query) ([]retrieval.Hit, error)
	IDF(term string) float64
}

// WriteFunc sends a rendered prompt to the model and returns its reply. It
// is how the briefing uses a model without depending on the model client:
// cmd/bot adapts llm.Client.Complete to it.
type WriteFunc func(ctx context.Context, p prompts.Prompt) (string, error)

// Options tune a Builder. Zero values take the defaults.
type Options struct {
	// GroupThreshold is the least average cosine similarity (0..1) of
	// two groups of articles' TF-IDF vectors for them to be one story.
	// Default DefaultGroupThreshold.
	GroupThreshold float64
	// MaxStories bounds the stories of a briefing; the smallest ones are
	// left out with a note. Default DefaultMaxStories.
	MaxStories int
	// MaxTopicArticles bounds the articles of a topic briefing. Default 30.
	MaxTopicArticles int
	// TopicCoverage is the share (0..1) of a topic's weighted terms that an
	// article must contain to be one of the topic's articles. Default 0.5.
	TopicCoverage float64
	// Write, when set, has the model write the briefing; nil keeps it
	// extractive.
	Write WriteFunc
}

// DefaultGroupThreshold is the grouping cut-off, chosen by reading the
// groups it makes on every day of the MultiHop-RAG corpus (0.18 joined
// unrelated articles of one outlet, 0.26 split the Prime Day deal lists) and
// checked to keep the five seed articles, one event, together.
const DefaultGroupThreshold = 0.22

// DefaultMaxStories is the default bound on the stories of a briefing.
const DefaultMaxStories = 12

// Request says what to brief.
type Request struct {
	// Date is the day to brief, taken in its own location. Zero means the
	// newest day that has dated articles, or every undated article when
	// none is dated.
	Date time.Time
	// Topic, when set, briefs the articles retrieval finds for it (on Date,
	// when Date is set; else on any day).
	Topic string
	// Since is the state of the previous briefing posted to the same place;
	// the stories then say whether they are new or updated.
	Since *State
}

// Builder builds briefings. It is safe for concurrent use.
type Builder struct {
	index Index
	opts  Options
	log   *slog.Logger
}

// NewBuilder returns a builder over index. logger may be nil.
func NewBuilder(index Index, opts Options, logger *slog.Logger) *Builder {
	if opts.GroupThreshold <= 0 {
		opts.GroupThreshold = DefaultGroupThreshold
	}
	if opts.MaxStories <= 0 {
		opts.MaxStories = DefaultMaxStories
	}
	if opts.MaxTopicArticles <= 0 {
		opts.MaxTopicArticles = 30
	}
	if opts.TopicCoverage <= 0 {
		opts.TopicCoverage = 0.5
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Builder{index: index, opts: opts, log: logger}
}

// Build builds the briefing req asks for. A day or topic without articles
// gives an empty briefing with a note saying so, not an error; errors are
// for a failed search or a cancelled ctx. A model that fails leaves the
// briefing extractive, with a note.
func (b *Builder) Build(ctx context.Context, req Request) (Briefing, error) {
	out := Briefing{Topic: strings.TrimSpace(req.Topic), Stories: []Story{}, Citations: []citation.Citation{}, Mode: ModeExtractive}
	if req.Since != nil && !req.Since.PostedAt.IsZero() {
		out.Since = req.Since.PostedAt.UTC().Format(time.RFC3339)
	}
	arts, notes, err := b.selectArticles(ctx, req, &out)
	out.Notes = append(out.Notes, notes...)
	if err != nil {
		return out, err
	}
	out.Articles = len(arts)
	if len(arts) == 0 {
		return out, nil
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	an := newAnalysis(b.index)
	docs := make([]*doc, len(arts))
	for i, a := range arts {
		docs[i] = an.doc(a)
	}
	groups := group(docs, b.opts.GroupThreshold)
	stories := make([]*story, len(groups))
	for i, g := range groups {
		stories[i] = newStory(g)
	}
	for _, st := range stories {
		st.split = fillsBriefing(st, len(arts))
	}
	slices.SortStableFunc(stories, compareStories)
	if len(stories) > b.opts.MaxStories {
		left := stories[b.opts.MaxStories:]
		n := 0
		for _, s := range left {
			n += len(s.docs)
		}
		out.Notes = append(out.Notes, fmt.Sprintf("%d smaller %s (%d %s) left out; ask for a topic to see %s.",
			len(left), plural(len(left), "story", "stories"), n, plural(n, "article", "articles"), plural(len(left), "it", "them")))
		stories = stories[:b.opts.MaxStories]
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	written := false
	if b.opts.Write != nil {
		var note string
		written, note = b.writeWithModel(ctx, &out, stories)
		if note != "" {
			out.Notes = append(out.Notes, note)
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
	}
	if !written {
		set := citation.NewSet(b.log)
		out.Stories = out.Stories[:0]
		for _, s := range stories {
			out.Stories = append(out.Stories, s.extractive(set))
		}
		out.Citations = set.List()
		out.Mode = ModeExtractive
	}
	if req.Since != nil {
		markChanges(out.Stories, *req.Since)
	}
	b.log.Debug("briefing built", "date", out.Date, "topic", out.Topic, "articles", out.Articles,
		"stories", len(out.Stories), "citations", len(out.Citations), "mode", out.Mode)
	return out, nil
}

// selectArticles picks the articles to brief and sets out.Date.
func (b *Builder) selectArticles(ctx context.Context, req Request, out *Briefing) ([]*article.Article, []string, error) {
	all := b.index.Articles()
	var notes []string
	day := ""
	if !req.Date.IsZero() {
		day = req.Date.Format(time.DateOnly)
	}
	if out.Topic != "" {
		arts, err := b.topicArticles(ctx, out.Topic, day)
		if err != nil {
			return nil, nil, err
		}
		out.Date = day
		if len(arts) == 0 {
			where := ""
			if day != "" {
				where = " on " + day
			}
			notes = append(notes, fmt.Sprintf("No articles%s match the topic %q.", where, out.Topic))
		}
		if n := countUndated(arts); n > 0 {
			notes = append(notes, fmt.Sprintf("%d of these articles %s no known publication date.", n, plural(n, "has", "have")))
		}
		return arts, notes, nil
	}
	if len(all) == 0 {
		return nil, []string{"There are no articles to brief."}, nil
	}
	newest, oldest := "", ""
	undated := 0
	for _, a := range all {
		d := a.Date()
		if d == "" {
			undated++
			continue
		}
		if newest == "" || d > newest {
			newest = d
		}
		if oldest == "" || d < oldest {
			oldest = d
		}
	}
	switch {
	case day == "" && newest == "":
		notes = append(notes, fmt.Sprintf("The publication dates of these %d articles are unknown (neither their metadata nor their text gives one), so this briefing covers all of them.", len(all)))
		return all, notes, nil
	case day == "":
		day = newest
		notes = append(notes, fmt.Sprintf("Briefing for %s, the newest day with articles.", day))
	}
	out.Date = day
	var arts []*article.Article
	for _, a := range all {
		if a.Date() == day {
			arts = append(arts, a)
		}
	}
	if len(arts) == 0 {
		span := ""
		if oldest != "" {
			span = fmt.Sprintf(" (the dated articles run from %s to %s)", oldest, newest)
		}
		notes = append(notes, fmt.Sprintf("No articles were published on %s%s.", day, span))
	}
	if undated > 0 {
		notes = append(notes, fmt.Sprintf("%d %s with an unknown publication date %s not in a dated briefing.", undated, plural(undated, "article", "articles"), plural(undated, "is", "are")))
	}
	return arts, notes, nil
}

// topicRelativeScore is the least search score, as a share of the best
// hit's, of an article found for a topic.
const topicRelativeScore = 0.5

// topicArticles returns the articles retrieval finds for topic (on day,
// when set): those whose best passage scores at least half the best
// passage's, and that contain enough of the topic's terms, best first.
func (b *Builder) topicArticles(ctx context.Context, topic, day string) ([]*article.Article, error) {
	var f retrieval.Filter
	if day != "" {
		d, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return nil, fmt.Errorf("topic briefing: date %q: %w", day, err)
		}
		f.From, f.To = d, d
	}
	hits, err := b.index.Search(ctx, retrieval.Query{Text: topic, K: 10 * b.opts.MaxTopicArticles, Filter: f})
	if err != nil {
		return nil, fmt.Errorf("topic briefing %q: %w", topic, err)
	}
	type weighted struct {
		term   string
		weight float64
	}
	var terms []weighted
	total := 0.0
	seen := map[string]bool{}
	for _, t := range retrieval.Analyze(topic) {
		if seen[t] {
			continue
		}
		seen[t] = true
		w := b.index.IDF(t)
		terms = append(terms, weighted{t, w})
		total += w
	}
	if total == 0 {
		return nil, nil
	}
	var out []*article.Article
	picked := map[string]bool{}
	for _, h := range hits {
		a := h.Article
		if a == nil || picked[a.ID] || (day != "" && a.Date() != day) {
			continue
		}
		if h.Score < topicRelativeScore*hits[0].Score {
			break // hits come best first
		}
		picked[a.ID] = true
		have := map[string]bool{}
		for _, t := range retrieval.Analyze(a.Title) {
			have[t] = true
		}
		for _, s := range a.Body {
			for _, t := range retrieval.Analyze(a.Text[s.Start:s.End]) {
				have[t] = true
			}
		}
		got := 0.0
		for _, t := range terms {
			if have[t.term] {
				got += t.weight
			}
		}
		if got/total >= b.opts.TopicCoverage {
			out = append(out, a)
			if len(out) == b.opts.MaxTopicArticles {
				break
			}
		}
	}
	return out, nil
}

func countUndated(arts []*article.Article) int {
	n := 0
	for _, a := range arts {
		if a.PublishedAt.IsZero() {
			n++
		}
	}
	return n
}

// compareStories orders stories by outlets, then articles, most first, then
// newest first, then by key.
func compareStories(a, b *story) int {
	if c := cmp.Compare(len(b.sources), len(a.sources)); c != 0 {
		return c
	}
	if c := cmp.Compare(len(b.docs), len(a.docs)); c != 0 {
		return c
	}
	if c := b.newest.Compare(a.newest); c != 0 {
		return c
	}
	return cmp.Compare(a.key(), b.key())
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
