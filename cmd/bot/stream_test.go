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

	"github.com/briefbot/briefbot/llm/llmtest"
	"github.com/briefbot/briefbot/prompts"
)

// slackCalls records the Web API calls a fake Slack received.
type slackCalls struct {
	mu    sync.Mutex
	calls []slackCall
}

type slackCall struct {
	method string
	form   url.Values
}

func (s *slackCalls) of(method string) []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []url.Values
	for _, c := range s.calls {
		if c.method == method {
			out = append(out, c.form)
		}
	}
	return out
}

// streamingSlackAPI is a fake Web API that streams: chat.startStream
// answers with the new message's ts, as Slack does.
func streamingSlackAPI(tb testing.TB, rec *slackCalls) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		method := strings.TrimPrefix(r.URL.Path, "/")
		rec.mu.Lock()
		rec.calls = append(rec.calls, slackCall{method, r.PostForm})
		rec.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch method {
		case "auth.test":
			fmt.Fprint(w, `{"ok":true,"url":"https://test.slack.com/","team":"T","user":"briefbot","team_id":"T1","user_id":"UBOT","bot_id":"BBOT"}`)
		case "chat.startStream", "chat.postMessage":
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.000200"}`, r.PostForm.Get("channel"))
		case "chat.appendStream", "chat.stopStream":
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":%q}`, r.PostForm.Get("channel"), r.PostForm.Get("ts"))
		default:
			fmt.Fprint(w, `{"ok":true}`)
		}
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// halfTrueModel answers with two sentences: one quoting passage 1
// verbatim, one "quoting" words that are in no article.
func halfTrueModel(r llmtest.Request) llmtest.Reply {
	if r.Kind != llmtest.KindChat {
		return llmtest.Reply{}
	}
	text, ok := firstLongSentence(r)
	if !ok {
		return llmtest.JSON(prompts.AnswerReply{Sentences: []prompts.ReplySentence{}, Disagreements: []prompts.ReplyDisagreement{}})
	}
	return llmtest.JSON(prompts.AnswerReply{Grounded: true, Disagreements: []prompts.ReplyDisagreement{},
		Sentences: []prompts.ReplySentence{
			{Text: "The first passage says so.", Citations: []int{1}, Quotes: []prompts.ReplyQuote{{Citation: 1, Text: text}}},
			{Text: "The moon is made of cheese.", Citations: []int{1}, Quotes: []prompts.ReplyQuote{{Citation: 1, Text: "the moon is made of green cheese says the minister"}}},
		}})
}

// runSlackHTTP runs the bot through run with e (the Slack HTTP mode on
// addr) until the test ends, and returns its base URL once GET /healthz
// answers, and what it writes to stderr.
func runSlackHTTP(t *testing.T, e env, addr string) (string, *bytes.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	stderr := &bytes.Buffer{}
	go func() { done <- run(ctx, nil, e.get, strings.NewReader(""), io.Discard, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not stop after cancel")
		}
	})
	base := "http://" + addr
	if err := waitHealthy(base, 20*time.Second); err != nil {
		t.Fatalf("the bot did not come up: %v\nstderr: %s", err, stderr.String())
	}
	return base, stderr
}

// postEvent posts an Events API body to the bot at base, signed with
// secret, and returns the status it answered.
func postEvent(t *testing.T, base, secret string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/events", bytes.NewReader(body))
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Slack-Signature", sign(secret, ts, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSlackStreamsVerifiedModelAnswer runs the whole bot through run in
// HTTP mode with a model: a mention's answer is streamed, and only the
// sentence whose quote verified reaches Slack, never the invented one.
func TestSlackStreamsVerifiedModelAnswer(t *testing.T) {
	t.Parallel()
	llm := llmtest.NewServer(t, llmtest.WithHandler(halfTrueModel))
	rec := &slackCalls{}
	api := streamingSlackAPI(t, rec)
	const secret = "test-signing-secret"
	addr := freeAddr(t)
	e := modelEnv(llm)
	for k, v := range map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": api.URL + "/",
		"BOT_ADDR": addr, "BOT_DATA_DIR": t.TempDir(),
	} {
		e[k] = v
	}
	base, stderr := runSlackHTTP(t, e, addr)
	body, _ := json.Marshal(map[string]any{
		"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback", "event_id": "Ev1", "event_time": 1700000000,
		"event": map[string]any{"type": "app_mention", "user": "U1", "channel": "C1", "ts": "1700000000.000100",
			"text": "<@UBOT> How long did Trump's call with Putin last?"},
	})
	if status := postEvent(t, base, secret, body); status != http.StatusOK {
		t.Fatalf("event: status %d, want 200", status)
	}
	for deadline := time.Now().Add(20 * time.Second); len(rec.of("reactions.add")) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the answer was not finished; stderr: %s", stderr.String())
		}
	}
	starts, appends, stops := rec.of("chat.startStream"), rec.of("chat.appendStream"), rec.of("chat.stopStream")
	if len(starts) != 1 || len(stops) != 1 || len(rec.of("chat.postMessage")) != 0 {
		t.Fatalf("got %d starts, %d stops and %d posts, want one streamed answer", len(starts), len(stops), len(rec.of("chat.postMessage")))
	}
	var streamed []string
	for _, a := range appends {
		streamed = append(streamed, a.Get("chunks"))
	}
	all := strings.Join(streamed, "\n")
	if len(appends) != 2 || !strings.Contains(appends[0].Get("chunks"), "Checking 2 quotes") ||
		!strings.Contains(appends[1].Get("chunks"), "The first passage says so. [1]") {
		t.Errorf("got appends %s, want the checking step, then the verified sentence alone", all)
	}
	for _, c := range append(append(starts, appends...), stops...) {
		if s := c.Encode(); strings.Contains(s, "cheese") {
			t.Errorf("the unverified sentence reached Slack: %s", s)
		}
	}
	if !strings.Contains(starts[0].Get("chunks"), "Writing from") || starts[0].Get("recipient_user_id") != "U1" {
		t.Errorf("got start %v, want the writing step, streamed to U1", starts[0])
	}
	if !strings.Contains(stops[0].Get("blocks"), "Helpful") {
		t.Errorf("the stream stopped without the buttons: %s", stops[0].Get("blocks"))
	}
	t.Logf("Slack received:\n  chat.startStream %s\n  chat.appendStream %s\n  chat.stopStream chunks=%s", starts[0].Get("chunks"), all, stops[0].Get("chunks"))
}
