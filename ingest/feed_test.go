package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/store"
)

// newsSite is a local news site: an RSS feed whose items carry only a
// summary (their pages have the text, with chrome around it), an Atom feed
// whose entries carry their whole text, and a feed that always fails.
type newsSite struct {
	srv *httptest.Server

	mu        sync.Mutex
	rssItems  []string // page slugs, newest last
	rssGets   int
	notModded int
}

const pageChrome = "Subscribe to our newsletter for the best of the Harbour Gazette every morning."

func newNewsSite(t *testing.T) *newsSite {
	s := &newsSite{rssItems: []string{"ferry", "bridge"}}
	mux := http.NewServeMux()
	mux.HandleFunc("/rss.xml", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.rssGets++
		etag := fmt.Sprintf(`"v%d"`, len(s.rssItems))
		if r.Header.Get("If-None-Match") == etag {
			s.notModded++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Gazette</title><link>`+s.srv.URL+`/</link>`)
		for i, slug := range s.rssItems {
			fmt.Fprintf(w, `<item><title>The %s story</title><link>/news/%s?utm_source=rss#top</link><guid>gazette-%s</guid>
<pubDate>Tue, 19 Aug 2025 0%d:30:00 GMT</pubDate><description>A short summary of the %s story.</description></item>`, slug, slug, slug, i+1, slug)
		}
		fmt.Fprint(w, `</channel></rss>`)
	})
	mux.HandleFunc("/news/", func(w http.ResponseWriter, r *http.Request) {
		slug := strings.TrimPrefix(r.URL.Path, "/news/")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><title>The %[1]s story</title></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<aside class="newsletter"><p>%[2]s</p></aside>
<article><h1>The %[1]s story</h1>
<p>The harbour council approved the %[1]s plan on Monday, the mayor said at a packed meeting in the town hall on the quay.</p>
<p>Work on the %[1]s starts in the spring and will take two years, officials said, with the first phase paid for by the port.</p>
<p>Residents have asked for the %[1]s for more than ten years, and the council said it would review the plan after one year of use.</p>
</article><footer><p>%[2]s</p></footer></body></html>`, slug, pageChrome)
	})
	mux.HandleFunc("/atom.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/atom+xml")
		body := strings.Repeat("<p>The tram depot will close in June, the transport authority said on Friday, after forty years of service on the northern line.</p>", 12)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Northern Courier</title>
