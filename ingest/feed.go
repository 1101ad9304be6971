package ingest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/webpage"
	"github.com/mmcdole/gofeed"
)

// FeedStatus is what the bot knows of one feed: kept in the store between
// polls and restarts, shown by `bot status`.
type FeedStatus struct {
	URL          string    `json:"url"`
	Title        string    `json:"title"`
	LastPoll     time.Time `json:"last_poll"`
	LastResult   string    `json:"last_result"` // "ok: 2 added, 1 updated, 5 unchanged", "not modified", "error: …"
	Failures     int       `json:"failures"`    // consecutive failed polls
	NextPoll     time.Time `json:"next_poll"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	// GUIDs maps the items' GUIDs to their articles' IDs, so that an item
	// whose link changes is updated in place.
	GUIDs map[string]string `json:"guids,omitempty"`
}

// StatusStore keeps the feeds' status (the embedded store).
type StatusStore interface {
	GetJSON(bucket, key string, v any) error
	PutJSON(bucket, key string, v any) error
}

// FeedsBucket is the store bucket of the feeds' status, keyed by URL.
const FeedsBucket = "feeds"

// RemovedBucket is the store bucket of the articles removed with `bot
// remove`, keyed by ID: a feed that still lists one never adds it again.
const RemovedBucket = "removed"

// RecordRemoved notes in the store that the articles with these IDs were
// removed by hand, so that the feeds never bring them back.
func RecordRemoved(store StatusStore, ids []string, at time.Time) error {
	for _, id := range ids {
		if err := store.PutJSON(RemovedBucket, id, at.UTC()); err != nil {
			return fmt.Errorf("record the removal of %s: %w", id, err)
		}
	}
	return nil
}

// WasRemoved reports whether the article with this ID was removed by hand
// (RecordRemoved); a nil store knows of no removal.
func WasRemoved(store StatusStore, id string) bool {
	var at time.Time
	return store != nil && store.GetJSON(RemovedBucket, id, &at) == nil
}

func (f *Feeds) removed(id string) bool { return f.Store != nil && WasRemoved(f.Store, id) }

// defaultMaxGUIDs bounds the GUIDs remembered per feed.
const defaultMaxGUIDs = 2000

// Feeds polls RSS, Atom and JSON feeds and indexes their items. Items that
// carry only a summary are completed by fetching their page, with the same
// address checks and limits as links shared in Slack.
type Feeds struct {
	Service *Service
	Store   StatusStore // nil keeps no status (a one-off ingest without the store)
	Fetch   webpage.Options
	// Interval is the time between two polls of a feed; 0 means 15m. Each
	// wait is jittered by up to a tenth, and a failing feed backs off
	// (doubling up to 16 intervals).
	Interval time.Duration
	// MaxGUIDs bounds the GUIDs remembered per feed (0 means 2000): past
	// it, the GUIDs of items no longer in the feed are forgotten, never
	// those of its current items.
	MaxGUIDs int
	// MaxPageFetches bounds the item pages one poll fetches (0 means
	// 100); the other items wait for the next polls.
	MaxPageFetches int

	mu sync.Mutex // one poll at a time: the index is added to in order
}

// FeedResult is what one poll did.
type FeedResult struct {
	Feed        string
	NotModified bool
	Added       []string
	Updated     []string
	Skipped     []article.Skip
	// Chunks is how many chunks were embedded for the added and updated
	// items.
	Chunks int
}

// ErrNotFeed is returned by Poll for a page that is not a feed.
var ErrNotFeed = errors.New("not an RSS, Atom or JSON feed")

// Poll fetches a feed once (conditionally, with the ETag and Last-Modified
// of the previous poll) and indexes its new and changed items. A URL that
// is not a feed and was never polled as one (a page given to `bot
// ingest`) gets ErrNotFeed and leaves no feed status behind.
func (f *Feeds) Poll(ctx context.Context, feedURL string) (FeedResult, error) {
	return f.pollOnce(ctx, feedURL, false)
}

// pollOnce is Poll; configured says feedURL is one of the bot's feeds,
// whose status is kept even when it has never been a feed.
func (f *Feeds) pollOnce(ctx context.Context, feedURL string, configured bool) (FeedResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.status(feedURL)
	res, err := f.poll(ctx, feedURL, &st)
	if errors.Is(err, ErrNotFeed) && !configured && st.LastPoll.IsZero() {
		return res, err
	}
	st.LastPoll = time.Now().UTC()
	switch {
	case err != nil:
		st.Failures++
		st.LastResult = "error: " + err.Error()
	case res.NotModified:
		st.Failures = 0
		st.LastResult = "not modified"
	default:
		st.Failures = 0
		st.LastResult = fmt.Sprintf("ok: %d added, %d updated, %d skipped", len(res.Added), len(res.Updated), len(res.Skipped))
	}
	st.NextPoll = st.LastPoll.Add(f.wait(st.Failures))
	if f.Store != nil {
		if perr := f.Store.PutJSON(FeedsBucket, feedURL, st); perr != nil {
			f.Service.Log.Error("save feed status", "feed", feedURL, "err", perr)
		}
	}
	return res, err
}

func (f *Feeds) status(feedURL string) FeedStatus {
	st := FeedStatus{URL: feedURL}
	if f.Store != nil {
		if err := f.Store.GetJSON(FeedsBucket, feedURL, &st); err != nil {
			st = FeedStatus{URL: feedURL}
		}
	}
	return st
}

func (f *Feeds) interval() time.Duration {
	if f.Interval <= 0 {
		return 15 * time.Minute
	}
	return f.Interval
}

// wait returns the time until the next poll after failures consecutive
// failures: the interval doubled per failure up to 16 times, plus up to a
// tenth of jitter.
func (f *Feeds) wait(failures int) time.Duration {
	d := f.interval() << min(failures, 4)
	return d + time.Duration(rand.Int64N(int64(d)/10+1))
}

func (f *Feeds) poll(ctx context.Context, feedURL string, st *FeedStatus) (FeedResult, error) {
	res := FeedResult{Feed: feedURL}
	client, closeIdle, err := webpage.Client(f.Fetch)
	if err != nil {
		return res, err
	}
	defer closeIdle()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, feedURL, nil)
	if err != nil {
		return res, fmt.Errorf("feed %s: %w", feedURL, err)
	}
	req.Header.Set("User-Agent", "briefbot/1 (+feeds)")
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5")
	if st.ETag != "" {
		req.Header.Set("If-None-Match", st.ETag)
	}
	if st.LastModified != "" {
		req.Header.Set("If-Modified-Since", st.LastModified)
	}
	resp, err := client.Do(req)
	if err != nil {
		return res, fmt.Errorf("feed %s: %w", feedURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		res.NotModified = true
		return res, nil
	}
	if resp.StatusCode != http.StatusOK {
		return res, fmt.Errorf("feed %s: the site answered %s", feedURL, resp.Status)
	}
	body, err := webpage.ReadLimited(resp.Body, f.Fetch)
	if err != nil {
		return res, fmt.Errorf("feed %s: %w", feedURL, err)
	}
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return res, fmt.Errorf("%w: %s (%v)", ErrNotFeed, feedURL, err)
	}
	st.ETag, st.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	st.Title = strings.TrimSpace(feed.Title)
	if st.GUIDs == nil {
		st.GUIDs = map[string]string{}
	}
	base, _ := url.Parse(feedURL)
	copies := f.Service.newCopies()
	var arts []article.Article
	inPoll := map[string]bool{} // the IDs of this poll's items
	fetches, deferred, maxFetches := 0, 0, cmp.Or(f.MaxPageFetches, defaultMaxPageFetches)
	current := map[string]bool{} // the GUIDs in the feed now
	for _, it := range feed.Items {
		current[it.GUID] = true
		if link := canonicalURL(base, it.Link); needsPage(it, link) {
			// A summary-only item already indexed is not fetched again
			// unless its title changed: a poll costs the new items, not
			// the whole feed.
			id := link
			if g, ok := st.GUIDs[it.GUID]; ok && it.GUID != "" {
				id = g
			}
			if old, ok := f.Service.Index.Article(id); ok && old.Title == strings.TrimSpace(it.Title) && !inPoll[id] {
				inPoll[id] = true
				continue
			}
			if f.removed(id) {
				continue // its page is not fetched again either
			}
			if fetches >= maxFetches {
				deferred++
				continue
			}
			fetches++
		}
		a, err := f.itemArticle(ctx, base, feed, it)
		if err != nil {
			res.Skipped = append(res.Skipped, article.Skip{Name: itemName(it), Reason: err.Error()})
			continue
		}
		if id, ok := st.GUIDs[it.GUID]; ok && it.GUID != "" {
			a.ID = id // same item, perhaps a new link: updated in place
		}
		if inPoll[a.ID] {
			// Two items with one GUID or link: the first (the feed's
			// newest) is the article; one poll never indexes an ID twice.
			res.Skipped = append(res.Skipped, article.Skip{Name: itemName(it), Reason: "the same GUID or link as an earlier item of the feed"})
			continue
		}
		inPoll[a.ID] = true
		if f.removed(a.ID) {
			res.Skipped = append(res.Skipped, article.Skip{Name: a.ID, Reason: "removed with bot remove"})
			continue
		}
		if b, dup := copies.find(&a); dup {
			res.Skipped = append(res.Skipped, article.Skip{Name: a.ID, Reason: "same text as " + b.ID})
			continue
		}
		if old, ok := f.Service.Index.Article(a.ID); ok {
			if old.Hash() == a.Hash() {
				continue
			}
			res.Updated = append(res.Updated, a.ID)
		} else {
			res.Added = append(res.Added, a.ID)
		}
		copies.put(&a)
		if it.GUID != "" {
			st.GUIDs[it.GUID] = a.ID
		}
		arts = append(arts, a)
	}
	if limit := cmp.Or(f.MaxGUIDs, defaultMaxGUIDs); len(st.GUIDs) > limit {
		for g := range st.GUIDs {
			if !current[g] {
				delete(st.GUIDs, g)
			}
		}
	}
	if deferred > 0 {
		// The next poll must see the whole feed again to fetch the rest.
		st.ETag, st.LastModified = "", ""
		res.Skipped = append(res.Skipped, article.Skip{Name: feedURL,
			Reason: fmt.Sprintf("%d more items whose pages were not fetched (at most %d a poll); the next poll fetches them", deferred, maxFetches)})
	}
	if len(arts) > 0 {
		as, err := f.Service.Add(ctx, arts)
		if err != nil {
			res.Added, res.Updated = nil, nil
			return res, fmt.Errorf("feed %s: %w", feedURL, err)
		}
		res.Chunks = as.Chunks
	}
	return res, nil
}

