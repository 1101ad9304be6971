package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// httptestServer serves b's Handler on loopback until the test ends.
func httptestServer(t testing.TB, b *Bot) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// TestHTTPQueueFullBusyReplies: with every worker busy and the queue full,
// mentions are still acked at once and each gets one busy reply in its
// thread; the queued ones get their cited answers when the workers free up.
func TestHTTPQueueFullBusyReplies(t *testing.T) {
	svc := &fakeService{gate: make(chan struct{}), started: make(chan string, 8)}
	h, srv := startHTTP(t, svc, func(c *Config) { c.Workers, c.QueueSize = 1, 1 })
	var threads []string
	for i := range 4 {
		ts := fmt.Sprintf("1700000100.%06d", i)
		threads = append(threads, ts)
		body := mustJSON(t, eventCallback(fmt.Sprintf("EvQ%d", i), mentionEvent("C1", fmt.Sprintf("U%d", i), ts, "", "<@UBOT> What did the council approve?")))
		start := time.Now()
		resp := signedPost(t, srv, "/slack/events", "application/json", body, nil)
		readBody(t, resp)
		if d := time.Since(start); resp.StatusCode != http.StatusOK || d > time.Second {
			t.Errorf("mention %d: got status %d after %v, want 200 at once", i, resp.StatusCode, d)
		}
		if i == 0 {
			<-svc.started // the only worker holds the first mention
		}
	}
	// Mention 1 waits in the queue; 2 and 3 find it full.
	busy := map[string]string{}
	for _, p := range h.fake.WaitCalls(t, "chat.postMessage", 2) {
		busy[p.Form.Get("thread_ts")] = p.Form.Get("text")
	}
	for _, ts := range threads[2:] {
		if busy[ts] != msgBusy {
			t.Errorf("got %q in thread %s, want the busy reply %q", busy[ts], ts, msgBusy)
		}
	}
	close(svc.gate)
	posts := h.fake.WaitCalls(t, "chat.postMessage", 4)
	h.settle(t)
	perThread := map[string]int{}
	for _, p := range posts {
		perThread[p.Form.Get("thread_ts")]++
	}
	for i, ts := range threads {
		if perThread[ts] != 1 {
			t.Errorf("mention %d: got %d replies, want exactly 1", i, perThread[ts])
		}
	}
	for _, p := range posts[2:] {
		if !strings.Contains(screen(p.Blocks), citeBudget.Quote) {
			t.Errorf("got a queued mention answered with %q, want the cited answer", p.Form.Get("text"))
		}
	}
	if got := testutil.ToFloat64(h.bot.metrics.busy); got != 2 {
		t.Errorf("got briefbot_slack_busy_total %v, want 2", got)
	}
}

// TestHTTPQueueWaitBusy: a mention that waited in the queue longer than
// QueueWait gets the busy reply instead of a late answer.
func TestHTTPQueueWaitBusy(t *testing.T) {
	svc := &fakeService{gate: make(chan struct{}), started: make(chan string, 8)}
	// The queue's clock is a fake one, so a slow machine cannot make the
	// first mention look stale: only the explicit step below ages the queue.
	var elapsed atomic.Int64
	base := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	h, srv := startHTTP(t, svc, func(c *Config) {
		c.Workers, c.QueueSize, c.QueueWait = 1, 4, 20*time.Millisecond
		c.Now = func() time.Time { return base.Add(time.Duration(elapsed.Load())) }
	})
	for i := range 2 {
		body := mustJSON(t, eventCallback(fmt.Sprintf("EvW%d", i), mentionEvent("C1", "U1", fmt.Sprintf("1700000200.%06d", i), "", "<@UBOT> budget?")))
		readBody(t, signedPost(t, srv, "/slack/events", "application/json", body, nil))
		if i == 0 {
			<-svc.started
		}
	}
	elapsed.Add(int64(50 * time.Millisecond)) // the second mention has now waited past QueueWait
	close(svc.gate)
	posts := h.fake.WaitCalls(t, "chat.postMessage", 2)
	h.settle(t)
	if got := posts[1].Form.Get("text"); got != msgBusy || posts[1].Form.Get("thread_ts") != "1700000200.000001" {
		t.Errorf("got the second mention answered with %q, want %q", got, msgBusy)
	}
	if got := len(svc.Asks()); got != 1 {
		t.Errorf("got %d answers computed, want 1 (the stale one is not)", got)
	}
}