<entry><title>Tram depot to close</title><link href="%s/courier/depot"/><id>urn:courier:depot</id><updated>2025-08-21T09:00:00Z</updated>
<author><name>Priya Natarajan</name></author><content type="html"><![CDATA[%s]]></content></entry></feed>`, s.srv.URL, body)
	})
	mux.HandleFunc("/broken.xml", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func newFeedsForTest(t *testing.T, allowPrivate bool) (*Feeds, *retrieval.Index, *store.Store) {
	t.Helper()
	ix, err := retrieval.New(context.Background(), retrieval.Config{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.TempDir(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := &Service{Index: ix, SeedMode: SeedsOff, Log: slog.New(slog.DiscardHandler)}
	f := &Feeds{Service: svc, Store: st, Interval: time.Minute}
	f.Fetch.AllowPrivate = allowPrivate
	return f, ix, st
}

func TestFeedsEndToEnd(t *testing.T) {
	ctx := context.Background()
	site := newNewsSite(t)
	f, ix, st := newFeedsForTest(t, true)
	rss := site.srv.URL + "/rss.xml"

	res, err := f.Poll(ctx, rss)
	if err != nil {
		t.Fatal(err)
	}
	ferry := site.srv.URL + "/news/ferry"
	if want := []string{ferry, site.srv.URL + "/news/bridge"}; !slices.Equal(res.Added, want) {
		t.Fatalf("first poll added %v, want %v (canonical URLs)", res.Added, want)
	}
	a, ok := ix.Article(ferry)
	if !ok {
		t.Fatal("the ferry item is not indexed")
	}
	if a.Outlet != "Harbour Gazette" || a.URL != ferry || a.Title != "The ferry story" ||
		!a.PublishedAt.Equal(time.Date(2025, 8, 19, 1, 30, 0, 0, time.UTC)) {
		t.Errorf("ferry article: outlet %q, URL %q, title %q, date %v; want the feed's title, the canonical link, the item's title and date", a.Outlet, a.URL, a.Title, a.PublishedAt)
	}
	if !strings.Contains(a.BodyText(), "approved the ferry plan") {
		t.Errorf("the summary-only item's page text was not fetched: %q", a.BodyText())
	}
	if strings.Contains(a.BodyText(), "Subscribe to our newsletter") {
		t.Error("page chrome (newsletter prompt) is in the indexed body")
	}

	t.Run("same feed again adds nothing, 304 respected", func(t *testing.T) {
		res, err := f.Poll(ctx, rss)
		if err != nil || !res.NotModified || len(res.Added)+len(res.Updated) != 0 {
			t.Errorf("second poll: %+v, %v; want not modified, nothing added", res, err)
		}
		if site.notModded != 1 {
			t.Errorf("the site answered 304 %d times, want 1 (the poll sent its ETag)", site.notModded)
		}
	})
	t.Run("a new item is picked up once", func(t *testing.T) {
		site.mu.Lock()
		site.rssItems = append(site.rssItems, "tunnel")
		site.mu.Unlock()
		res, err := f.Poll(ctx, rss)
		if err != nil || !slices.Equal(res.Added, []string{site.srv.URL + "/news/tunnel"}) || len(res.Updated) != 0 {
			t.Errorf("poll after a new item: %+v, %v; want the tunnel added, nothing else", res, err)
		}
		res, err = f.Poll(ctx, rss)
		if err != nil || len(res.Added)+len(res.Updated) != 0 {
			t.Errorf("poll after that: %+v, %v; want nothing", res, err)
		}
		if ix.Len() != 3 {
			t.Errorf("index holds %d articles, want 3", ix.Len())
		}
	})
	t.Run("atom with full content", func(t *testing.T) {
		before := site.rssGets
		res, err := f.Poll(ctx, site.srv.URL+"/atom.xml")
		if err != nil || len(res.Added) != 1 {
			t.Fatalf("atom poll: %+v, %v; want one added", res, err)
		}
		a, _ := ix.Article(res.Added[0])
		if a.Outlet != "Northern Courier" || a.Author != "Priya Natarajan" || a.PublishedAt.IsZero() || !strings.Contains(a.Text, "tram depot will close") {
			t.Errorf("atom article: %+v", a)
		}
		if site.rssGets != before {
			t.Error("the RSS feed was fetched while polling the Atom feed")
		}
		if res, err := f.Poll(ctx, site.srv.URL+"/atom.xml"); err != nil || len(res.Added)+len(res.Updated) != 0 {
			t.Errorf("same Atom feed twice: %+v, %v; want nothing added", res, err)
		}
	})
	t.Run("a failing feed backs off", func(t *testing.T) {
		broken := site.srv.URL + "/broken.xml"
		var gaps []time.Duration
		for range 3 {
			if _, err := f.Poll(ctx, broken); err == nil {
				t.Fatal("poll of a failing feed: no error")
			}
			var fs FeedStatus
			if err := st.GetJSON(FeedsBucket, broken, &fs); err != nil {
				t.Fatal(err)
			}
			gaps = append(gaps, fs.NextPoll.Sub(fs.LastPoll))
			if !strings.Contains(fs.LastResult, "500") {
				t.Errorf("status result %q, want the error", fs.LastResult)
			}
		}
		for i := 1; i < len(gaps); i++ {
			if gaps[i] < gaps[i-1]*3/2 {
				t.Errorf("waits after failures %v: want each about twice the last", gaps)
			}
		}
		if gaps[0] < 2*f.Interval {
			t.Errorf("wait after one failure %v, want at least twice the interval %v", gaps[0], f.Interval)
		}
	})
}

func TestFeedsRefusePrivateAddresses(t *testing.T) {
	site := newNewsSite(t)
	f, ix, _ := newFeedsForTest(t, false)
	_, err := f.Poll(context.Background(), site.srv.URL+"/rss.xml")
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("poll of a loopback feed without BOT_FETCH_ALLOW_PRIVATE: %v, want refused", err)
	}
	if ix.Len() != 0 {
		t.Errorf("index holds %d articles, want none", ix.Len())
	}
}

func TestFeedsRunPolls(t *testing.T) {
	site := newNewsSite(t)
	f, ix, _ := newFeedsForTest(t, true)
	f.Interval = 30 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx, []string{site.srv.URL + "/rss.xml"}); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for ix.Len() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	site.mu.Lock()
	site.rssItems = append(site.rssItems, "tunnel")
	site.mu.Unlock()
	notModded := func() int {
		site.mu.Lock()
		defer site.mu.Unlock()
		return site.notModded
	}
	for (ix.Len() < 3 || notModded() == 0) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if ix.Len() != 3 {
		t.Errorf("after polling: %d articles, want 3 (the new item picked up)", ix.Len())
	}
	site.mu.Lock()
	defer site.mu.Unlock()
	if site.notModded == 0 {
		t.Error("no poll was answered 304: conditional GET not used")
	}
}

func TestParseFeedList(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"https://a.example/rss, https://b.example/atom.xml\nhttp://c.example/feed.json", []string{"https://a.example/rss", "https://b.example/atom.xml", "http://c.example/feed.json"}, false},
		{"https://a.example/rss https://a.example/rss,https://A.example/rss", []string{"https://a.example/rss"}, false},
		{"https://a.example/rss https://a.example/atom", []string{"https://a.example/rss", "https://a.example/atom"}, false},
		{"ftp://a.example/rss", nil, true},
		{"not a url", nil, true},
	}
	for _, tt := range tests {
		got, err := ParseFeedList(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("ParseFeedList(%q) = %v, %v; want %v, error %t", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestFeedItemsSharingAGUID checks that two items of one feed with the
// same GUID, or the same link, and different text make one article, the
// first item's, reported added once; the second is skipped with a reason.
func TestFeedItemsSharingAGUID(t *testing.T) {
	para := func(word string) string {
		return strings.Repeat("<p>The "+word+" council met on Monday and voted to repair the harbour wall before the winter storms arrive.</p>", 14)
	}
	for _, tc := range []struct{ name, second string }{
		{"guid", `<guid>same</guid><link>/b</link>`},
		{"link", `<guid>other</guid><link>/a</link>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/rss+xml")
				fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Twice</title>
