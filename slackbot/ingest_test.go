package slackbot

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/briefbot/briefbot/article"
)

// Articles the fake ingester returns.
var (
	budgetArticle = article.Article{ID: "news.example/budget", Title: "Council approves £4.2m budget", Outlet: "Daily Ledger",
		URL: "https://news.example/budget", PublishedAt: time.Date(2025, 8, 19, 7, 30, 0, 0, time.UTC)}
	// untitledArticle has no title, outlet or date: the confirmation uses
	// its opening words and says the rest is unknown.
	untitledArticle = article.Article{ID: "notes", Text: hoursText, Body: []article.Span{{Start: 0, End: len(hoursText)}}}
)

const hoursText = "Library hours are extended to 8pm from September."

// sharedFile is what an IngestFile call received.
type sharedFile struct {
	Name string
	Data []byte
}

// ingestService is a fakeService that is also an Ingester: it records what
// it was asked to add and answers from its maps (budgetArticle otherwise).
type ingestService struct {
	*fakeService
	articles map[string]article.Article // by URL or file name
	errs     map[string]error           // by URL or file name

	mu    sync.Mutex
	urls  []string
	files []sharedFile
}

func newIngestService() *ingestService {
	return &ingestService{fakeService: &fakeService{}, articles: map[string]article.Article{}, errs: map[string]error{}}
}

// userError is an error written for the person who asked, as webpage's
// errors are.
type userError struct{ msg string }

func (e userError) Error() string       { return e.msg }
func (e userError) UserMessage() string { return e.msg }

func (s *ingestService) IngestURL(ctx context.Context, rawURL string) (article.Article, error) {
	s.mu.Lock()
	s.urls = append(s.urls, rawURL)
	s.mu.Unlock()
	return s.result(ctx, rawURL)
}

func (s *ingestService) IngestFile(ctx context.Context, name string, data []byte) (article.Article, error) {
	s.mu.Lock()
	s.files = append(s.files, sharedFile{name, bytes.Clone(data)})
	s.mu.Unlock()
	return s.result(ctx, name)
}

func (s *ingestService) result(ctx context.Context, key string) (article.Article, error) {
	if err := ctx.Err(); err != nil {
		return article.Article{}, err
	}
	if err := s.errs[key]; err != nil {
		return article.Article{}, err
	}
	if a, ok := s.articles[key]; ok {
		return a, nil
	}
	return budgetArticle, nil
}

func (s *ingestService) URLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.urls...)
}

func (s *ingestService) Files() []sharedFile {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sharedFile(nil), s.files...)
}

// fileShareEvent is a direct message sharing files, as Slack sends it
// (message subtype file_share).
func fileShareEvent(channel, user, ts, text string, files ...map[string]any) map[string]any {
	e := messageEvent("im", channel, user, ts, "", text)
	e["subtype"], e["upload"], e["files"] = "file_share", true, files
	return e
}

// slackFile is a files[] entry of a file_share message.
func slackFile(id, name, mimetype, filetype string, size int, download string) map[string]any {
	private := strings.Replace(download, "/download/", "/", 1)
	return map[string]any{
		"id": id, "created": 1800000000, "timestamp": 1800000000, "name": name, "title": name,
		"mimetype": mimetype, "filetype": filetype, "pretty_type": filetype, "user": "U1", "user_team": "T1",
		"editable": false, "size": size, "mode": "hosted", "is_external": false, "external_type": "",
		"is_public": false, "public_url_shared": false, "display_as_bot": false, "username": "",
		"url_private": private, "url_private_download": download,
		"permalink": "https://fake.slack.com/files/U1/" + id + "/" + url.PathEscape(name),
	}
}

const budgetAdded = "Added “Council approves £4.2m budget” (Daily Ledger, 2025-08-19) – you can ask about it now."

