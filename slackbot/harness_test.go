package slackbot

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/briefing"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/store"
)

// Canned articles the fake service cites.
var (
	citeBudget = citation.Citation{N: 1, Source: "ledger-budget", Title: "Council approves £4.2m budget", Outlet: "Daily Ledger",
		PublishedAt: "2025-03-04", URL: "https://ledger.example/budget?id=1&src=feed",
		Quote: "The council approved a £4.2m budget on Tuesday after a three-hour debate."}
	citeSpending = citation.Citation{N: 2, Source: "courier-budget", Title: "Budget: what changes for residents", Outlet: "Evening Courier",
		PublishedAt: "2025-03-05", URL: "https://courier.example/news/budget",
		Quote: "Spending on libraries rises by 4% & parks get <new> funding."}
)

// askCall is one Answer call the fake service received.
type askCall struct {
	Question string
	History  []answer.Turn
}

// fakeService is a Service with canned results that records what it was
// asked. With gate set, every call waits for the gate (or its context).
type fakeService struct {
	mu        sync.Mutex
	asks      []askCall
	sources   []string
	briefings []BriefingRequest
	started   chan string   // receives the question of each call, if set
	gate      chan struct{} // calls wait for it to close, if set
	ctxErrs   []error       // context errors of calls that gave up waiting
	fail      error         // Answer returns it, if set
	dropped   int64
}

func (s *fakeService) wait(ctx context.Context, what string) error {
	if s.started != nil {
		s.started <- what
	}
	if s.gate == nil {
		return nil
	}
	select {
	case <-s.gate:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		s.ctxErrs = append(s.ctxErrs, ctx.Err())
		s.mu.Unlock()
		return fmt.Errorf("fake service: %w", ctx.Err())
	}
}

func (s *fakeService) Answer(ctx context.Context, q string, history []answer.Turn) (answer.Answer, error) {
	s.mu.Lock()
	s.asks = append(s.asks, askCall{q, history})
	s.mu.Unlock()
	if err := s.wait(ctx, q); err != nil {
		return answer.Answer{}, err
	}
	if s.fail != nil {
		return answer.Answer{}, s.fail
	}
	if strings.Contains(strings.ToLower(q), "weather") {
		return answer.Answer{Question: q, Answer: "", Grounded: false, Mode: "extractive", Citations: []citation.Citation{}}, nil
	}
	return answer.Answer{
		Question: q,
		Answer:   "The council approved a £4.2m budget on Tuesday [1]. Library spending rises by 4% [2].",
		Grounded: true,
		Sentences: []answer.Sentence{
			{Text: "The council approved a £4.2m budget on Tuesday [1].", Citations: []int{1}},
			{Text: "Library spending rises by 4% [2].", Citations: []int{2}},
		},
		Citations: []citation.Citation{citeBudget, citeSpending},
		Mode:      "extractive",
		Notes:     []string{"Answered by extracting sentences; no model is configured."},
	}, nil
}

func (s *fakeService) Source(ctx context.Context, text string) (answer.SourceResult, error) {
	s.mu.Lock()
	s.sources = append(s.sources, text)
	s.mu.Unlock()
	if err := s.wait(ctx, text); err != nil {
		return answer.SourceResult{}, err
	}
	exact := citeBudget
	exact.Quote = "approved a £4.2m budget"
	near := citeSpending
	near.N = 2
	near.Quote = "Spending on libraries rises by 4%"
	return answer.SourceResult{Text: text, Matches: []answer.SourceMatch{
		{Citation: exact, Exact: true, Similarity: 1, Sentence: citeBudget.Quote},
		{Citation: near, Exact: false, Similarity: 0.87, Sentence: citeSpending.Quote, Altered: "trimmed"},
	}}, nil
}

func (s *fakeService) Briefing(ctx context.Context, req BriefingRequest) (briefing.Briefing, error) {
	s.mu.Lock()
	s.briefings = append(s.briefings, req)
	s.mu.Unlock()
	if err := s.wait(ctx, "briefing"); err != nil {
		return briefing.Briefing{}, err
	}
	return briefing.Briefing{
		Date: req.Date, Topic: req.Topic, Mode: "extractive", Articles: 2,
		Stories: []briefing.Story{{
			Headline: "Council passes budget", Outlets: []string{"Daily Ledger", "Evening Courier"},
			Articles: []string{"ledger-budget", "courier-budget"}, New: true,
			Points: []answer.Sentence{
				{Text: "The council approved the budget after a long debate.", Citations: []int{1}},
				{Text: "Libraries get more money.", Citations: []int{2}},
			},
			Disagreements: []answer.Disagreement{{Kind: "timing", About: "when the vote happened",
				Sides: []answer.Side{{Says: "Tuesday", Citation: 1}, {Says: "Monday night", Citation: 2}}}},
		}},
		Citations: []citation.Citation{citeBudget, citeSpending},
	}, nil
}

// DroppedQuotes implements DroppedQuotesCounter.
func (s *fakeService) DroppedQuotes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

func (s *fakeService) Asks() []askCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]askCall(nil), s.asks...)
}

func (s *fakeService) Sources() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sources...)
}

func (s *fakeService) Briefings() []BriefingRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]BriefingRequest(nil), s.briefings...)
}

// lockedBuffer collects log output; tests print it when they fail.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testLogger(t testing.TB) *slog.Logger {
	t.Helper()
	buf := &lockedBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bot log:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testConfig is a Socket Mode config pointing at the fake.
func testConfig(t testing.TB, f *fakeSlack) Config {
	t.Helper()
	dir := t.TempDir()
	return Config{
		BotToken:        testBotToken,
		AppToken:        testAppToken,
		APIURL:          f.APIURL(),
		DataDir:         dir,
		State:           openTestStore(t, dir),
		AnswerTimeout:   waitLimit,
		ShutdownTimeout: waitLimit,
		RateLimit:       1000,
		RateBurst:       1000,
		retryWait:       func(time.Duration) time.Duration { return time.Millisecond },
	}
}