<item><title>First</title><guid>same</guid><link>/a</link><description><![CDATA[%s]]></description></item>
<item><title>Second</title>%s<description><![CDATA[%s]]></description></item></channel></rss>`, para("town"), tc.second, para("county"))
			}))
			defer srv.Close()
			f, ix, _ := newFeedsForTest(t, true)
			res, err := f.Poll(context.Background(), srv.URL+"/feed.xml")
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{srv.URL + "/a"}; !slices.Equal(res.Added, want) {
				t.Errorf("added %v, want %v", res.Added, want)
			}
			if len(res.Skipped) != 1 {
				t.Errorf("skipped %v, want the second item", res.Skipped)
			}
			if n := len(ix.Articles()); n != 1 {
				t.Errorf("got %d articles, want 1", n)
			}
			if a, ok := ix.Article(srv.URL + "/a"); !ok || a.Title != "First" {
				t.Errorf("article %s: indexed %v, title %q; want the first item's", srv.URL+"/a", ok, a.Title)
			}
		})
	}
}

// TestPollOfAPageLeavesNoFeedStatus checks that a page URL polled as a
// feed (as `bot ingest URL` does) is reported as no feed, with the parse
// error, and leaves no failing feed in the status, while a configured feed
// that is not one keeps its status for `bot status`.
func TestPollOfAPageLeavesNoFeedStatus(t *testing.T) {
	site := newNewsSite(t)
	for _, tc := range []struct {
		configured bool
		want       []string
	}{
		{false, nil},
		{true, []string{site.srv.URL + "/news/ferry"}},
	} {
		t.Run(fmt.Sprint(tc.configured), func(t *testing.T) {
			f, _, st := newFeedsForTest(t, true)
			page := site.srv.URL + "/news/ferry"
			_, err := f.pollOnce(context.Background(), page, tc.configured)
			if !errors.Is(err, ErrNotFeed) || !strings.Contains(err.Error(), "(") {
				t.Errorf("poll of a page: %v, want ErrNotFeed with the parser's reason", err)
			}
			var got []string
			if err := st.Each(FeedsBucket, func(k string, _ []byte) error { got = append(got, k); return nil }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("feeds in the status: %v, want %v", got, tc.want)
			}
		})
	}
}

// TestFeedPollsFetchBoundedPages checks a feed of many summary-only items:
// one poll fetches at most MaxPageFetches pages and says how many wait,
// the next polls fetch the rest (not the pages already indexed) and ask
// for the whole feed, and once all are indexed the feed is asked for
// conditionally again.
func TestFeedPollsFetchBoundedPages(t *testing.T) {
	const maxPageFetches = 5
	const items = 2*maxPageFetches + 3
	var mu sync.Mutex
	pageGets, notModified := 0, 0
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/feed.xml" {
			if r.Header.Get("If-None-Match") == `"v1"` {
				mu.Lock()
				notModified++
				mu.Unlock()
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title>`)
			for i := range items {
				fmt.Fprintf(w, `<item><title>Story %d</title><guid>s%d</guid><link>%s/p/%d</link><description>Summary %d.</description></item>`, i, i, srv.URL, i, i)
			}
			fmt.Fprint(w, `</channel></rss>`)
			return
		}
		mu.Lock()
		pageGets++
		mu.Unlock()
		n := strings.TrimPrefix(r.URL.Path, "/p/")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<html><head><title>Story %[1]s</title></head><body><article><h1>Story %[1]s</h1>