// TestSocketDMAddLink: a direct message that is a link, or "add"/"ingest"
// and links, has its links added (unwrapped from Slack's markup) and the
// person is told what was added or why not; a question with a link in it
// is answered as a question.
func TestSocketDMAddLink(t *testing.T) {
	refused := error(userError{"refused: intranet.example resolves to a private address (10.0.0.5)"})
	for i, tc := range []struct {
		name      string
		slackText string
		wantURLs  []string
		wantReply []string
		wantOK    float64
		wantErr   float64
		wantAsked string // for a question
	}{
		{name: "a bare link, escaped as Slack sends it", slackText: "<https://news.example/budget?id=7&amp;src=dm>",
			wantURLs: []string{"https://news.example/budget?id=7&src=dm"}, wantReply: []string{budgetAdded}, wantOK: 1},
		{name: "a labelled link", slackText: "<https://news.example/budget|news.example/budget>",
			wantURLs: []string{"https://news.example/budget"}, wantReply: []string{budgetAdded}, wantOK: 1},
		{name: "add and a link", slackText: "add <https://news.example/budget>",
			wantURLs: []string{"https://news.example/budget"}, wantReply: []string{budgetAdded}, wantOK: 1},
		{name: "ingest: and two links, one without title, outlet or date", slackText: "Ingest: <https://news.example/budget>\n<https://notes.example/hours>",
			wantURLs:  []string{"https://news.example/budget", "https://notes.example/hours"},
			wantReply: []string{budgetAdded, "Added “Library hours are extended to 8pm from September.” (outlet unknown, date unknown) – you can ask about it now."},
			wantOK:    2},
		{name: "a refused link", slackText: "<http://intranet.example/wiki>",
			wantURLs:  []string{"http://intranet.example/wiki"},
			wantReply: []string{"Couldn't add http://intranet.example/wiki: " + refused.Error() + "."}, wantErr: 1},
		{name: "four links", slackText: "<https://a.example/1> <https://a.example/2> <https://a.example/3> <https://a.example/4>",
			wantURLs:  []string{"https://a.example/1", "https://a.example/2", "https://a.example/3"},
			wantReply: []string{budgetAdded, budgetAdded, budgetAdded, "I add at most 3 links or files per message, so I skipped 1 other; please send it again."},
			wantOK:    3},
		{name: "a question with a link", slackText: "What does <https://news.example/budget|this article> say about libraries?",
			wantAsked: "What does this article say about libraries?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := newIngestService()
			svc.errs["http://intranet.example/wiki"] = refused
			svc.articles["https://notes.example/hours"] = untitledArticle
			h := startSocket(t, svc, nil)
			ts := fmt.Sprintf("1700000700.%06d", i)
			h.sock.Send(eventsEnvelope("env-link", "EvLink", 0, messageEvent("im", "D1", "U1", ts, "", tc.slackText)))
			p := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			h.settle(t)
			if got := p.Form.Get("channel"); got != "D1" {
				t.Errorf("got reply in %q, want the DM D1", got)
			}
			if got := svc.URLs(); !reflect.DeepEqual(got, tc.wantURLs) {
				t.Errorf("got IngestURL calls %q, want %q", got, tc.wantURLs)
			}
			shown := screen(p.Blocks)
			if tc.wantAsked != "" {
				if asks := svc.Asks(); len(asks) != 1 || asks[0].Question != tc.wantAsked {
					t.Errorf("got questions %+v, want %q", asks, tc.wantAsked)
				}
			} else {
				if got, want := p.Form.Get("text"), strings.Join(tc.wantReply, "\n"); got != want {
					t.Errorf("got reply\n%s\nwant\n%s", got, want)
				}
				for _, line := range tc.wantReply {
					if !strings.Contains(shown, line) {
						t.Errorf("the reply does not show %q; it shows:\n%s", line, shown)
					}
				}
				if n := len(svc.Asks()) + len(svc.Sources()); n != 0 {
					t.Errorf("got %d questions or lookups, want 0", n)
				}
			}
			if got := testutil.ToFloat64(h.bot.metrics.ingested.WithLabelValues(ingestURL, resultOK)); got != tc.wantOK {
				t.Errorf("got ingested_total{kind=url,result=ok} %v, want %v", got, tc.wantOK)
			}
			if got := testutil.ToFloat64(h.bot.metrics.ingested.WithLabelValues(ingestURL, resultError)); got != tc.wantErr {
				t.Errorf("got ingested_total{kind=url,result=error} %v, want %v", got, tc.wantErr)
			}
			transcript(t, "DM link: "+tc.name, "ana → briefbot (DM): "+tc.slackText, "briefbot:", indent(shown))
		})
	}
}