// TestHTTPSlashCommandBusyAck: when the queue is full a slash command's
// ack itself says the bot is busy, and nothing more is posted for it.
func TestHTTPSlashCommandBusyAck(t *testing.T) {
	svc := &fakeService{gate: make(chan struct{}), started: make(chan string, 8)}
	h, srv := startHTTP(t, svc, func(c *Config) { c.Workers, c.QueueSize = 1, 1 })
	var acks []string
	for i := range 3 {
		form := url.Values{}
		for k, v := range commandPayload("/ask", "What did the council approve?", h.fake.ResponseURL(fmt.Sprintf("c%d", i))) {
			form.Set(k, v.(string))
		}
		form.Set("trigger_id", fmt.Sprintf("trigger-%d", i))
		resp := signedPost(t, srv, "/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
		var r commandReply
		if err := json.Unmarshal([]byte(readBody(t, resp)), &r); err != nil {
			t.Fatalf("command %d: ack is not a reply: %v", i, err)
		}
		acks = append(acks, r.Text)
		if i == 0 {
			<-svc.started
		}
	}
	if !strings.Contains(acks[0], "Working on it") || !strings.Contains(acks[1], "Working on it") || acks[2] != msgBusy {
		t.Errorf("got acks %q, want two 'Working on it…' and %q", acks, msgBusy)
	}
	close(svc.gate)
	rs := h.fake.WaitResponses(t, 2)
	h.settle(t)
	if len(rs) != 2 || len(svc.Asks()) != 2 {
		t.Errorf("got %d response_url posts and %d answers, want 2 and 2", len(rs), len(svc.Asks()))
	}
	busy, dropped := testutil.ToFloat64(h.bot.metrics.busy), testutil.ToFloat64(h.bot.metrics.dropped.WithLabelValues("full"))
	if busy != 1 || dropped != 0 {
		t.Errorf("got busy %v and dropped %v, want 1 and 0: the busy ack answered it", busy, dropped)
	}
}

// TestHTTPReplaysAnsweredOnce: the same signed /ask (same trigger_id) or
// button click sent again within the signature window is handled once.
func TestHTTPReplaysAnsweredOnce(t *testing.T) {
	h, srv := startHTTP(t, nil, nil)
	form := url.Values{}
	for k, v := range commandPayload("/ask", "What did the council approve?", h.fake.ResponseURL("replay")) {
		form.Set(k, v.(string))
	}
	body := []byte(form.Encode())
	first := readBody(t, signedPost(t, srv, "/slack/commands", "application/x-www-form-urlencoded", body, nil))
	again := signedPost(t, srv, "/slack/commands", "application/x-www-form-urlencoded", body, nil)
	if got := readBody(t, again); again.StatusCode != http.StatusOK || got != "" || !strings.Contains(first, "Working on it") {
		t.Errorf("got replay acked %d %q (first %q), want an empty 200", again.StatusCode, got, first)
	}
	h.fake.WaitResponses(t, 1)
	h.settle(t)
	if got := len(h.svc.Asks()); got != 1 {
		t.Errorf("got %d answers to the replayed /ask, want 1", got)
	}

	ev := mustJSON(t, eventCallback("EvR", messageEvent("im", "D1", "U1", "1700000300.000100", "", "Who approved the budget?")))
	readBody(t, signedPost(t, srv, "/slack/events", "application/json", ev, nil))
	post := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
	ref := buttonValue(t, post.Blocks, actionHelpful)
	click := mustJSON(t, blockActionPayload("U1", "D1", "1800000000.000001", actionHelpful, ref, h.fake.ResponseURL("click")))
	clickForm := []byte(url.Values{"payload": {string(click)}}.Encode())
	for range 3 {
		readBody(t, signedPost(t, srv, "/slack/interactions", "application/x-www-form-urlencoded", clickForm, nil))
	}
	h.fake.WaitResponses(t, 2)
	h.settle(t)
	recs, err := h.bot.feedback.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Errorf("got %d feedback records from one click sent 3 times, want 1", len(recs))
	}
	if got := testutil.ToFloat64(h.bot.metrics.duplicates.WithLabelValues("interaction")); got != 2 {
		t.Errorf("got %v duplicate clicks counted, want 2", got)
	}
}

