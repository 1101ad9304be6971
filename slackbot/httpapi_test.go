package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHTTPSignedEventAnswered: a signed Events API request is acked with
// 200 and the mention is answered in its thread.
func TestHTTPSignedEventAnswered(t *testing.T) {
	h, srv := startHTTP(t, nil, nil)
	body := mustJSON(t, eventCallback("EvH1", mentionEvent("C1", "U1", mentionTS, "", "<@UBOT> What did the council approve?")))
	resp := signedPost(t, srv, "/slack/events", "application/json", body, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got status %d, want 200", resp.StatusCode)
	}
	readBody(t, resp)
	p := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
	h.settle(t)
	if p.Form.Get("thread_ts") != mentionTS || !strings.Contains(screen(p.Blocks), "> "+citeBudget.Quote) {
		t.Errorf("got post thread_ts %q showing:\n%s", p.Form.Get("thread_ts"), screen(p.Blocks))
	}
	transcript(t, "HTTP Events API: signed mention",
		"POST /slack/events (signed, app_mention) → 200",
		"#news  ana: @briefbot What did the council approve?",
		"  thread reply from briefbot:", indent(screen(p.Blocks)))
}

// TestHTTPSignatures: requests with a bad or stale signature get 401, an
// oversized body 413, a malformed one 400, a wrong method 405; the URL
// verification challenge is answered.
func TestHTTPSignatures(t *testing.T) {
	// Signatures are checked against the wall clock (slack-go's
	// SecretsVerifier), so they are made relative to it.
	fixed := time.Now()
	h, srv := startHTTP(t, nil, func(c *Config) {
		c.MaxBodyBytes = 4096
	})
	event := mustJSON(t, eventCallback("EvS1", messageEvent("channel", "C1", "U1", "1.000001", "", "chatter")))
	for _, tc := range []struct {
		name     string
		method   string
		body     []byte
		edit     func(r *http.Request, body []byte)
		want     int
		wantBody string
	}{
		{"good signature", "POST", event, func(r *http.Request, b []byte) { sign(r, b, testSecret, fixed) }, 200, ""},
		{"good signature, 4 minutes old", "POST", event, func(r *http.Request, b []byte) { sign(r, b, testSecret, fixed.Add(-4*time.Minute)) }, 200, ""},
		{"wrong secret", "POST", event, func(r *http.Request, b []byte) { sign(r, b, "not-the-secret", fixed) }, 401, ""},
		{"body changed after signing", "POST", event, func(r *http.Request, b []byte) {
			sign(r, bytes.Replace(b, []byte("chatter"), []byte("chattex"), 1), testSecret, fixed)
		}, 401, ""},
		{"stale timestamp, 6 minutes old", "POST", event, func(r *http.Request, b []byte) { sign(r, b, testSecret, fixed.Add(-6*time.Minute)) }, 401, ""},
		{"timestamp 6 minutes ahead", "POST", event, func(r *http.Request, b []byte) { sign(r, b, testSecret, fixed.Add(6*time.Minute)) }, 401, ""},
		{"missing headers", "POST", event, func(*http.Request, []byte) {}, 401, ""},
		{"signature not v0", "POST", event, func(r *http.Request, b []byte) {
			sign(r, b, testSecret, fixed)
			r.Header.Set("X-Slack-Signature", strings.Replace(r.Header.Get("X-Slack-Signature"), "v0=", "v1=", 1))
		}, 401, ""},
		{"oversized body", "POST", bytes.Repeat([]byte("x"), 5000), func(r *http.Request, b []byte) { sign(r, b, testSecret, fixed) }, 413, ""},
		{"malformed JSON, signed", "POST", []byte("{not json"), func(r *http.Request, b []byte) { sign(r, b, testSecret, fixed) }, 400, ""},
		{"url_verification", "POST", []byte(`{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`),
			func(r *http.Request, b []byte) { sign(r, b, testSecret, fixed) }, 200, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"},
		{"GET", "GET", nil, func(*http.Request, []byte) {}, 405, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, srv.URL+"/slack/events", bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			tc.edit(req, tc.body)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readBody(t, resp)
			if resp.StatusCode != tc.want {
				t.Errorf("got status %d, want %d (body %q)", resp.StatusCode, tc.want, body)
			}
			if tc.wantBody != "" && body != tc.wantBody {
				t.Errorf("got body %q, want %q", body, tc.wantBody)
			}
		})
	}
	h.settle(t)
	if n := len(h.svc.Asks()); n != 0 {
		t.Errorf("got %d questions from these requests, want 0", n)
	}
}