// TestSocketDMAddFile: a file shared in a direct message is downloaded
// from its url_private_download with the bot token and added; files too
// large (by their size, or by what is actually served), of another type,
// or that the ingester rejects are refused with the reason, the first two
// kinds without a download.
func TestSocketDMAddFile(t *testing.T) {
	const limit = 1024
	notes := []byte("# Library hours\n\nLibrary hours are extended to 8pm from September, the council said.\n")
	page := []byte("<html><head><title>Budget</title></head><body><article><p>The council approved the budget.</p></article></body></html>")
	for i, tc := range []struct {
		name       string
		file       func(f *fakeSlack) map[string]any
		caption    string
		wantFile   *sharedFile // what IngestFile receives; nil: not called
		wantReply  string
		wantFetch  int // downloads the fake served
		wantInfo   string
		wantResult string
	}{
		{name: "a markdown file", file: func(f *fakeSlack) map[string]any {
			return slackFile("F1", "hours.md", "text/markdown", "markdown", len(notes), f.AddFile("F1", "hours.md", notes))
		}, wantFile: &sharedFile{"hours.md", notes}, wantReply: budgetAdded, wantFetch: 1, wantResult: resultOK},
		{name: "an HTML page with a caption", caption: "what does this say?", file: func(f *fakeSlack) map[string]any {
			return slackFile("F2", "budget.html", "text/html", "html", len(page), f.AddFile("F2", "budget.html", page))
		}, wantFile: &sharedFile{"budget.html", page}, wantReply: budgetAdded, wantFetch: 1, wantResult: resultOK},
		{name: "a snippet without an extension", file: func(f *fakeSlack) map[string]any {
			return slackFile("F3", "Untitled", "text/plain", "text", len(notes), f.AddFile("F3", "Untitled", notes))
		}, wantFile: &sharedFile{"Untitled.txt", notes}, wantReply: budgetAdded, wantFetch: 1, wantResult: resultOK},
		{name: "a file Slack sends only by its ID", file: func(f *fakeSlack) map[string]any {
			f.SetFileInfo(slackFile("F8", "hours.txt", "text/plain", "text", len(notes), f.AddFile("F8", "hours.txt", notes)))
			return map[string]any{"id": "F8", "mode": "file_access", "file_access": "check_file_info", "created": 0, "timestamp": 0, "user": ""}
		}, wantFile: &sharedFile{"hours.txt", notes}, wantReply: budgetAdded, wantFetch: 1, wantInfo: "F8", wantResult: resultOK},
		{name: "a file files.info does not know", file: func(*fakeSlack) map[string]any {
			return map[string]any{"id": "F9", "mode": "file_access", "file_access": "check_file_info", "created": 0, "timestamp": 0, "user": ""}
		}, wantReply: "Couldn't add the file you shared: Slack didn't let me see it.", wantInfo: "F9", wantResult: resultError},
		{name: "too large by its size", file: func(f *fakeSlack) map[string]any {
			return slackFile("F4", "big.txt", "text/plain", "text", 2*limit, f.AddFile("F4", "big.txt", bytes.Repeat([]byte("x"), 2*limit)))
		}, wantReply: "Couldn't add big.txt: it is too large (2 KiB; the limit is 1 KiB).", wantResult: resultError},
		{name: "larger than its size says", file: func(f *fakeSlack) map[string]any {
			return slackFile("F5", "liar.txt", "text/plain", "text", 100, f.AddFile("F5", "liar.txt", bytes.Repeat([]byte("x"), 4*limit)))
		}, wantReply: "Couldn't add liar.txt: it is too large (over 1 KiB, the limit).", wantFetch: 1, wantResult: resultError},
		{name: "an unsupported type", file: func(f *fakeSlack) map[string]any {
			return slackFile("F6", "report.pdf", "application/pdf", "pdf", 300, f.AddFile("F6", "report.pdf", []byte("%PDF-1.7")))
		}, wantReply: "Couldn't add report.pdf: I can only add .txt, .md and .html files.", wantResult: resultError},
		{name: "rejected by the ingester", file: func(f *fakeSlack) map[string]any {
			return slackFile("F7", "thin.html", "text/html", "html", len(page), f.AddFile("F7", "thin.html", page))
		}, wantFile: &sharedFile{"thin.html", page}, wantReply: "Couldn't add thin.html: not an article: the page has too little text.", wantFetch: 1, wantResult: resultError},
		{name: "failed on the bot's side: no server path shown", file: func(f *fakeSlack) map[string]any {
			return slackFile("F10", "disk.txt", "text/plain", "text", len(notes), f.AddFile("F10", "disk.txt", notes))
		}, wantFile: &sharedFile{"disk.txt", notes}, wantReply: "Couldn't add disk.txt: " + msgAddFailed, wantFetch: 1, wantResult: resultError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := newIngestService()
			svc.errs["thin.html"] = userError{"not an article: the page has too little text"}
			svc.errs["disk.txt"] = fmt.Errorf("index disk.txt: %w", &fs.PathError{Op: "open", Path: "/tmp/briefbot/index.bin.4821.tmp", Err: syscall.EROFS})
			h := startSocket(t, svc, func(c *Config) { c.MaxFileBytes = limit })
			ts := fmt.Sprintf("1700000800.%06d", i)
			h.sock.Send(eventsEnvelope("env-file", "EvFile", 0, fileShareEvent("D1", "U1", ts, tc.caption, tc.file(h.fake))))
			p := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			h.settle(t)

			if got := p.Form.Get("text"); got != tc.wantReply {
				t.Errorf("got reply %q, want %q", got, tc.wantReply)
			}
			files := svc.Files()
			switch {
			case tc.wantFile == nil && len(files) != 0:
				t.Errorf("got IngestFile calls for %q, want none", files[0].Name)
			case tc.wantFile != nil && (len(files) != 1 || files[0].Name != tc.wantFile.Name || !bytes.Equal(files[0].Data, tc.wantFile.Data)):
				t.Errorf("got IngestFile calls %+v, want one for %q with the file's %d bytes", files, tc.wantFile.Name, len(tc.wantFile.Data))
			}
			downloads := h.fake.Downloads()
			if len(downloads) != tc.wantFetch {
				t.Errorf("got %d downloads, want %d", len(downloads), tc.wantFetch)
			}
			var infos []string
			for _, c := range h.fake.Calls("files.info") {
				infos = append(infos, c.Form.Get("file"))
			}
			if want := []string{tc.wantInfo}; (tc.wantInfo == "" && len(infos) != 0) || (tc.wantInfo != "" && !reflect.DeepEqual(infos, want)) {
				t.Errorf("got files.info calls for %q, want them for %q", infos, tc.wantInfo)
			}
			for _, d := range downloads {
				if !d.Served || d.Authorization != "Bearer "+testBotToken {
					t.Errorf("got download %+v, want it served with the bot token as a Bearer token", d)
				}
			}
			if n := len(svc.Asks()) + len(svc.Sources()); n != 0 {
				t.Errorf("got %d questions or lookups (the caption is not a question), want 0", n)
			}
			if got := testutil.ToFloat64(h.bot.metrics.ingested.WithLabelValues(ingestFile, tc.wantResult)); got != 1 {
				t.Errorf("got ingested_total{kind=file,result=%s} %v, want 1", tc.wantResult, got)
			}
			shared := "ana shares a file with briefbot (DM)"
			if tc.caption != "" {
				shared += ", captioned: " + tc.caption
			}
			transcript(t, "DM file: "+tc.name, shared, fmt.Sprintf("briefbot downloads it: %d time(s)", len(downloads)), "briefbot:", indent(screen(p.Blocks)))
		})
	}
}