// TestSeenByTimeNotCount: a request stays known for the whole lifetime
// whatever the number of others in between, then is forgotten.
func TestSeenByTimeNotCount(t *testing.T) {
	now := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s, err := newSeenSet(nil, time.Hour, time.Hour, clock, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Claim("event:first") {
		t.Fatal("got a new key refused")
	}
	for i := range 20000 { // twice the old count limit
		s.Claim(fmt.Sprintf("event:%d", i))
	}
	now = now.Add(59 * time.Minute)
	if s.Claim("event:first") {
		t.Error("got a retry 59 minutes and 20,000 events later claimed again, want it known")
	}
	now = now.Add(2 * time.Minute)
	if !s.Claim("event:first") {
		t.Error("got it still known after its hour, want it forgotten")
	}
}

// TestSeenSurvivesRestart: what one process claimed is known to the next
// one on the same store, even when it was saved in the last batch at
// shutdown; expired entries are not loaded.
func TestSeenSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	st := openTestStore(t, dir)
	now := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	first, err := newSeenSet(st, time.Hour, time.Hour, clock, testLogger(t)) // only Close writes
	if err != nil {
		t.Fatal(err)
	}
	first.Claim("event:a")
	first.Claim("event:b")
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		after time.Duration
		key   string
		isNew bool
	}{
		{"claimed before the restart", time.Minute, "event:a", false},
		{"never claimed", time.Minute, "event:c", true},
		{"expired", 2 * time.Hour, "event:b", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := now.Add(tt.after)
			second, err := newSeenSet(st, time.Hour, time.Hour, func() time.Time { return at }, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer second.Close()
			if got := second.Claim(tt.key); got != tt.isNew {
				t.Errorf("got Claim(%q) = %v after %v, want %v", tt.key, got, tt.after, tt.isNew)
			}
		})
	}
}