<p>The harbour council approved plan number %[1]s on Monday, the mayor said at a packed meeting in the town hall on the quay.</p>
<p>Work on plan %[1]s starts in the spring and will take two years, officials said, with the first phase paid for by the port.</p>
<p>Residents have asked for plan %[1]s for more than ten years, and the council said it would review it after one year of use.</p></article></body></html>`, n)
	}))
	defer srv.Close()
	f, ix, _ := newFeedsForTest(t, true)
	f.MaxPageFetches = maxPageFetches
	ctx := context.Background()
	for i, want := range []struct{ pages, added, waiting int }{
		{maxPageFetches, maxPageFetches, items - maxPageFetches},
		{maxPageFetches, maxPageFetches, items - 2*maxPageFetches},
		{items - 2*maxPageFetches, items - 2*maxPageFetches, 0},
		{0, 0, 0},
	} {
		mu.Lock()
		before := pageGets
		mu.Unlock()
		res, err := f.Poll(ctx, srv.URL+"/feed.xml")
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		pages := pageGets - before
		mu.Unlock()
		waiting := 0
		if n := len(res.Skipped); n > 0 {
			fmt.Sscanf(res.Skipped[n-1].Reason, "%d more items", &waiting)
		}
		if pages != want.pages || len(res.Added) != want.added || waiting != want.waiting {
			t.Errorf("poll %d: fetched %d pages, added %d, %d waiting (%v); want %d, %d, %d", i+1, pages, len(res.Added), waiting, res.Skipped, want.pages, want.added, want.waiting)
		}
	}
	if ix.Len() != items {
		t.Errorf("got %d articles, want %d", ix.Len(), items)
	}
	if notModified != 1 {
		t.Errorf("%d polls answered 304, want 1 (the one after all items were indexed)", notModified)
	}
}

func TestCanonicalURL(t *testing.T) {
	base, err := url.Parse("https://news.example/feeds/rss.xml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"", ""},
		{"/news/ferry?utm_source=rss&id=3#top", "https://news.example/news/ferry?id=3"},
		{"ferry", "https://news.example/feeds/ferry"},
		{"HTTP://NEWS.example/a", "http://news.example/a"},
		{"javascript:alert(1)", ""},
		{"JavaScript:alert(1)", ""},
		{"file:///etc/passwd", ""},
		{"ftp://news.example/a", ""},
		{"data:text/html,<b>x</b>", ""},
		{"http://[::1", ""},
	}
	for _, tt := range tests {
		if got := canonicalURL(base, tt.in); got != tt.want {
			t.Errorf("canonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestFeedGUIDsBounded checks that once a feed's GUIDs fill MaxGUIDs, the
// GUIDs of its current items are still remembered (those of items gone
// from the feed are forgotten): an item whose link changes is updated in
// place, not added again.
func TestFeedGUIDsBounded(t *testing.T) {
	var mu sync.Mutex
	links := map[string]string{"ga": "/a", "gb": "/b", "gc": "/c"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Bounded</title>`)
		for _, g := range []string{"ga", "gb", "gc"} {
			body := strings.Repeat("<p>Item "+g+": the council met on Monday and voted to repair the harbour wall before the winter storms.</p>", 14)
			fmt.Fprintf(w, `<item><title>Item %s</title><guid>%s</guid><link>%s</link><description><![CDATA[%s]]></description></item>`, g, g, links[g], body)
		}
		fmt.Fprint(w, `</channel></rss>`)
	}))
	defer srv.Close()
	f, ix, _ := newFeedsForTest(t, true)
	f.MaxGUIDs = 2
	ctx := context.Background()
	if _, err := f.Poll(ctx, srv.URL+"/feed.xml"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	links["gc"] = "/c-moved"
	mu.Unlock()
	res, err := f.Poll(ctx, srv.URL+"/feed.xml")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{srv.URL + "/c"}; len(res.Added) != 0 || !slices.Equal(res.Updated, want) {
		t.Errorf("after the third item's link moved: added %v, updated %v; want nothing added, %v updated", res.Added, res.Updated, want)
	}
	if n := ix.Len(); n != 3 {
		t.Errorf("got %d articles, want 3", n)
	}
}
