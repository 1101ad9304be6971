// Package ingest brings articles into the index and takes them out: files
// and folders, the watched articles folder, files and links shared in
// Slack, the demo seeds, removal and retention. The bot's commands and its
// background work call it; it owns the rules about which articles the
// index serves (identity, seeds as a demo, retention).
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
)

// Index is what ingestion needs of the article index.
type Index interface {
	Add(ctx context.Context, arts []article.Article) (retrieval.AddStats, error)
	Remove(ctx context.Context, ids ...string) (int, error)
	Articles() []*article.Article
	Article(id string) (*article.Article, bool)
}

// SeedMode says when the demo seeds are served.
type SeedMode string

// The seed modes (BOT_SEEDS).
const (
	// SeedsAuto serves the seeds only while the index holds no article of
	// its own.
	SeedsAuto SeedMode = "auto"
	// SeedsOn always serves them.
	SeedsOn SeedMode = "true"
	// SeedsOff never does.
	SeedsOff SeedMode = "false"
)

// ParseSeedMode reads a BOT_SEEDS value; "" is SeedsAuto.
func ParseSeedMode(s string) (SeedMode, error) {
	switch m := SeedMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return SeedsAuto, nil
	case SeedsAuto, SeedsOn, SeedsOff:
		return m, nil
	case "1", "yes", "on":
		return SeedsOn, nil
	case "0", "no", "off":
		return SeedsOff, nil
	}
	return "", fmt.Errorf("%q: want auto, true or false", s)
}

// ParseRetention reads a BOT_RETENTION value: days ("90d"), weeks ("2w")
// or a Go duration ("36h"); "" or "0" keeps everything (0).
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.ParseFloat(n, 64)
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("%q: want a positive number of days (90d), weeks (2w) or a duration (36h)", s)
			}
			return time.Duration(v * float64(unit)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a positive number of days (90d), weeks (2w) or a duration (36h)", s)
	}
	return d, nil
}

// SharedFileID is the ID of an article from a file shared in a DM: made
// from its content, never from the file's name, so that a shared file
// never replaces another article (the same content again is the same
// article).
func SharedFileID(a *article.Article) string {
	h := sha256.Sum256([]byte(a.Text))
	return "shared-" + hex.EncodeToString(h[:8])
}

// Service adds and removes articles under the rules of the bot: the seeds
// are a demo, old articles expire. Construct it with every field set
// (Seeds may be empty).
type Service struct {
	Index Index
	// Seeds are the demo articles.
	Seeds []article.Article
	// SeedMode says when they are served.
	SeedMode SeedMode
	// Retention drops articles published longer ago than this; 0 keeps
	// all. Articles without a date are kept.
	Retention time.Duration
	Log       *slog.Logger
}

// seed returns the seed with this ID.
func (s *Service) seed(id string) (article.Article, bool) {
	i := slices.IndexFunc(s.Seeds, func(a article.Article) bool { return a.ID == id })
	if i < 0 {
		return article.Article{}, false
	}
	return s.Seeds[i], true
}

// isSeed reports whether an indexed article is one of the seeds: its ID
// and its text are a seed's (the text, not the hash, so that a seed indexed
// as an older version read it is still a seed). A user's article that
// happens to carry a seed's ID, such as a file named like one, is not.
func (s *Service) isSeed(a *article.Article) bool {
	sd, ok := s.seed(a.ID)
	return ok && sd.Text == a.Text
}

// Add indexes articles (durably, with a persistent index), then retires
// the seeds if the index now has articles of its own (SeedsAuto).
func (s *Service) Add(ctx context.Context, arts []article.Article) (retrieval.AddStats, error) {
	st, err := s.Index.Add(ctx, arts)
	if err != nil {
		return st, err
	}
	if err := s.SettleSeeds(ctx); err != nil {
		return st, err
	}
	return st, nil
}