// openTestStore opens the embedded store in dir, closed when the test ends.
func openTestStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(dir, time.Second)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return st
}

// fakeBased is a test Service built on a fakeService; the harness keeps
// the fakeService for assertions.
type fakeBased interface {
	Service
	base() *fakeService
}

func (s *fakeService) base() *fakeService { return s }

// harness is a bot running against the fake Slack.
type harness struct {
	fake *fakeSlack
	svc  *fakeService
	bot  *Bot
	reg  *prometheus.Registry
	cfg  Config
	sock *fakeSocket // Socket Mode only

	cancel context.CancelFunc
	done   chan error
}

// startSocket runs a bot in Socket Mode and waits for its websocket.
func startSocket(t testing.TB, svc fakeBased, edit func(*Config)) *harness {
	t.Helper()
	h := newHarness(t, svc, edit)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.bot.Run(ctx) }()
	t.Cleanup(func() { h.stop(t) })
	select {
	case h.sock = <-h.fake.sockets:
	case err := <-h.done:
		t.Fatalf("Run returned before connecting: %v", err)
	case <-time.After(waitLimit):
		t.Fatal("the bot did not open a Socket Mode connection")
	}
	return h
}

// startHTTP serves the bot's Handler on an httptest server.
func startHTTP(t testing.TB, svc fakeBased, edit func(*Config)) (*harness, *httptest.Server) {
	t.Helper()
	h := newHarness(t, svc, func(c *Config) {
		c.AppToken = ""
		c.SigningSecret = testSecret
		if edit != nil {
			edit(c)
		}
	})
	srv := httptest.NewServer(h.bot.Handler())
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := h.bot.Wait(ctx); err != nil {
			t.Errorf("Wait: %v", err)
		}
	})
	return h, srv
}

func newHarness(t testing.TB, svc fakeBased, edit func(*Config)) *harness {
	t.Helper()
	if svc == nil {
		svc = &fakeService{}
	}
	f := newFakeSlack(t)
	cfg := testConfig(t, f)
	if edit != nil {
		edit(&cfg)
	}
	reg := prometheus.NewRegistry()
	b, err := New(cfg, svc, testLogger(t), reg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &harness{fake: f, svc: svc.base(), bot: b, reg: reg, cfg: cfg}
}

// stop cancels Run and waits for it; every envelope must have been acked.
func (h *harness) stop(t testing.TB) {
	t.Helper()
	if h.cancel == nil {
		return
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(2 * waitLimit):
		t.Error("Run did not return after its context was cancelled")
	}
	if h.sock != nil {
		if un := h.sock.Unacked(); len(un) > 0 {
			t.Errorf("envelopes never acked: %v", un)
		}
	}
}

// settle makes sure every event sent so far was handled: a sentinel
// envelope's ack proves the earlier ones were planned (Socket Mode handles
// envelopes in order), then it waits for the work in flight.
func (h *harness) settle(t testing.TB) {
	t.Helper()
	if h.sock != nil {
		id := fmt.Sprintf("sentinel-%d", time.Now().UnixNano())
		h.sock.Send(eventsEnvelope(id, "Ev"+id, 0, map[string]any{"type": "message", "subtype": "channel_join", "user": "U9", "text": "joined", "ts": "1.0", "channel": "C9", "channel_type": "channel"}))
		h.sock.WaitAck(t, id)
	}
	deadline := time.Now().Add(waitLimit)
	for h.bot.pending.Load() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("work still in flight")
		}
		time.Sleep(time.Millisecond)
	}
}

// sign adds Slack's v0 signature headers for body at ts.
func sign(r *http.Request, body []byte, secret string, ts time.Time) {
	sec := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + sec + ":"))
	mac.Write(body)
	r.Header.Set("X-Slack-Request-Timestamp", sec)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
}

// signedPost posts a signed body to the bot's HTTP server.
func signedPost(t testing.TB, srv *httptest.Server, path, contentType string, body []byte, headers map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	sign(req, body, testSecret, time.Now())
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return resp
}

// screen renders Block Kit blocks as the user sees them, for transcripts
// and for assertions on what is shown.
func screen(blocks slack.Blocks) string {
	var lines []string
	unescape := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")
	for _, b := range blocks.BlockSet {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			lines = append(lines, "## "+b.Text.Text)
		case *slack.SectionBlock:
			if b.Text != nil {
				lines = append(lines, unescape.Replace(b.Text.Text))
			}
		case *slack.ContextBlock:
			var parts []string
			for _, e := range b.ContextElements.Elements {
				if tx, ok := e.(*slack.TextBlockObject); ok {
					parts = append(parts, unescape.Replace(tx.Text))
				}
			}
			lines = append(lines, "  "+strings.Join(parts, "  "))
		case *slack.DividerBlock:
			lines = append(lines, "---")
		case *slack.ActionBlock:
			var btns []string
			for _, e := range b.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					btns = append(btns, "["+btn.Text.Text+"]")
				}
			}
			lines = append(lines, strings.Join(btns, " "))
		default:
			lines = append(lines, fmt.Sprintf("<%s block>", b.BlockType()))
		}
	}
	return strings.Join(lines, "\n")
}

// transcript logs a scenario as the user would see it.
func transcript(t testing.TB, title string, lines ...string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("\n=== " + title + " ===\n")
	for _, l := range lines {
		b.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			b.WriteString("\n")
		}
	}
	t.Log(b.String())
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// errFake is returned by services that fail on purpose.
var errFake = errors.New("fake failure")
