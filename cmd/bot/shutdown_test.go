package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/briefbot/briefbot/llm/llmtest"
)

// TestSignalContext: the first SIGTERM or SIGINT cancels the context (a
// graceful shutdown); a second one exits at once.
func TestSignalContext(t *testing.T) {
	tests := []struct {
		name string
		sig  syscall.Signal
		want int
	}{
		{"SIGTERM twice", syscall.SIGTERM, 143},
		{"SIGINT twice", syscall.SIGINT, 130},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exited := make(chan int, 1)
			var stderr bytes.Buffer
			ctx, stop := signalContext(context.Background(), func(code int) { exited <- code }, &stderr)
			defer stop()
			if err := syscall.Kill(syscall.Getpid(), tt.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the first signal did not cancel the context")
			}
			select {
			case code := <-exited:
				t.Fatalf("got exit %d after the first signal, want a graceful shutdown", code)
			default:
			}
			if err := syscall.Kill(syscall.Getpid(), tt.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case code := <-exited:
				if code != tt.want {
					t.Errorf("got exit %d, want %d", code, tt.want)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the second signal did not exit")
			}
		})
	}
}

// TestChatCtrlCDoesNotWaitForEnter: cancelling (Ctrl-C) while the chat
// waits at its prompt ends it without another line of input.
func TestChatCtrlCDoesNotWaitForEnter(t *testing.T) {
	stdin, w := io.Pipe() // a terminal where nobody types
	defer w.Close()
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"chat"}, env{"BOT_DATA_DIR": t.TempDir()}.get, stdin, out, io.Discard)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "> ") {
		if time.Now().After(deadline) {
			t.Fatalf("no prompt; got %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if code := exitCode(err, io.Discard); code != 0 {
			t.Errorf("got exit %d (%v), want 0 after Ctrl-C", code, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the chat still waits for Enter after Ctrl-C")
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSlackStartFailureWithBackgroundWork: when Slack refuses the token
// while the articles directory is being watched, the app stops the watcher
// and returns the error instead of hanging.
func TestSlackStartFailureWithBackgroundWork(t *testing.T) {
	api := fakeSlackAPI(t, nil)
	e := env{
		"SLACK_BOT_TOKEN":      "xoxb-wrong-token", // the fake answers invalid_auth
		"SLACK_SIGNING_SECRET": "secret",
		"SLACK_API_URL":        api.URL + "/",
		"BOT_ADDR":             freeAddr(t),
		"BOT_ARTICLES_DIR":     t.TempDir(),
	}
	done := make(chan struct{})
	var errOut string
	var code int
	go func() {
		defer close(done)
		_, errOut, code = runBot(t, e, "")
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the Slack app hangs after a start-up failure")
	}
	if code == 0 || !strings.Contains(errOut, "SLACK_BOT_TOKEN") {
		t.Errorf("got exit %d, stderr %q; want a failure naming SLACK_BOT_TOKEN", code, errOut)
	}
}

// TestSlackHangingModelStillAnswers: with a model that never replies and
// OPENAI_TIMEOUT longer than BOT_ANSWER_TIMEOUT, the app starts, and a
// slash command gets the cited extractive answer in time, not "that took
// too long".
func TestSlackHangingModelStillAnswers(t *testing.T) {
	model := llmtest.NewServer(t, llmtest.WithHandler(func(r llmtest.Request) llmtest.Reply {
		if r.Kind != llmtest.KindChat {
			return llmtest.Reply{}
		}
		return llmtest.Hang()
	}))
	api := fakeSlackAPI(t, nil)
	responses := make(chan []byte, 4)
	respURL := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		responses <- b
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok")
	}))
	defer respURL.Close()
	const secret = "test-signing-secret"
	addr := freeAddr(t)
	e := env{
		"SLACK_BOT_TOKEN":      "xoxb-test-token",
		"SLACK_SIGNING_SECRET": secret,
		"SLACK_API_URL":        api.URL + "/",
		"BOT_ADDR":             addr,
		"BOT_DATA_DIR":         t.TempDir(),
		"OPENAI_BASE_URL":      model.URL,
		"OPENAI_API_KEY":       model.APIKey,
		"OPENAI_TIMEOUT":       "30s", // longer than the answer's deadline: not refused
		"BOT_ANSWER_TIMEOUT":   "3s",
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var stderr syncBuffer
	go func() { done <- run(ctx, nil, e.get, strings.NewReader(""), io.Discard, &stderr) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("run did not stop after cancel")
		}
	}()
	base := "http://" + addr
	if err := waitHealthy(base, 20*time.Second); err != nil {
		t.Fatalf("the bot did not come up: %v\nstderr: %s", err, stderr.String())
	}
	form := url.Values{
		"command": {"/ask"}, "text": {"How long did Trump's call with Putin last?"},
		"user_id": {"U1"}, "channel_id": {"C1"}, "team_id": {"T1"},
		"response_url": {respURL.URL + "/respond"}, "trigger_id": {"9.9.9"},
	}
	body := []byte(form.Encode())
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/commands", bytes.NewReader(body))
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Slack-Signature", sign(secret, ts, body))
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case b := <-responses:
		var msg struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(b, &msg); err != nil {
			t.Fatalf("response_url got non-JSON: %s", b)
		}
		if strings.Contains(msg.Text, "took too long") || !strings.Contains(msg.Text, "40 minutes") {
			t.Errorf("got %q, want the cited extractive answer", msg.Text)
		}
		if took := time.Since(start); took > 3*time.Second+time.Second {
			t.Errorf("got the answer after %v, want it within BOT_ANSWER_TIMEOUT (3s)", took)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no answer on response_url; stderr: %s", stderr.String())
	}
}

// TestFeedbackCommandImportsJSONL: `bot feedback` imports an older
// feedback.jsonl into the store once, skipping a torn line, and lists the
// records from the store afterwards.
func TestFeedbackCommandImportsJSONL(t *testing.T) {
	dir := t.TempDir()
	old := `{"time":"2025-03-04T09:00:00Z","user":"U1","question":"Who approved the budget?","answer":"The council.","helpful":true}` + "\n" +
		`{"time":"2025-03-04T09:01:00Z","user":"U2","quest` + "\n" +
		`{"time":"2025-03-04T09:02:00Z","user":"U3","question":"When?","answer":"Tuesday.","helpful":false}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "feedback.jsonl"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		out, errOut, code := runBot(t, env{"BOT_DATA_DIR": dir}, "", "feedback")
		if code != 0 {
			t.Fatalf("round %d: exit %d: %s", round, code, errOut)
		}
		first, second := strings.Index(out, "not helpful  by U3"), strings.Index(out, "helpful  by U1")
		if first < 0 || second < 0 || first > second || strings.Contains(out, "U2") {
			t.Errorf("round %d: got\n%s\nwant U3's then U1's record, and not the torn one", round, out)
		}
	}
}

// TestSlackShutdownWithUndeliveredAnswerFails: SIGTERM arrives while an
// answer is being posted and Slack then fails every try; the app logs the
// loss and exits non-zero instead of 0.
func TestSlackShutdownWithUndeliveredAnswerFails(t *testing.T) {
	arrived, release := make(chan struct{}, 8), make(chan struct{})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch strings.TrimPrefix(r.URL.Path, "/") {
		case "auth.test":
			io.WriteString(w, `{"ok":true,"user_id":"UBOT","bot_id":"BBOT","team_id":"T1"}`)
		case "chat.postMessage":
			arrived <- struct{}{}
			<-release
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"ok":false,"error":"internal_error"}`)
		default:
			io.WriteString(w, `{"ok":true}`)
		}
	}))
	defer api.Close()
	const secret = "test-signing-secret"
	addr := freeAddr(t)
	e := env{
		"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": secret,
		"SLACK_API_URL": api.URL + "/", "BOT_ADDR": addr, "BOT_DATA_DIR": t.TempDir(),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	var stderr syncBuffer
	go func() { done <- run(ctx, nil, e.get, strings.NewReader(""), io.Discard, &stderr) }()
	base := "http://" + addr
	if err := waitHealthy(base, 20*time.Second); err != nil {
		t.Fatalf("the bot did not come up: %v\nstderr: %s", err, stderr.String())
	}
	body := []byte(`{"type":"event_callback","event_id":"EvT","team_id":"T1","event":{"type":"message","channel_type":"im","channel":"D1","user":"U1","ts":"1700000000.000100","text":"How long did Trump's call with Putin last?"}}`)
	postEvent(t, base, secret, body)
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatalf("the answer was never posted; stderr: %s", stderr.String())
	}
	cancel() // SIGTERM while the answer is on its way
	close(release)
	select {
	case err := <-done:
		if code := exitCode(err, io.Discard); code == 0 {
			t.Errorf("got exit 0 with the answer undelivered, want non-zero; stderr:\n%s", stderr.String())
		}
		if !strings.Contains(stderr.String(), "not delivered") {
			t.Errorf("got no log of the lost answer; stderr:\n%s", stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop")
	}
}