// SettleSeeds adds or removes the seeds as the seed mode asks: with
// SeedsAuto they are served only while no other article is indexed. Seeds
// indexed by an older version, which read them differently, are indexed
// again.
func (s *Service) SettleSeeds(ctx context.Context) error {
	want := s.SeedMode == SeedsOn
	if s.SeedMode == SeedsAuto {
		want = !slices.ContainsFunc(s.Index.Articles(), func(a *article.Article) bool { return !s.isSeed(a) })
	}
	if want {
		// A seed is added again when it is missing or was indexed as an
		// older version read it (other body spans); never over a user's
		// article that has its ID.
		var stale []article.Article
		for _, a := range s.Seeds {
			old, ok := s.Index.Article(a.ID)
			switch {
			case !ok:
				stale = append(stale, a)
			case !s.isSeed(old):
				s.Log.Warn("a demo article is not served: an article of its own has its ID", "id", a.ID)
			case old.Hash() != a.Hash():
				stale = append(stale, a)
			}
		}
		if len(stale) == 0 {
			return nil
		}
		if _, err := s.Index.Add(ctx, stale); err != nil {
			return fmt.Errorf("add the demo articles: %w", err)
		}
		return nil
	}
	var ids []string
	for _, a := range s.Seeds {
		if old, ok := s.Index.Article(a.ID); ok && s.isSeed(old) {
			ids = append(ids, a.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.Index.Remove(ctx, ids...); err != nil {
		return fmt.Errorf("retire the demo articles: %w", err)
	}
	s.Log.Info("retired the demo articles", "articles", len(ids))
	return nil
}

// ErrNoArticle is returned by Remove for an ID or URL the index does not
// hold.
var ErrNoArticle = errors.New("no such article in the index")

// Remove takes the article with this ID, or else this URL, out of the
// index, durably; it is never quoted again. It returns the removed IDs.
func (s *Service) Remove(ctx context.Context, idOrURL string) ([]string, error) {
	idOrURL = strings.TrimSpace(idOrURL)
	var ids []string
	if _, ok := s.Index.Article(idOrURL); ok {
		ids = []string{idOrURL}
	} else {
		for _, a := range s.Index.Articles() {
			if a.URL != "" && sameURL(a.URL, idOrURL) {
				ids = append(ids, a.ID)
			}
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: %q", ErrNoArticle, idOrURL)
	}
	if _, err := s.Index.Remove(ctx, ids...); err != nil {
		return nil, err
	}
	return ids, s.SettleSeeds(ctx)
}

// sameURL compares two URLs, ignoring a trailing slash and the fragment.
func sameURL(a, b string) bool { return normURL(a) == normURL(b) }

// normURL is a URL without its fragment and trailing slash.
func normURL(u string) string {
	u, _, _ = strings.Cut(strings.TrimSpace(u), "#")
	return strings.TrimSuffix(u, "/")
}

// Expire removes the articles published before now minus the retention
// (none when Retention is 0) and returns their IDs.
func (s *Service) Expire(ctx context.Context, now time.Time) ([]string, error) {
	if s.Retention <= 0 {
		return nil, nil
	}
	cut := now.Add(-s.Retention)
	var ids []string
	for _, a := range s.Index.Articles() {
		if !a.PublishedAt.IsZero() && a.PublishedAt.Before(cut) {
			ids = append(ids, a.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if _, err := s.Index.Remove(ctx, ids...); err != nil {
		return nil, fmt.Errorf("drop articles past the retention: %w", err)
	}
	s.Log.Info("dropped articles past the retention", "articles", len(ids), "before", cut.Format(time.DateOnly))
	return ids, s.SettleSeeds(ctx)
}

// Summary describes what the index serves, for `bot status`.
type Summary struct {
	Articles int            `json:"articles"`
	Chunks   int            `json:"chunks"`
	Outlets  map[string]int `json:"outlets"`
	Newest   string         `json:"newest"` // RFC 3339, "" when no article is dated
	Oldest   string         `json:"oldest"`
}

// Summarize counts the articles by outlet and finds the newest and oldest
// dates.
func Summarize(arts []*article.Article, chunks int) Summary {
	sm := Summary{Articles: len(arts), Chunks: chunks, Outlets: map[string]int{}}
	var newest, oldest time.Time
	for _, a := range arts {
		o := strings.TrimSpace(a.Outlet)
		if o == "" {
			o = "(unknown)"
		}
		sm.Outlets[o]++
		if p := a.PublishedAt; !p.IsZero() {
			if newest.IsZero() || p.After(newest) {
				newest = p
			}
			if oldest.IsZero() || p.Before(oldest) {
				oldest = p
			}
		}
	}
	if !newest.IsZero() {
		sm.Newest, sm.Oldest = newest.Format(time.RFC3339), oldest.Format(time.RFC3339)
	}
	return sm
}

// Dedupe finds, among arts, the articles the index already holds under
// another ID, so that one article ingested twice (as a page URL, a saved
// page and a Markdown file with its url) is one article: an article with
// the URL of an indexed article takes that article's ID (it is updated in
// place); an article with the text of an indexed article, or of an earlier
// one of arts, is skipped (the text of the body: a Markdown file's front
// matter or a page's chrome does not count). It returns the articles to
// add and the skips.
func (s *Service) Dedupe(arts []article.Article) ([]article.Article, []article.Skip) {
	d := s.newCopies()
	var out []article.Article
	var skips []article.Skip
	for _, a := range arts {
		name := a.ID
		if id, ok := d.byURL[normURL(a.URL)]; ok && a.URL != "" && id != a.ID {
			a.ID = id
		}
		if b, ok := d.find(&a); ok {
			skips = append(skips, article.Skip{Name: name, Reason: "the same article as " + b.ID})
			continue
		}
		d.put(&a)
		out = append(out, a)
	}
	return out, skips
}

// copies finds the indexed articles with the text of another. Only
// articles of the same title or the same text length are compared, so
// that a look-up costs the new article, not the index (hashing every
// article's text took 6 s a poll at 100k articles).
type copies struct {
	byURL   map[string]string // normalised URL -> ID
	byTitle map[string][]*article.Article
	byLen   map[int][]*article.Article
}

func (s *Service) newCopies() *copies {
	d := &copies{byURL: map[string]string{}, byTitle: map[string][]*article.Article{}, byLen: map[int][]*article.Article{}}
	for _, a := range s.Index.Articles() {
		d.put(a)
	}
	return d
}

func (d *copies) put(a *article.Article) {
	if a.URL != "" {
		d.byURL[normURL(a.URL)] = a.ID
	}
	if a.Title != "" {
		d.byTitle[a.Title] = append(d.byTitle[a.Title], a)
	}
	n := bodyLen(a)
	d.byLen[n] = append(d.byLen[n], a)
}

// bodyLen is the length of an article's body text.
func bodyLen(a *article.Article) int {
	n := 0
	for _, s := range a.Body {
		n += s.Len() + 2
	}
	return n
}

// find returns an article with another ID than a's and the same body
// text, but for white space.
func (d *copies) find(a *article.Article) (*article.Article, bool) {
	body := a.BodyText()
	same := func(b *article.Article) bool { return b.ID != a.ID && sameText(b.BodyText(), body) }
	if a.Title != "" {
		if i := slices.IndexFunc(d.byTitle[a.Title], same); i >= 0 {
			return d.byTitle[a.Title][i], true
		}
	}
	n := bodyLen(a)
	if i := slices.IndexFunc(d.byLen[n], same); i >= 0 {
		return d.byLen[n][i], true
	}
	return nil, false
}

// sameText reports whether two texts are equal but for white space.
func sameText(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}
