package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/ingest"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/store"
)

// writeRecords writes MultiHop-style JSON records to dir/name.
func writeRecords(tb testing.TB, dir, name string, recs ...map[string]string) string {
	tb.Helper()
	var b strings.Builder
	for _, r := range recs {
		line, err := json.Marshal(r)
		if err != nil {
			tb.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// story is a record about a distinctive subject.
func story(subject, date string) map[string]string {
	return map[string]string{
		"title":        "The " + subject + " report",
		"source":       "Harbour Gazette",
		"published_at": date,
		"url":          "https://news.example/" + strings.ReplaceAll(subject, " ", "-"),
		"body": "The " + subject + " was approved by the council on Monday, the mayor said at a packed meeting.\n\n" +
			"Work on the " + subject + " starts in the spring and will take two years, officials said.\n",
	}
}

// statusOf runs `bot status --json` and decodes it.
func statusOf(tb testing.TB, e env) map[string]json.RawMessage {
	tb.Helper()
	out, errOut, code := runBot(tb, e, "", "status", "--json")
	if code != 0 {
		tb.Fatalf("status exit %d: %s", code, errOut)
	}
	var st map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		tb.Fatalf("status --json stdout is not one JSON object: %v\n%s", err, out)
	}
	return st
}

func articleCount(tb testing.TB, e env) int {
	tb.Helper()
	var n int
	if err := json.Unmarshal(statusOf(tb, e)["articles"], &n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// sourceFinds reports whether `bot source` finds text in the articles.
func sourceFinds(tb testing.TB, e env, text string) bool {
	tb.Helper()
	out, errOut, code := runBot(tb, e, "", "source", "--json", text)
	if code != 0 {
		tb.Fatalf("source exit %d: %s", code, errOut)
	}
	var res struct {
		Matches []struct {
			Exact bool `json:"exact"`
		} `json:"matches"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		tb.Fatalf("source --json: %v\n%s", err, out)
	}
	return slices.ContainsFunc(res.Matches, func(m struct {
		Exact bool `json:"exact"`
	}) bool {
		return m.Exact
	})
}

func TestStatusJSONKeys(t *testing.T) {
	e := env{"BOT_DATA_DIR": t.TempDir()}
	src := t.TempDir()
	writeRecords(t, src, "a.jsonl", story("ferry terminal", "2025-08-19T14:05:00Z"), story("tram depot", "2025-08-21T09:00:00Z"))
	if _, errOut, code := runBot(t, e, "", "ingest", src); code != 0 {
		t.Fatalf("ingest exit %d: %s", code, errOut)
	}
	st := statusOf(t, e)
	var keys []string
	for k := range st {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"articles", "chunks", "data_dir", "feeds", "index_bytes", "newest", "oldest", "outlets"}
	if !slices.Equal(keys, want) {
		t.Fatalf("status keys = %v, want %v", keys, want)
	}
	var got struct {
		Articles   int            `json:"articles"`
		Chunks     int            `json:"chunks"`
		Outlets    map[string]int `json:"outlets"`
		Newest     string         `json:"newest"`
		Oldest     string         `json:"oldest"`
		Feeds      []any          `json:"feeds"`
		IndexBytes int64          `json:"index_bytes"`
		DataDir    string         `json:"data_dir"`
	}
	out, _, _ := runBot(t, e, "", "status", "--json")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Articles != 2 || got.Chunks < 2 || got.Outlets["Harbour Gazette"] != 2 || len(got.Outlets) != 1 ||
		got.Newest != "2025-08-21T09:00:00Z" || got.Oldest != "2025-08-19T14:05:00Z" || got.Feeds == nil ||
		got.IndexBytes <= 0 || got.DataDir != e["BOT_DATA_DIR"] {
		t.Errorf("status = %+v, want 2 articles of Harbour Gazette from 2025-08-19 to 2025-08-21 (seeds retired), an index on disk", got)
	}
}

func TestSeedsAreADemo(t *testing.T) {
	src := t.TempDir()
	path := writeRecords(t, src, "a.jsonl", story("ferry terminal", "2025-08-19T14:05:00Z"))
	const seedQuote = "Article 5-like"
	tests := []struct {
		seeds          string
		wantEmpty      int  // articles before any ingest; -1: refused
		wantAfter      int  // after one ingest
		wantSeedsAfter bool // a seed still quotable after the ingest
	}{
		{"", 5, 1, false},
		{"auto", 5, 1, false},
		{"true", 5, 6, true},
		{"false", -1, 1, false},
	}
	for _, tt := range tests {
		t.Run("BOT_SEEDS="+tt.seeds, func(t *testing.T) {
			e := env{"BOT_DATA_DIR": t.TempDir(), "BOT_SEEDS": tt.seeds}
			_, errOut, code := runBot(t, e, "", "ask", "security guarantees")
			if tt.wantEmpty < 0 {
				if code == 0 || !strings.Contains(errOut, "empty") {
					t.Errorf("ask on an empty index with no seeds: exit %d, %q; want an error saying it is empty", code, errOut)
				}
			} else if n := articleCount(t, e); n != tt.wantEmpty {
				t.Errorf("before any ingest: %d articles, want %d", n, tt.wantEmpty)
			}
			if _, errOut, code := runBot(t, e, "", "ingest", path); code != 0 {
				t.Fatalf("ingest exit %d: %s", code, errOut)
			}
			if n := articleCount(t, e); n != tt.wantAfter {
				t.Errorf("after one ingest: %d articles, want %d", n, tt.wantAfter)
			}
			if got := sourceFinds(t, e, seedQuote); got != tt.wantSeedsAfter {
				t.Errorf("a seed quotable after the ingest: %t, want %t", got, tt.wantSeedsAfter)
			}
		})
	}
	t.Run("seeds come back when the last article goes", func(t *testing.T) {
		e := env{"BOT_DATA_DIR": t.TempDir()}
		runBot(t, e, "", "ingest", path)
		if _, errOut, code := runBot(t, e, "", "remove", "https://news.example/ferry-terminal"); code != 0 {
			t.Fatalf("remove exit %d: %s", code, errOut)
		}
		if n := articleCount(t, e); n != 5 {
			t.Errorf("after removing the only article: %d articles, want the 5 seeds", n)
		}
	})
}

func TestRemovedArticlesAreNeverQuoted(t *testing.T) {
	src := t.TempDir()
	old := story("lighthouse museum", "2020-03-02T10:00:00Z")
	recent := story("ferry terminal", time.Now().Add(-48*time.Hour).UTC().Format(time.RFC3339))
	byID := story("tram depot", "2025-08-21T09:00:00Z")
	path := writeRecords(t, src, "a.jsonl", old, recent, byID)
	quote := func(r map[string]string) string {
		return "Work on the " + strings.TrimSuffix(strings.TrimPrefix(r["title"], "The "), " report")
	}
	t.Run("bot remove by URL and by ID", func(t *testing.T) {
		e := env{"BOT_DATA_DIR": t.TempDir()}
		runBot(t, e, "", "ingest", path)
		for _, r := range []map[string]string{old, recent, byID} {
			if !sourceFinds(t, e, quote(r)) {
				t.Fatalf("%s not quotable after ingest", r["title"])
			}
		}
		out, errOut, code := runBot(t, e, "", "remove", recent["url"], byID["url"])
		if code != 0 || !strings.Contains(out, "removed "+recent["url"]) {
			t.Fatalf("remove: exit %d, %q, %q", code, out, errOut)
		}
		if sourceFinds(t, e, quote(recent)) || sourceFinds(t, e, quote(byID)) {
			t.Error("a removed article is still quoted")
		}
		if !sourceFinds(t, e, quote(old)) {
			t.Error("an article that was not removed is gone")
		}
		if _, errOut, code := runBot(t, e, "", "remove", "https://news.example/never-there"); code != 1 || !strings.Contains(errOut, "no article") {
			t.Errorf("removing an unknown URL: exit %d, %q; want 1 and a message", code, errOut)
		}
	})
	t.Run("retention", func(t *testing.T) {
		e := env{"BOT_DATA_DIR": t.TempDir()}
		runBot(t, e, "", "ingest", path)
		e["BOT_RETENTION"] = "90d"
		if sourceFinds(t, e, quote(old)) {
			t.Error("an article published in 2020 is quoted with BOT_RETENTION=90d")
		}
		if !sourceFinds(t, e, quote(recent)) {
			t.Error("an article of two days ago is gone with BOT_RETENTION=90d")
		}
		delete(e, "BOT_RETENTION")
		if sourceFinds(t, e, quote(old)) {
			t.Error("an article dropped by the retention came back")
		}
	})
	t.Run("file deleted from BOT_ARTICLES_DIR while the bot was down", func(t *testing.T) {
		dir := t.TempDir()
		e := env{"BOT_DATA_DIR": t.TempDir(), "BOT_ARTICLES_DIR": dir}
		f := writeRecords(t, dir, "a.jsonl", recent)
		writeRecords(t, dir, "b.jsonl", byID)
		if !sourceFinds(t, e, quote(recent)) {
			t.Fatal("article of the watched folder not quotable")
		}
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
		if sourceFinds(t, e, quote(recent)) {
			t.Error("the article of a deleted file is still quoted")
		}
		if !sourceFinds(t, e, quote(byID)) {
			t.Error("the article of a file still there is gone")
		}
	})
}

func TestWatchedFileDeletedWhileRunning(t *testing.T) {
	dir := t.TempDir()
	cfg, err := loadConfig(env{"BOT_DATA_DIR": t.TempDir(), "BOT_ARTICLES_DIR": dir}.get)
	if err != nil {
		t.Fatal(err)
	}
	text := "Tram depot to close\n\nThe tram depot will close in June, the transport authority said on Friday.\n"
	if err := os.WriteFile(filepath.Join(dir, "depot.txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	eng, err := openEngine(context.Background(), cfg, engineOptions{k: 8}, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.close()
	if _, ok := eng.index.Article("depot.txt"); !ok {
		t.Fatal("depot.txt not indexed at start")
	}
	eng.watchEvery = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	startWatch(ctx, &wg, cfg, eng, slog.New(slog.DiscardHandler))
	defer func() { cancel(); wg.Wait() }()
	time.Sleep(100 * time.Millisecond) // the watcher has looked once
	if err := os.Remove(filepath.Join(dir, "depot.txt")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok := eng.index.Article("depot.txt"); !ok && eng.index.Len() == 5 {
			return // gone, and the seeds are back
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, ok := eng.index.Article("depot.txt")
	t.Fatalf("after deleting the only watched file: article still indexed %t, %d articles; want it gone and the 5 seeds back", ok, eng.index.Len())
}

// TestOneWriter checks the data directory's lock, and the index
// directory's: while another process writes there, ingest fails with a
// clear error and a non-zero exit and adds nothing, and readers still
// answer; two ingests at once lose nothing either reported as added.
func TestOneWriter(t *testing.T) {
	src := t.TempDir()
	path := writeRecords(t, src, "a.jsonl", story("ferry terminal", "2025-08-19T14:05:00Z"))
	for _, holder := range []struct {
		name string
		hold func(data string) (io.Closer, error)
	}{
		{"the store", func(data string) (io.Closer, error) { return store.Open(data, time.Second) }},
		{"the index", func(data string) (io.Closer, error) {
			return retrieval.New(context.Background(), retrieval.Config{Dir: filepath.Join(data, "index")})
		}},
	} {
		t.Run("another process holds "+holder.name, func(t *testing.T) {
			data := t.TempDir()
			e := env{"BOT_DATA_DIR": data}
			runBot(t, e, "", "status") // creates nothing
			held, err := holder.hold(data)
			if err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"ingest", path}, {"remove", "ferry-terminal"}} {
				out, errOut, code := runBot(t, e, "", args...)
				if code == 0 || !strings.Contains(errOut, "another briefbot process") || !strings.Contains(errOut, "nothing was changed") || out != "" {
					t.Errorf("%s while another process writes: exit %d, stdout %q, stderr %q; want a clear error that nothing was changed, non-zero, no output", args[0], code, out, errOut)
				}
			}
			if !sourceFinds(t, e, "Article 5-like") {
				t.Error("a reader (source) did not answer while another process writes")
			}
			held.Close()
			if n := articleCount(t, e); n != 0 {
				t.Errorf("after the refused ingest (and a read-only reader): %d articles stored, want none", n)
			}
		})
	}

	t.Run("two ingests at once", func(t *testing.T) {
		data := t.TempDir()
		var paths []string
		for i := range 2 {
			var recs []map[string]string
			for j := range 30 {
				recs = append(recs, story(fmt.Sprintf("bridge %d-%d", i, j), "2025-08-19T14:05:00Z"))
			}
			paths = append(paths, writeRecords(t, t.TempDir(), "r.jsonl", recs...))
		}
		type result struct {
			out  string
			code int
		}
		res := make([]result, 2)
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() {
				out, _, code := runBot(t, env{"BOT_DATA_DIR": data}, "", "ingest", paths[i])
				res[i] = result{out, code}
			})
		}
		wg.Wait()
		want := 0
		for i, r := range res {
			switch {
			case r.code == 0:
				want += strings.Count(r.out, "added ")
			case strings.Contains(r.out, "added "):
				t.Errorf("ingest %d failed but said it added: %q", i, r.out)
			}
		}
		if want == 0 {
			t.Fatal("neither ingest added anything")
		}
		if n := articleCount(t, env{"BOT_DATA_DIR": data}); n != want {
			t.Errorf("index holds %d articles, the ingests reported %d added", n, want)
		}
	})
}

func TestSharedFileNeverReplacesAnArticle(t *testing.T) {
	cfg, err := loadConfig(env{"BOT_DATA_DIR": t.TempDir()}.get)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := openEngine(context.Background(), cfg, engineOptions{k: 8}, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.close()
	victim := eng.index.Articles()[0]
	before := victim.Hash()
	svc := service{eng: eng}
	text := []byte("Tram depot to close\n\nThe tram depot will close in June, the transport authority said on Friday.\n")
	a, err := svc.IngestFile(context.Background(), victim.ID, text)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == victim.ID || !strings.HasPrefix(a.ID, "shared-") {
		t.Errorf("shared file named %q got ID %q, want one made from its content", victim.ID, a.ID)
	}
	again, err := svc.IngestFile(context.Background(), "other-name.txt", text)
	if err != nil || again.ID != a.ID {
		t.Errorf("the same content under another name: ID %q, %v; want %q", again.ID, err, a.ID)
	}
	if got, ok := eng.index.Article(victim.ID); ok && got.Hash() != before {
		t.Errorf("article %s was replaced by a shared file of the same name", victim.ID)
	}
	if _, ok := eng.index.Article(a.ID); !ok {
		t.Error("the shared file is not indexed")
	}
}

// ferryPage is an article page with its text in <article>.
const ferryPage = `<!doctype html><html><head><title>Ferry route approved</title></head><body><article><h1>Ferry route approved</h1>
<p>The harbour council approved a new ferry route to the northern islands on Monday, the mayor said at a packed meeting in the town hall.</p>
<p>Crossings will start in the spring and run twice a day, with a larger boat added in the summer months when tourists arrive.</p>
</article></body></html>`

// newFerrySite serves an RSS feed at /rss.xml whose one item carries only
// a summary, and the item's page (ferryPage) at every other path.
func newFerrySite(tb testing.TB) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/rss.xml" {
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Gazette</title>
<item><title>Ferry route approved</title><link>%s/news/ferry</link><guid>g-ferry</guid><pubDate>Tue, 19 Aug 2025 08:30:00 GMT</pubDate>
<description>Summary only.</description></item></channel></rss>`, srv.URL)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, ferryPage)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// TestIngestFeedURL ingests a local RSS feed through `bot ingest URL`
// twice, then checks the status and an answer.
func TestIngestFeedURL(t *testing.T) {
	srv := newFerrySite(t)
	e := env{"BOT_DATA_DIR": t.TempDir(), "BOT_FETCH_ALLOW_PRIVATE": "true"}
	out, errOut, code := runBot(t, e, "", "ingest", srv.URL+"/rss.xml")
	if code != 0 || !strings.Contains(out, "added "+srv.URL+"/news/ferry") {
		t.Fatalf("ingest feed: exit %d, %q, %q", code, out, errOut)
	}
	if strings.Contains(out, "(0 chunks embedded)") {
		t.Errorf("ingest feed: %q, want the chunks embedded for its item counted", out)
	}
	out, _, _ = runBot(t, e, "", "ingest", srv.URL+"/rss.xml")
	if !strings.Contains(out, "0 new, 0 updated") {
		t.Errorf("the same feed again: %q, want nothing added", out)
	}
	var st struct {
		Articles int `json:"articles"`
		Feeds    []struct {
			URL        string `json:"url"`
			Title      string `json:"title"`
			LastResult string `json:"last_result"`
		} `json:"feeds"`
		Outlets map[string]int `json:"outlets"`
	}
	sout, _, _ := runBot(t, e, "", "status", "--json")
	if err := json.Unmarshal([]byte(sout), &st); err != nil {
		t.Fatal(err)
	}
	if st.Articles != 1 || st.Outlets["Harbour Gazette"] != 1 || len(st.Feeds) != 1 || st.Feeds[0].Title != "Harbour Gazette" || st.Feeds[0].URL != srv.URL+"/rss.xml" {
		t.Errorf("status after a feed ingest: %s", sout)
	}
	if !sourceFinds(t, e, "run twice a day") {
		t.Error("the feed item's page text is not quotable")
	}
}

// TestIngestPageAndMalformedFeedURLs checks `bot ingest` of a page URL and
// of a malformed feed: the page is added, the feed skipped with why it is
// not a feed, and neither is listed as a (failing) feed by `bot status`.
func TestIngestPageAndMalformedFeedURLs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/bad.xml" {
			w.Header().Set("Content-Type", "application/rss+xml")
			fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title><item><title>a</item></chan`)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, ferryPage)
	}))
	defer srv.Close()
	e := env{"BOT_DATA_DIR": t.TempDir(), "BOT_FETCH_ALLOW_PRIVATE": "true"}
	out, errOut, code := runBot(t, e, "", "ingest", srv.URL+"/news/ferry", srv.URL+"/bad.xml")
	if code != 0 {
		t.Fatalf("ingest: exit %d, %q", code, errOut)
	}
	if !strings.Contains(out, "added "+srv.URL+"/news/ferry") {
		t.Errorf("ingest of a page: %q, want it added", out)
	}
	if want := "skipped " + srv.URL + "/bad.xml: not an RSS, Atom or JSON feed"; !strings.Contains(out, want) || !strings.Contains(out, "XML syntax error") {
		t.Errorf("ingest of a malformed feed: %q, want %q with the parser's reason", out, want)
	}
	var st struct {
		Feeds []json.RawMessage `json:"feeds"`
	}
	sout, _, _ := runBot(t, e, "", "status", "--json")
	if err := json.Unmarshal([]byte(sout), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Feeds) != 0 {
		t.Errorf("status lists %d feeds after ingesting a page and a malformed feed, want none: %s", len(st.Feeds), sout)
	}
}

// TestStatusShowsFeedsWhileTheBotRuns checks that `bot status --json`
// shows the feeds' status while another process (the bot, which polls
// them) holds the store, and that it changes nothing there.
func TestStatusShowsFeedsWhileTheBotRuns(t *testing.T) {
	data := t.TempDir()
	held, err := store.Open(data, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	const feed = "https://news.example/rss.xml"
	if err := held.PutJSON(ingest.FeedsBucket, feed, ingest.FeedStatus{URL: feed, Title: "Harbour Gazette", LastResult: "error: the site answered 500 Internal Server Error", Failures: 2}); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runBot(t, env{"BOT_DATA_DIR": data}, "", "status", "--json")
	if code != 0 {
		t.Fatalf("status exit %d: %s", code, errOut)
	}
	var st struct {
		Feeds []ingest.FeedStatus `json:"feeds"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json stdout is not one JSON object: %v\n%s", err, out)
	}
	if len(st.Feeds) != 1 || st.Feeds[0].URL != feed || st.Feeds[0].Failures != 2 || !strings.Contains(st.Feeds[0].LastResult, "500") {
		t.Errorf("feeds while the bot runs: %+v, want %s with 2 failures and its last result (stderr %q)", st.Feeds, feed, errOut)
	}
	var got ingest.FeedStatus
	if err := held.GetJSON(ingest.FeedsBucket, feed, &got); err != nil || got.Failures != 2 {
		t.Errorf("the bot's store after status: %+v, %v; want it unchanged", got, err)
	}
}

// TestOneArticleIngestedThreeWays ingests one article as its page URL,
// as the page saved to an .html file and as a Markdown file with its url:
// the index holds it once, and the saved page's markup is never indexed.
func TestOneArticleIngestedThreeWays(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, ferryPage)
	}))
	defer srv.Close()
	e := env{"BOT_DATA_DIR": t.TempDir(), "BOT_FETCH_ALLOW_PRIVATE": "true"}
	dir := t.TempDir()
	saved := filepath.Join(dir, "ferry.html")
	md := filepath.Join(dir, "ferry.md")
	if err := os.WriteFile(saved, []byte(ferryPage), 0o644); err != nil {
		t.Fatal(err)
	}
	mdText := "---\ntitle: Ferry route approved\nurl: " + srv.URL + "/news/ferry\n---\n\n" +
		"The harbour council approved a new ferry route to the northern islands on Monday, the mayor said at a packed meeting in the town hall.\n\n" +
		"Crossings will start in the spring and run twice a day, with a larger boat added in the summer months when tourists arrive.\n"
	if err := os.WriteFile(md, []byte(mdText), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, arg := range []string{srv.URL + "/news/ferry", saved, md} {
		if out, errOut, code := runBot(t, e, "", "ingest", arg); code != 0 {
			t.Fatalf("ingest %s: exit %d, %q, %q", arg, code, out, errOut)
		}
		if n := articleCount(t, e); n != 1 {
			t.Errorf("after ingesting %s: %d articles, want 1", arg, n)
		}
	}
	// The same three in one command, files first.
	once := env{"BOT_DATA_DIR": t.TempDir(), "BOT_FETCH_ALLOW_PRIVATE": "true"}
	if out, errOut, code := runBot(t, once, "", "ingest", saved, md, srv.URL+"/news/ferry"); code != 0 || strings.Count(out, "added ") != 1 {
		t.Errorf("ingest of the three in one command: exit %d, %q, %q; want one added", code, out, errOut)
	}
	if n := articleCount(t, once); n != 1 {
		t.Errorf("after ingesting the three in one command: %d articles, want 1", n)
	}
	if sourceFinds(t, e, "<p>Crossings will start") {
		t.Error("the saved page's markup is quotable, want only its text")
	}
	if !sourceFinds(t, e, "run twice a day") {
		t.Error("the article's text is not quotable")
	}
}

