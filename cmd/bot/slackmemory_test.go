package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingSlack is a fake Slack Web API and response_url endpoint that
// records what the bot sends: chat.postMessage forms, the count of every
// method, and response_url bodies. conversations.replies always fails, as
// it would for a thread Slack no longer gives.
type recordingSlack struct {
	srv       *httptest.Server
	mu        sync.Mutex
	calls     map[string]int
	posts     []url.Values
	responses []map[string]any
	changed   chan struct{}
}

func newRecordingSlack(tb testing.TB) *recordingSlack {
	tb.Helper()
	f := &recordingSlack{calls: map[string]int{}, changed: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		defer f.mu.Unlock()
		defer func() { close(f.changed); f.changed = make(chan struct{}) }()
		if path, ok := strings.CutPrefix(r.URL.Path, "/response/"); ok {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				tb.Errorf("response_url %s: %v", path, err)
			}
			m["path"] = path
			f.responses = append(f.responses, m)
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "ok") // what Slack answers on a response_url
			return
		}
		w.Header().Set("Content-Type", "application/json")
		method := strings.TrimPrefix(r.URL.Path, "/api/")
		f.calls[method]++
		form, _ := url.ParseQuery(string(body))
		switch method {
		case "auth.test":
			if r.Header.Get("Authorization") != "Bearer xoxb-test-token" && form.Get("token") != "xoxb-test-token" {
				io.WriteString(w, `{"ok":false,"error":"invalid_auth"}`)
				return
			}
			io.WriteString(w, `{"ok":true,"url":"https://test.slack.com/","team":"T","user":"briefbot","team_id":"T1","user_id":"UBOT","bot_id":"BBOT"}`)
		case "chat.postMessage":
			f.posts = append(f.posts, form)
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1800000000.%06d"}`, form.Get("channel"), len(f.posts))
		case "conversations.replies":
			io.WriteString(w, `{"ok":false,"error":"ratelimited"}`)
		default:
			io.WriteString(w, `{"ok":true}`)
		}
	}))
	tb.Cleanup(f.srv.Close)
	return f
}

// waitFor waits until cond (called with the fake locked) holds.
func (f *recordingSlack) waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.After(20 * time.Second)
	for {
		f.mu.Lock()
		ok, ch := cond(), f.changed
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			tb.Fatalf("timed out waiting for %s; responses %v", what, f.responses)
		}
	}
}

// slackProcess is one `run` of the bot in HTTP mode against a fake Web
// API.
type slackProcess struct {
	base   string
	secret string
	wait   time.Duration // for it to come up, and to stop
	cancel context.CancelFunc
	done   chan error
	stderr *bytes.Buffer
}

func startSlackProcess(tb testing.TB, api *recordingSlack, dataDir string) *slackProcess {
	tb.Helper()
	e := env{
		"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "test-signing-secret",
		"SLACK_API_URL": api.srv.URL + "/api/", "BOT_ADDR": freeAddr(tb), "BOT_DATA_DIR": dataDir, "BOT_DOTENV": "false",
	}
	return startRun(tb, e, 20*time.Second)
}

// startRun starts run with the settings e (HTTP mode: BOT_ADDR and
// SLACK_SIGNING_SECRET) and waits, for at most wait, until it answers
// /healthz.
func startRun(tb testing.TB, e env, wait time.Duration) *slackProcess {
	tb.Helper()
	p := &slackProcess{base: "http://" + e["BOT_ADDR"], secret: e["SLACK_SIGNING_SECRET"], wait: wait, done: make(chan error, 1), stderr: &bytes.Buffer{}}
	var ctx context.Context
	ctx, p.cancel = context.WithCancel(context.Background())
	go func() { p.done <- run(ctx, nil, e.get, strings.NewReader(""), io.Discard, p.stderr) }()
	if err := waitHealthy(p.base, wait); err != nil {
		p.stop(tb)
		tb.Fatalf("the bot did not come up: %v\nstderr: %s", err, p.stderr.String())
	}
	return p
}

// waitHealthy waits until GET base/healthz answers 200, for at most
// within, and returns the last failure when it never does.
func waitHealthy(base string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /healthz: %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the run as a SIGTERM would and waits for it.
func (p *slackProcess) stop(tb testing.TB) {
	tb.Helper()
	p.cancel()
	select {
	case err := <-p.done:
		if err != nil {
			tb.Errorf("run returned %v; stderr: %s", err, p.stderr.String())
		}
	case <-time.After(p.wait):
		tb.Error("run did not stop after cancel")
	}
}

// post sends a request signed as Slack signs it, checks the 200 ack and
// returns its body.
func (p *slackProcess) post(tb testing.TB, path, contentType string, body []byte) string {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.base+path, bytes.NewReader(body))
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Slack-Signature", sign(p.secret, ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("POST %s: status %d: %s", path, resp.StatusCode, b)
	}
	return string(b)
}

func (p *slackProcess) event(tb testing.TB, id string, inner map[string]any) {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
		"event_id": id, "event_time": 1800000000, "event": inner})
	p.post(tb, "/slack/events", "application/json", body)
}

func (p *slackProcess) interaction(tb testing.TB, payload map[string]any) {
	tb.Helper()
	raw, _ := json.Marshal(payload)
	p.post(tb, "/slack/interactions", "application/x-www-form-urlencoded", []byte(url.Values{"payload": {string(raw)}}.Encode()))
}