func textHash(s string) string {
	h := sha256.Sum256([]byte(strings.Join(strings.Fields(s), " ")))
	return hex.EncodeToString(h[:12])
}

func itemName(it *gofeed.Item) string {
	if it.Link != "" {
		return it.Link
	}
	if it.GUID != "" {
		return it.GUID
	}
	return it.Title
}

// minFullText is the length under which an item's own text counts as a
// summary and its page is fetched.
const minFullText = 1200

// defaultMaxPageFetches bounds the pages one poll fetches, so that a feed
// of thousands of summary-only items cannot hold the poller for hours; the
// rest wait for the next polls.
const defaultMaxPageFetches = 100

// itemHTML is an item's own text: its content or its description,
// whichever is longer.
func itemHTML(it *gofeed.Item) string {
	if len(it.Content) < len(it.Description) {
		return it.Description
	}
	return it.Content
}

// needsPage reports whether an item carries only a summary and a link, so
// that its text comes from its page.
func needsPage(it *gofeed.Item, link string) bool {
	return link != "" && len(plainLength(itemHTML(it))) < minFullText
}

// itemArticle turns a feed item into an article: its content when the
// feed carries the whole text, else its page fetched and extracted. The
// outlet is the feed's title, the date the item's, the URL the item's link
// made canonical (absolute, without fragment or tracking parameters).
func (f *Feeds) itemArticle(ctx context.Context, base *url.URL, feed *gofeed.Feed, it *gofeed.Item) (article.Article, error) {
	link := canonicalURL(base, it.Link)
	html := itemHTML(it)
	var a article.Article
	var err error
	if !needsPage(it, link) {
		if html == "" {
			return a, errors.New("item has neither text nor link")
		}
		a, err = webpage.FromHTML(firstNonEmpty(link, base.String()), []byte("<html><body><article>"+html+"</article></body></html>"))
	} else {
		a, err = webpage.Fetch(ctx, link, f.Fetch)
	}
	if err != nil {
		return a, err
	}
	a.ID = firstNonEmpty(link, "guid:"+it.GUID)
	if a.ID == "guid:" {
		a.ID = "feed-item-" + textHash(a.Text)
	}
	a.URL = link
	if t := strings.TrimSpace(it.Title); t != "" {
		a.Title = t
	}
	if o := strings.TrimSpace(feed.Title); o != "" {
		a.Outlet = o
	}
	if len(it.Authors) > 0 && it.Authors[0] != nil && it.Authors[0].Name != "" {
		a.Author = it.Authors[0].Name
	}
	switch {
	case it.PublishedParsed != nil:
		a.PublishedAt, a.DateSource = it.PublishedParsed.UTC(), "feed"
	case it.UpdatedParsed != nil:
		a.PublishedAt, a.DateSource = it.UpdatedParsed.UTC(), "feed"
	}
	return a, nil
}