// TestIngestWithAFailingFeed checks that a feed that fails (here a 500)
// among the inputs of `bot ingest` is skipped with its reason: the other
// feeds and files are ingested and listed, and the exit status says that
// one input failed.
func TestIngestWithAFailingFeed(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken.xml" {
			http.Error(w, "oops", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		body := strings.Repeat("<p>The tram depot will close in June, the transport authority said on Friday, after forty years of service.</p>", 14)
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Northern Courier</title>
<item><title>Tram depot to close</title><link>%s/depot</link><description><![CDATA[%s]]></description></item></channel></rss>`, srv.URL, body)
	}))
	defer srv.Close()
	e := env{"BOT_DATA_DIR": t.TempDir(), "BOT_FETCH_ALLOW_PRIVATE": "true"}
	file := writeRecords(t, t.TempDir(), "a.jsonl", story("ferry terminal", "2025-08-19T14:05:00Z"))
	out, errOut, code := runBot(t, e, "", "ingest", srv.URL+"/rss.xml", srv.URL+"/broken.xml", file)
	if code == 0 || !strings.Contains(errOut, srv.URL+"/broken.xml") {
		t.Errorf("ingest with a failing feed: exit %d, stderr %q; want non-zero naming the feed", code, errOut)
	}
	for _, want := range []string{"added " + srv.URL + "/depot", "added https://news.example/ferry-terminal", "skipped " + srv.URL + "/broken.xml: "} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest with a failing feed: stdout %q, want %q", out, want)
		}
	}
	if n := articleCount(t, e); n != 2 {
		t.Errorf("after the ingest: %d articles, want 2", n)
	}
}

// TestRemovedFeedItemStaysRemoved checks that an article removed with
// `bot remove` is not brought back by the next poll of a feed that still
// lists it.
func TestRemovedFeedItemStaysRemoved(t *testing.T) {
	srv := newFerrySite(t)
	e := env{"BOT_DATA_DIR": t.TempDir(), "BOT_FETCH_ALLOW_PRIVATE": "true"}
	if out, errOut, code := runBot(t, e, "", "ingest", srv.URL+"/rss.xml"); code != 0 || !strings.Contains(out, "added ") {
		t.Fatalf("ingest feed: exit %d, %q, %q", code, out, errOut)
	}
	if out, errOut, code := runBot(t, e, "", "remove", srv.URL+"/news/ferry"); code != 0 {
		t.Fatalf("remove: exit %d, %q, %q", code, out, errOut)
	}
	out, errOut, code := runBot(t, e, "", "ingest", srv.URL+"/rss.xml")
	if code != 0 || strings.Contains(out, "added ") {
		t.Errorf("the feed polled again after the removal: exit %d, %q, %q; want nothing added", code, out, errOut)
	}
	if sourceFinds(t, e, "run twice a day") {
		t.Error("the removed feed item is quoted again after the next poll")
	}
}

// TestRemovedWatchedFileStaysRemoved checks that an article of
// BOT_ARTICLES_DIR removed with `bot remove` is not indexed again from its
// file at the next start, and that `bot ingest` of the file brings it back.
func TestRemovedWatchedFileStaysRemoved(t *testing.T) {
	dir := t.TempDir()
	e := env{"BOT_DATA_DIR": t.TempDir(), "BOT_ARTICLES_DIR": dir}
	f := writeRecords(t, dir, "a.jsonl", story("ferry terminal", "2025-08-19T14:05:00Z"))
	const quote = "Work on the ferry terminal"
	if !sourceFinds(t, e, quote) {
		t.Fatal("the watched folder's article is not quotable")
	}
	if out, errOut, code := runBot(t, e, "", "remove", "https://news.example/ferry-terminal"); code != 0 {
		t.Fatalf("remove: exit %d, %q, %q", code, out, errOut)
	}
	if sourceFinds(t, e, quote) {
		t.Error("the removed article of a watched file is quoted again after a restart")
	}
	if out, errOut, code := runBot(t, e, "", "ingest", f); code != 0 || !strings.Contains(out, "added ") {
		t.Fatalf("ingest by hand: exit %d, %q, %q", code, out, errOut)
	}
	if !sourceFinds(t, e, quote) {
		t.Error("the article ingested again by hand is not quotable after a restart")
	}
}