// TestHTTPDMAddFile: over the HTTP Events API a shared file is added the
// same way.
func TestHTTPDMAddFile(t *testing.T) {
	svc := newIngestService()
	h, srv := startHTTP(t, svc, nil)
	data := []byte("Library hours are extended to 8pm from September.\n")
	dl := h.fake.AddFile("F1", "hours.txt", data)
	body := mustJSON(t, eventCallback("EvHF", fileShareEvent("D1", "U1", "1700000900.000100", "", slackFile("F1", "hours.txt", "text/plain", "text", len(data), dl))))
	resp := signedPost(t, srv, "/slack/events", "application/json", body, nil)
	readBody(t, resp)
	if resp.StatusCode != 200 {
		t.Fatalf("got status %d, want 200", resp.StatusCode)
	}
	p := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
	h.settle(t)
	if files := svc.Files(); len(files) != 1 || files[0].Name != "hours.txt" || !bytes.Equal(files[0].Data, data) {
		t.Errorf("got IngestFile calls %+v, want hours.txt with its bytes", files)
	}
	if got := p.Form.Get("text"); got != budgetAdded {
		t.Errorf("got reply %q, want %q", got, budgetAdded)
	}
}

// TestSocketDMAddWithoutIngester: when the service cannot add articles, a
// link or a file gets a polite reply, nothing is downloaded, and the help
// does not offer it.
func TestSocketDMAddWithoutIngester(t *testing.T) {
	h := startSocket(t, nil, nil)
	data := []byte("Library hours are extended.\n")
	dl := h.fake.AddFile("F1", "hours.txt", data)
	h.sock.Send(eventsEnvelope("e1", "E1", 0, messageEvent("im", "D1", "U1", "1700001000.000001", "", "<https://news.example/budget>")))
	h.sock.Send(eventsEnvelope("e2", "E2", 0, fileShareEvent("D1", "U1", "1700001000.000002", "", slackFile("F1", "hours.txt", "text/plain", "text", len(data), dl))))
	h.sock.Send(eventsEnvelope("e3", "E3", 0, messageEvent("im", "D1", "U1", "1700001000.000003", "", "add")))
	h.sock.Send(eventsEnvelope("e4", "E4", 0, messageEvent("im", "D1", "U1", "1700001000.000004", "", "help")))
	posts := h.fake.WaitCalls(t, "chat.postMessage", 4)
	h.settle(t)
	// The four are handled concurrently: tell the replies apart by text.
	polite, help := 0, ""
	for _, p := range posts {
		switch text := p.Form.Get("text"); {
		case text == msgCannotAdd:
			polite++
		case strings.Contains(text, "/briefing"):
			help = text
		default:
			t.Errorf("got an unexpected reply %q", text)
		}
	}
	if polite != 3 {
		t.Errorf("got %d replies %q, want 3 (link, file, add)", polite, msgCannotAdd)
	}
	if help == "" || strings.Contains(help, "add the article") {
		t.Errorf("got help %q, want the usage without adding articles", help)
	}
	if got := len(h.fake.Downloads()); got != 0 {
		t.Errorf("got %d downloads, want 0", got)
	}
	if n := len(h.svc.Asks()) + len(h.svc.Sources()); n != 0 {
		t.Errorf("got %d questions or lookups, want 0", n)
	}
	transcript(t, "DM link and file without an ingester",
		"ana → briefbot (DM): https://news.example/budget", "briefbot: "+msgCannotAdd,
		"ana shares hours.txt with briefbot", "briefbot: "+msgCannotAdd,
		"ana → briefbot (DM): add", "briefbot: "+msgCannotAdd)
}