// TestHTTPRetriedEventAnsweredOnce: Slack retries an event (same event_id,
// X-Slack-Retry-Num); both requests get 200, one answer is posted.
func TestHTTPRetriedEventAnsweredOnce(t *testing.T) {
	h, srv := startHTTP(t, nil, nil)
	body := mustJSON(t, eventCallback("EvRetry", messageEvent("im", "D1", "U1", "1700000400.000100", "", "Who approved the budget?")))
	r1 := signedPost(t, srv, "/slack/events", "application/json", body, nil)
	r2 := signedPost(t, srv, "/slack/events", "application/json", body, map[string]string{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
	readBody(t, r1)
	readBody(t, r2)
	if r1.StatusCode != 200 || r2.StatusCode != 200 {
		t.Errorf("got statuses %d, %d; want 200, 200", r1.StatusCode, r2.StatusCode)
	}
	h.fake.WaitCalls(t, "chat.postMessage", 1)
	h.settle(t)
	if got := len(h.fake.Calls("chat.postMessage")); got != 1 {
		t.Errorf("got %d answers, want 1", got)
	}
	if got := len(h.svc.Asks()); got != 1 {
		t.Errorf("got %d service calls, want 1", got)
	}
	transcript(t, "Retried event (HTTP)",
		"POST /slack/events event_id=EvRetry → 200, answered",
		"POST /slack/events event_id=EvRetry X-Slack-Retry-Num: 1 → 200, not answered again",
		"chat.postMessage calls: 1")
}

// TestHTTPSlashCommands: over HTTP each command's response is the ack,
// sent while the answer is still being computed; the answer follows on
// response_url.
func TestHTTPSlashCommands(t *testing.T) {
	for _, tc := range []struct{ command, text, want, wantAsked string }{
		{"/ask", "What did the council approve?", "> " + citeBudget.Quote, "answer: What did the council approve?"},
		{"/source", "source: approved a £4.2m budget", "exact match", "source: approved a £4.2m budget"},
		{"/briefing", "yesterday", "## Briefing for 2025-03-03", "briefing: {Date:2025-03-03 Topic: Since:<nil>}"},
	} {
		t.Run(tc.command, func(t *testing.T) {
			svc := &fakeService{gate: make(chan struct{}), started: make(chan string, 1)}
			h, srv := startHTTP(t, svc, func(c *Config) {
				c.Now = func() time.Time { return time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC) }
			})
			form := url.Values{}
			for k, v := range commandPayload(tc.command, tc.text, h.fake.ResponseURL("h")) {
				form.Set(k, v.(string))
			}
			body := []byte(form.Encode())
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/slack/commands", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			sign(req, body, testSecret, time.Now())
			start := time.Now()
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			ackBody := readBody(t, resp)
			elapsed := time.Since(start)
			if resp.StatusCode != 200 || elapsed > 3*time.Second {
				t.Errorf("got status %d after %v, want 200 within 3s", resp.StatusCode, elapsed)
			}
			var ack commandReply
			if err := json.Unmarshal([]byte(ackBody), &ack); err != nil || !strings.Contains(ack.Text, "Working on it") {
				t.Errorf("got ack body %q, want an ephemeral 'Working on it…'", ackBody)
			}
			<-svc.started
			close(svc.gate)
			r := h.fake.WaitResponses(t, 1)[0]
			h.settle(t)
			var asked []string
			for _, a := range svc.Asks() {
				asked = append(asked, "answer: "+a.Question)
			}
			for _, s := range svc.Sources() {
				asked = append(asked, "source: "+s)
			}
			for _, b := range svc.Briefings() {
				asked = append(asked, fmt.Sprintf("briefing: %+v", b))
			}
			if len(asked) != 1 || asked[0] != tc.wantAsked {
				t.Errorf("the service was asked %q, want [%q]", asked, tc.wantAsked)
			}
			shown := screen(r.Blocks)
			if r.ResponseType != "ephemeral" || !strings.Contains(shown, tc.want) || !strings.Contains(shown, "Share in channel") {
				t.Errorf("got %s response showing:\n%s\nwant it to show %q and a Share button", r.ResponseType, shown, tc.want)
			}
			transcript(t, "HTTP slash command "+tc.command,
				"ana types: "+tc.command+" "+tc.text,
				"HTTP 200 after "+elapsed.Round(10*time.Microsecond).String()+": "+ack.Text,
				"then on response_url (only ana sees it):", indent(shown))
		})
	}
}

// TestHTTPFeedbackClick: a block_actions request for "not helpful" is
// acked, recorded, opens the form and thanks in place of the buttons.
func TestHTTPFeedbackClick(t *testing.T) {
	h, srv := startHTTP(t, nil, nil)
	body := mustJSON(t, eventCallback("EvF", messageEvent("im", "D1", "U1", "1700000500.000100", "", "Who approved the budget?")))
	readBody(t, signedPost(t, srv, "/slack/events", "application/json", body, nil))
	post := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
	ref := buttonValue(t, post.Blocks, actionNotHelpful)
	payload := mustJSON(t, blockActionPayload("U1", "D1", "1800000000.000001", actionNotHelpful, ref, h.fake.ResponseURL("fb")))
	form := []byte(url.Values{"payload": {string(payload)}}.Encode())
	resp := signedPost(t, srv, "/slack/interactions", "application/x-www-form-urlencoded", form, nil)
	if got := readBody(t, resp); resp.StatusCode != 200 || got != "" {
		t.Errorf("got %d %q, want an empty 200 ack", resp.StatusCode, got)
	}
	thanks := h.fake.WaitResponses(t, 1)[0]
	h.settle(t)
	recs, err := h.bot.feedback.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Helpful || recs[0].Question != "Who approved the budget?" || recs[0].User != "U1" {
		t.Errorf("got records %+v, want one 'not helpful' from U1", recs)
	}
	if shown := screen(thanks.Blocks); !thanks.ReplaceOriginal || !strings.Contains(shown, "noted as not helpful") || strings.Contains(shown, "Not helpful]") {
		t.Errorf("got %+v showing\n%s\nwant the buttons replaced by a thanks line", thanks, shown)
	}
	if n := len(h.fake.Calls("views.open")); n != 1 {
		t.Errorf("got %d views.open calls, want the form opened once", n)
	}
	var out strings.Builder
	if err := WriteFeedback(&out, recs); err != nil {
		t.Fatal(err)
	}
	transcript(t, "Feedback click (HTTP)", "ana clicks [:thumbsdown: Not helpful]",
		"briefbot replaces the buttons:", indent(screen(thanks.Blocks)), "`bot feedback` prints:", indent(out.String()))
}

// TestHTTPHealthAndMetrics: /healthz answers ok and /metrics serves the
// bot's metrics in the Prometheus text format.
func TestHTTPHealthAndMetrics(t *testing.T) {
	svc := &fakeService{dropped: 3}
	h, srv := startHTTP(t, svc, nil)
	h.fake.Fail("reactions.add", "missing_scope")
	body := mustJSON(t, eventCallback("EvM", mentionEvent("C1", "U1", mentionTS, "", "<@UBOT> What did the council approve?")))
	readBody(t, signedPost(t, srv, "/slack/events", "application/json", body, nil))
	h.fake.WaitCalls(t, "chat.postMessage", 1)
	h.settle(t)

	resp, err := srv.Client().Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	if got := readBody(t, resp); resp.StatusCode != 200 || got != "ok" {
		t.Errorf("got /healthz %d %q, want 200 ok", resp.StatusCode, got)
	}
	resp, err = srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics := readBody(t, resp)
	for _, want := range []string{
		`briefbot_questions_total{surface="mention"} 1`,
		`briefbot_answer_duration_seconds_count{kind="answer"} 1`,
		`briefbot_quotes_dropped_total 3`,
		`briefbot_slack_api_errors_total{method="reactions.add"} 2`, // :eyes:, then :white_check_mark:
		`briefbot_model_errors_total 0`,
		`briefbot_slack_tasks_in_flight 0`,
		`briefbot_ingested_total{kind="url",result="ok"} 0`,
		`briefbot_ingested_total{kind="file",result="error"} 0`,
		`briefbot_briefings_posted_total{result="ok"} 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestRunHTTPMode: Run serves the HTTP routes on Addr and returns nil
// when its context ends.
func TestRunHTTPMode(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h := newHarness(t, nil, func(c *Config) {
		c.AppToken, c.SigningSecret, c.Addr = "", testSecret, addr
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.bot.Run(ctx) }()
	deadline := time.Now().Add(waitLimit)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			if got := readBody(t, resp); got != "ok" {
				t.Errorf("got /healthz %q, want ok", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("HTTP mode never came up: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return")
	}
}

// TestRunRejectsBadToken: a token Slack does not accept stops Run at once
// with a message that names the variable and does not echo the token.
func TestRunRejectsBadToken(t *testing.T) {
	f := newFakeSlack(t)
	cfg := testConfig(t, f)
	cfg.BotToken = "xoxb-revoked-0000-secretpart"
	b, err := New(cfg, &fakeService{}, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = b.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN") || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("got %v, want an error naming SLACK_BOT_TOKEN and invalid_auth", err)
	}
	if strings.Contains(err.Error(), "secretpart") {
		t.Errorf("error echoes the token: %v", err)
	}
	transcript(t, "Start-up with a revoked token", "$ go run ./cmd/bot", err.Error())
}

// TestRunRejectsBadAppToken: Socket Mode with an app token Slack does not
// accept stops Run with a message naming SLACK_APP_TOKEN.
func TestRunRejectsBadAppToken(t *testing.T) {
	f := newFakeSlack(t)
	cfg := testConfig(t, f)
	cfg.AppToken = "xapp-1-revoked-secretpart"
	b, err := New(cfg, &fakeService{}, testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(context.Background()) }()
	select {
	case err = <-done:
	case <-time.After(waitLimit):
		t.Fatal("Run kept going with a rejected app token")
	}
	if err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN") || strings.Contains(err.Error(), "secretpart") {
		t.Fatalf("got %v, want an error naming SLACK_APP_TOKEN without the token", err)
	}
	transcript(t, "Start-up with a revoked app-level token", "$ go run ./cmd/bot", err.Error())
}

func TestVerifySignature(t *testing.T) {
	now := time.Now()
	body := []byte("token=x&command=%2Fask&text=hi")
	signed := func(secret string, at time.Time, b []byte) http.Header {
		r, _ := http.NewRequest("POST", "/", nil)
		sign(r, b, secret, at)
		return r.Header
	}
	for _, tc := range []struct {
		name string
		h    http.Header
		want error
	}{
		{"good", signed(testSecret, now, body), nil},
		{"good, almost 5 minutes old", signed(testSecret, now.Add(-5*time.Minute+10*time.Second), body), nil},
		{"wrong secret", signed("other", now, body), errBadSignature},
		{"other body", signed(testSecret, now, []byte("token=x")), errBadSignature},
		{"stale", signed(testSecret, now.Add(-5*time.Minute-time.Second), body), errStaleTimestamp},
		{"from the future", signed(testSecret, now.Add(6*time.Minute), body), errStaleTimestamp},
		{"missing headers", http.Header{}, errMissingSignature},
		{"missing signature", func() http.Header { h := signed(testSecret, now, body); h.Del("X-Slack-Signature"); return h }(), errMissingSignature},
		{"timestamp not a number", func() http.Header {
			h := signed(testSecret, now, body)
			h.Set("X-Slack-Request-Timestamp", "soon")
			return h
		}(), errStaleTimestamp},
		{"not hex", func() http.Header { h := signed(testSecret, now, body); h.Set("X-Slack-Signature", "v0=zz"); return h }(), errBadSignature},
		{"truncated signature", func() http.Header {
			h := signed(testSecret, now, body)
			h.Set("X-Slack-Signature", h.Get("X-Slack-Signature")[:20])
			return h
		}(), errBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := verifySignature(tc.h, body, testSecret)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}