// TestHTTPRetryAfterRestartAnsweredOnce: Slack retries an event after the
// bot restarted; the new process does not answer it again.
func TestHTTPRetryAfterRestartAnsweredOnce(t *testing.T) {
	h, srv := startHTTP(t, nil, nil)
	body := mustJSON(t, eventCallback("EvRestart", messageEvent("im", "D1", "U1", "1700000400.000100", "", "Who approved the budget?")))
	readBody(t, signedPost(t, srv, "/slack/events", "application/json", body, nil))
	h.fake.WaitCalls(t, "chat.postMessage", 1)
	h.settle(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := h.bot.Wait(ctx); err != nil { // shutdown: the last batch is saved
		t.Fatal(err)
	}
	b2, err := New(h.cfg, &fakeService{}, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptestServer(t, b2)
	resp := signedPost(t, srv2, "/slack/events", "application/json", body, map[string]string{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
	readBody(t, resp)
	if err := b2.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(h.fake.Attempts("chat.postMessage")); got != 1 {
		t.Errorf("got %d posts, want 1: the retry after the restart was answered again", got)
	}
}

// TestDeliveryFaults: Slack's 500 is retried and the answer arrives once;
// a connection dropped after Slack took the post is not sent again (it
// would be a duplicate), and is logged and counted as undelivered.
func TestDeliveryFaults(t *testing.T) {
	tests := []struct {
		name            string
		fault           func(f *fakeSlack)
		wantAttempts    int
		wantUndelivered float64
		wantRetried     float64
		wantLastText    string // the text of the last attempt, when it matters
	}{
		{"one 500", func(f *fakeSlack) { f.ServerError("chat.postMessage", 1) }, 2, 0, 1, ""},
		{"500 every time", func(f *fakeSlack) { f.ServerError("chat.postMessage", 100) }, maxSlackRetries + 1, 1, maxSlackRetries, ""},
		{"connection dropped after the post", func(f *fakeSlack) { f.HangUp("chat.postMessage", 1) }, 1, 1, 0, ""},
		// Slack refused the answer itself: the user is told instead.
		{"answer refused", func(f *fakeSlack) { f.RefuseOnce("chat.postMessage", "invalid_blocks") }, 2, 1, 0, msgNotPosted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, srv := startHTTP(t, nil, nil)
			tt.fault(h.fake)
			body := mustJSON(t, eventCallback("EvD", messageEvent("im", "D1", "U1", "1700000500.000100", "", "Who approved the budget?")))
			readBody(t, signedPost(t, srv, "/slack/events", "application/json", body, nil))
			h.fake.waitFor(t, "the post attempts", func() bool {
				n := 0
				for _, c := range h.fake.calls {
					if c.Method == "chat.postMessage" {
						n++
					}
				}
				return n >= tt.wantAttempts
			})
			h.settle(t)
			if got := len(h.fake.Attempts("chat.postMessage")); got != tt.wantAttempts {
				t.Errorf("got %d chat.postMessage attempts, want %d", got, tt.wantAttempts)
			}
			if got := testutil.ToFloat64(h.bot.metrics.undelivered.WithLabelValues("chat.postMessage")); got != tt.wantUndelivered {
				t.Errorf("got undelivered %v, want %v", got, tt.wantUndelivered)
			}
			if attempts := h.fake.Attempts("chat.postMessage"); tt.wantLastText != "" && len(attempts) > 0 {
				if got := attempts[len(attempts)-1].Form.Get("text"); got != tt.wantLastText {
					t.Errorf("got %q posted last, want %q", got, tt.wantLastText)
				}
			}
			if got := testutil.ToFloat64(h.bot.metrics.slackRetried.WithLabelValues("server_error")); got != tt.wantRetried {
				t.Errorf("got 5xx retries %v, want %v", got, tt.wantRetried)
			}
		})
	}
}

// TestNeverSent: only errors that prove the request never left are
// retried blindly.
func TestNeverSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	_, dialErr := (&http.Client{Timeout: time.Second}).Get("http://" + addr + "/")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", dialErr, true},
		{"DNS failure", &net.DNSError{Err: "no such host", Name: "slack.invalid"}, true},
		{"connection reset after the request", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, false},
		{"EOF", fmt.Errorf("post: %w", errors.New("EOF")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := neverSent(tt.err); got != tt.want {
				t.Errorf("got neverSent(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// TestShutdownReportsLostAnswers: answers still being computed when the
// shutdown wait runs out are cancelled, logged and make Wait fail, so the
// process does not exit 0 having lost them.
func TestShutdownReportsLostAnswers(t *testing.T) {
	svc := &fakeService{gate: make(chan struct{}), started: make(chan string, 8)}
	h, srv := startHTTP(t, svc, func(c *Config) { c.Workers, c.QueueSize = 1, 4 })
	for i := range 3 {
		body := mustJSON(t, eventCallback(fmt.Sprintf("EvL%d", i), messageEvent("im", "D1", "U1", fmt.Sprintf("1700000600.%06d", i), "", "Who approved the budget?")))
		readBody(t, signedPost(t, srv, "/slack/events", "application/json", body, nil))
	}
	<-svc.started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := h.bot.Wait(ctx)
	if err == nil || !strings.Contains(err.Error(), "3 answers were not delivered") {
		t.Errorf("got %v, want an error saying 3 answers were not delivered", err)
	}
	if got := testutil.ToFloat64(h.bot.metrics.dropped.WithLabelValues("shutdown")); got != 2 {
		t.Errorf("got %v queued answers dropped at shutdown, want 2", got)
	}
}

// countingStore counts the transactions that save claims.
type countingStore struct {
	StateStore
	mu    sync.Mutex
	saves int
	keys  int
}

func (c *countingStore) PutExpiringMany(bucket string, kv map[string][]byte, expires time.Time) error {
	c.mu.Lock()
	c.saves++
	c.keys += len(kv)
	c.mu.Unlock()
	return c.StateStore.PutExpiringMany(bucket, kv, expires)
}

// TestSeenSavedInBatches: claims are saved in the background, many per
// transaction, without Close: never one write (and fsync) per event.
func TestSeenSavedInBatches(t *testing.T) {
	st := &countingStore{StateStore: openTestStore(t, t.TempDir())}
	s, err := newSeenSet(st, time.Hour, 20*time.Millisecond, time.Now, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 500 {
		s.Claim(fmt.Sprintf("event:%d", i))
	}
	deadline := time.Now().Add(waitLimit)
	for {
		n := 0
		if err := st.EachLive(seenBucket, time.Now(), func(string, []byte, time.Time) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n == 500 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d claims saved, want 500", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.saves > 5 || st.keys != 500 {
		t.Errorf("got %d keys saved in %d transactions, want 500 in a few", st.keys, st.saves)
	}
}

// TestSocketQueueFullBusyReplies: in Socket Mode too, envelopes are acked
// while every worker is busy, and a mention that finds the queue full gets
// the busy reply in its thread.
func TestSocketQueueFullBusyReplies(t *testing.T) {
	svc := &fakeService{gate: make(chan struct{}), started: make(chan string, 8)}
	h := startSocket(t, svc, func(c *Config) { c.Workers, c.QueueSize = 1, 1 })
	for i := range 3 {
		env := fmt.Sprintf("env-q%d", i)
		h.sock.Send(eventsEnvelope(env, fmt.Sprintf("EvSQ%d", i), 0, mentionEvent("C1", "U1", fmt.Sprintf("1700000700.%06d", i), "", "<@UBOT> budget?")))
		h.sock.WaitAck(t, env)
		if i == 0 {
			<-svc.started
		}
	}
	busy := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
	if busy.Form.Get("thread_ts") != "1700000700.000002" || busy.Form.Get("text") != msgBusy {
		t.Errorf("got %q in thread %s, want the busy reply in the third mention's thread", busy.Form.Get("text"), busy.Form.Get("thread_ts"))
	}
	close(svc.gate)
	h.fake.WaitCalls(t, "chat.postMessage", 3)
	h.settle(t)
	if got := len(h.fake.Calls("chat.postMessage")); got != 3 {
		t.Errorf("got %d posts, want 3 (two answers, one busy reply)", got)
	}
}

// TestHTTPClickBusy: a button click that finds the queue full is told, on
// its response_url, that the bot is busy, and nothing is recorded.
func TestHTTPClickBusy(t *testing.T) {
	svc := &fakeService{gate: make(chan struct{}), started: make(chan string, 8)}
	h, srv := startHTTP(t, svc, func(c *Config) { c.Workers, c.QueueSize = 1, 1 })
	for i := range 2 {
		body := mustJSON(t, eventCallback(fmt.Sprintf("EvC%d", i), messageEvent("im", "D1", "U1", fmt.Sprintf("1700000800.%06d", i), "", "Who approved the budget?")))
		readBody(t, signedPost(t, srv, "/slack/events", "application/json", body, nil))
		if i == 0 {
			<-svc.started
		}
	}
	click := mustJSON(t, blockActionPayload("U1", "D1", "1800000000.000001", actionHelpful, "ref", h.fake.ResponseURL("busyclick")))
	resp := signedPost(t, srv, "/slack/interactions", "application/x-www-form-urlencoded", []byte(url.Values{"payload": {string(click)}}.Encode()), nil)
	readBody(t, resp)
	r := h.fake.WaitResponses(t, 1)[0]
	if r.Text != msgBusy || r.Path != "/busyclick" {
		t.Errorf("got %q on %s, want %q on /busyclick", r.Text, r.Path, msgBusy)
	}
	close(svc.gate)
	h.fake.WaitCalls(t, "chat.postMessage", 2)
	h.settle(t)
	if recs, err := h.bot.feedback.List(); err != nil || len(recs) != 0 {
		t.Errorf("got %d feedback records (err %v), want none from a click that was not handled", len(recs), err)
	}
}