// TestSlackMemoryAndShortcutThroughRun: the whole bot, through run, in HTTP
// mode over the seed articles. The "Find the source" shortcut on a message
// quoting a seed names its article. Then the bot restarts on the same
// BOT_DATA_DIR: a follow-up in the thread it answered before the restart
// is answered with that thread's history, without conversations.replies,
// and the Share button of a slash command answer from before the restart
// still shares it.
func TestSlackMemoryAndShortcutThroughRun(t *testing.T) {
	t.Parallel()
	api := newRecordingSlack(t)
	dir := t.TempDir()
	const threadTS = "1700000000.000100"
	question := "How long did Trump's call with Putin last?"

	first := startSlackProcess(t, api, dir)
	first.event(t, "Ev1", map[string]any{"type": "app_mention", "user": "U1", "channel": "C1", "ts": threadTS, "event_ts": threadTS,
		"text": "<@UBOT> " + question})
	api.waitFor(t, "the answer", func() bool { return len(api.posts) == 1 })
	if got := api.posts[0].Get("text"); api.posts[0].Get("thread_ts") != threadTS || !strings.Contains(got, "40 minutes") {
		t.Errorf("got answer %q in thread %q, want the call's length in %s", got, api.posts[0].Get("thread_ts"), threadTS)
	}

	quoted := "Did they really call him “the administration’s go-to conflict resolution expert”?"
	first.interaction(t, map[string]any{"type": "message_action", "callback_id": "find_source", "trigger_id": "1.2.3",
		"user": map[string]any{"id": "U1"}, "channel": map[string]any{"id": "C1"}, "message_ts": "1700000000.000200",
		"message":      map[string]any{"type": "message", "user": "U2", "ts": "1700000000.000200", "text": quoted},
		"response_url": api.srv.URL + "/response/shortcut"})
	cmd := url.Values{"command": {"/ask"}, "text": {question}, "user_id": {"U1"}, "channel_id": {"C1"}, "team_id": {"T1"},
		"response_url": {api.srv.URL + "/response/cmd"}, "trigger_id": {"1.2.4"}}
	first.post(t, "/slack/commands", "application/x-www-form-urlencoded", []byte(cmd.Encode()))
	api.waitFor(t, "the lookup and the /ask answer", func() bool { return len(api.responses) == 2 })
	byPath := map[string]map[string]any{}
	for _, r := range api.responses {
		byPath[r["path"].(string)] = r
	}
	lookup := fmt.Sprint(byPath["shortcut"]["text"])
	if !strings.Contains(lookup, "The Independent") || !strings.Contains(lookup, "White House just watered down") ||
		!strings.Contains(lookup, "telling Jake Tapper") || byPath["shortcut"]["response_type"] != "ephemeral" {
		t.Errorf("got the shortcut's reply %v, want it private, naming The Independent's article with the sentence around the quote", byPath["shortcut"])
	}
	ref := shareRef(t, byPath["cmd"])
	first.stop(t)

	second := startSlackProcess(t, api, dir)
	defer second.stop(t)
	second.event(t, "Ev2", map[string]any{"type": "message", "channel_type": "channel", "user": "U1", "channel": "C1",
		"ts": "1800000050.000001", "event_ts": "1800000050.000001", "thread_ts": threadTS, "text": "why?"})
	api.waitFor(t, "the follow-up's answer", func() bool { return len(api.posts) == 2 })
	follow := api.posts[1]
	if follow.Get("thread_ts") != threadTS || !strings.Contains(follow.Get("text"), question) {
		t.Errorf("got follow-up answer %q in thread %q, want one in %s that knows the thread's question", follow.Get("text"), follow.Get("thread_ts"), threadTS)
	}
	second.interaction(t, map[string]any{"type": "block_actions", "trigger_id": "1.2.5", "user": map[string]any{"id": "U1"},
		"channel": map[string]any{"id": "C1"}, "container": map[string]any{"type": "message", "channel_id": "C1", "is_ephemeral": true},
		"response_url": api.srv.URL + "/response/share",
		"actions":      []any{map[string]any{"type": "button", "block_id": "answer_actions", "action_id": "share_answer", "value": ref, "action_ts": "1800000060.1"}}})
	defer func() {
		if t.Failed() {
			t.Logf("second run:\n%s", second.stderr.String())
		}
	}()
	api.waitFor(t, "the shared answer", func() bool {
		for _, r := range api.responses {
			if r["path"] == "share" && r["response_type"] == "in_channel" {
				return true
			}
		}
		return false
	})
	api.mu.Lock()
	defer api.mu.Unlock()
	for _, r := range api.responses {
		if strings.Contains(fmt.Sprint(r["text"]), "expired") {
			t.Errorf("a button said %q after the restart", r["text"])
		}
	}
	if n := api.calls["conversations.replies"]; n != 0 {
		t.Errorf("got %d conversations.replies calls, want none", n)
	}
	t.Logf("shortcut reply: %s\nfollow-up after the restart: %s", lookup, follow.Get("text"))
}

// shareRef finds the value of the Share button in a response_url message.
func shareRef(tb testing.TB, msg map[string]any) string {
	tb.Helper()
	raw, _ := json.Marshal(msg["blocks"])
	var blocks []struct {
		Type     string `json:"type"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		tb.Fatal(err)
	}
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID == "share_answer" {
				return e.Value
			}
		}
	}
	tb.Fatalf("no Share button in %s", raw)
	return ""
}