// TestSocketDMAddHelpAndRateLimit: with an ingester the help says how to
// add articles, "add" alone explains it, and adding counts against the
// per-user rate limit like a question.
func TestSocketDMAddHelpAndRateLimit(t *testing.T) {
	now := time.Date(2025, 8, 19, 9, 0, 0, 0, time.UTC)
	svc := newIngestService()
	h := startSocket(t, svc, func(c *Config) {
		c.RateLimit, c.RateBurst = 1.0/3600, 1
		c.Now = func() time.Time { return now }
	})
	h.sock.Send(eventsEnvelope("e1", "E1", 0, messageEvent("im", "D1", "U1", "1700001100.000001", "", "help")))
	h.sock.Send(eventsEnvelope("e2", "E2", 0, messageEvent("im", "D1", "U1", "1700001100.000002", "", "add")))
	h.sock.Send(eventsEnvelope("e3", "E3", 0, messageEvent("im", "D1", "U1", "1700001100.000003", "", "<https://news.example/budget>")))
	h.sock.Send(eventsEnvelope("e4", "E4", 0, messageEvent("im", "D1", "U1", "1700001100.000004", "", "<https://news.example/other>")))
	posts := h.fake.WaitCalls(t, "chat.postMessage", 4)
	h.settle(t)
	// The four are handled concurrently: tell the replies apart by text.
	var got []string
	for _, p := range posts {
		got = append(got, p.Form.Get("text"))
	}
	for _, want := range []string{usageAdd, budgetAdded, rateLimited(time.Hour), usageAddLine} {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("no reply says %q; the replies are %q", want, got)
		}
	}
	if urls := svc.URLs(); !reflect.DeepEqual(urls, []string{"https://news.example/budget"}) {
		t.Errorf("got IngestURL calls %q, want only the first link", urls)
	}
	if got := testutil.ToFloat64(h.bot.metrics.userLimited); got != 1 {
		t.Errorf("got user_rate_limited_total %v, want 1", got)
	}
}