// plainLength returns html with its tags dropped, roughly, to measure it.
func plainLength(html string) string {
	var b strings.Builder
	in := false
	for _, r := range html {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// canonicalURL makes an item's link absolute and drops its fragment and
// utm_* tracking parameters; "" for none, and for a link that is not http
// or https (a hostile feed's "javascript:" link is never shown as a
// source).
func canonicalURL(base *url.URL, link string) string {
	link = strings.TrimSpace(link)
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if s := strings.ToLower(u.Scheme); (s != "http" && s != "https") || u.Host == "" {
		return ""
	}
	u.Fragment = ""
	q := u.Query()
	changed := false
	for k := range q {
		if strings.HasPrefix(strings.ToLower(k), "utm_") {
			q.Del(k)
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	u.Host = strings.ToLower(u.Host)
	return u.String()
}

// Run polls each feed every Interval (jittered; failing feeds back off)
// until ctx is done, the first poll of each soon after the start.
func (f *Feeds) Run(ctx context.Context, feeds []string) {
	var wg sync.WaitGroup
	for i, u := range feeds {
		wg.Go(func() {
			// Spread the first polls over a few seconds.
			next := time.Duration(i) * 2 * time.Second
			if st := f.status(u); !st.NextPoll.IsZero() {
				next = max(next, time.Until(st.NextPoll))
			}
			t := time.NewTimer(next)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				res, err := f.pollOnce(ctx, u, true)
				failures := 0
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					failures = f.status(u).Failures
					f.Service.Log.Warn("feed poll failed", "feed", u, "failures", failures, "err", err)
				} else if len(res.Added)+len(res.Updated) > 0 {
					f.Service.Log.Info("feed polled", "feed", u, "added", len(res.Added), "updated", len(res.Updated), "skipped", len(res.Skipped))
				}
				t.Reset(f.wait(failures))
			}
		})
	}
	wg.Wait()
}

// ParseFeedList splits BOT_FEEDS: URLs separated by commas or white space.
// A feed listed twice (also with another case of its host) is polled once.
func ParseFeedList(s string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		u, err := url.Parse(f)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%q is not an http or https URL", f)
		}
		u.Host = strings.ToLower(u.Host)
		if seen[u.String()] {
			continue
		}
		seen[u.String()] = true
		out = append(out, f)
	}
	return out, nil
}