func TestAddLinks(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string // nil: not a request to add
	}{
		{"bare link", "<https://news.example/a>", []string{"https://news.example/a"}},
		{"labelled link", "<https://news.example/a|the article>", []string{"https://news.example/a"}},
		{"escaped query", "<https://news.example/a?x=1&amp;y=2>", []string{"https://news.example/a?x=1&y=2"}},
		{"links and punctuation", "<https://a.example/1>, <https://a.example/2> !", []string{"https://a.example/1", "https://a.example/2"}},
		{"the same link twice", "<https://a.example/1> <https://a.example/1>", []string{"https://a.example/1"}},
		{"add", "add <https://a.example/1>", []string{"https://a.example/1"}},
		{"Add: with words", "Add: this one please <https://a.example/1>", []string{"https://a.example/1"}},
		{"please add", "please add <https://a.example/1>", []string{"https://a.example/1"}},
		{"ingest", "ingest <https://a.example/1|a.example/1>", []string{"https://a.example/1"}},
		{"not written as markup", "add https://a.example/1.", []string{"https://a.example/1"}},
		{"with the bot's mention", "<@UBOT> <https://a.example/1>", []string{"https://a.example/1"}},
		{"a question with a link", "What does <https://a.example/1> say?", nil},
		{"a link with a comment", "<https://a.example/1> is interesting", nil},
		{"add without a link", "add the budget figures", nil},
		{"a mailto link", "<mailto:ana@example.com|ana@example.com>", nil},
		{"a channel", "<#C123|news>", nil},
		{"plain text", "Who approved the budget?", nil},
		{"adder is not add", "adder <https://a.example/1>", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := addLinks(tc.text, botUser)
			if ok != (tc.want != nil) || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("addLinks(%q) = %q, %v; want %q, %v", tc.text, got, ok, tc.want, tc.want != nil)
			}
		})
	}
}

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{1, "1 byte"}, {900, "900 bytes"}, {1024, "1 KiB"}, {1536, "1.5 KiB"}, {5 << 20, "5 MiB"}, {6_500_000, "6.2 MiB"},
	} {
		if got := byteSize(tc.n); got != tc.want {
			t.Errorf("byteSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
