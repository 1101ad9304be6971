package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeSlackAPI answers the Web API calls the app makes; every
// chat.postMessage is sent on posts (when not nil) as its form values.
func fakeSlackAPI(tb testing.TB, posts chan<- url.Values) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch strings.TrimPrefix(r.URL.Path, "/") {
		case "chat.postMessage":
			r.ParseForm()
			if posts != nil {
				posts <- r.Form
			}
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.000100"}`, r.Form.Get("channel"))
		case "auth.test":
			r.ParseForm()
			if r.Header.Get("Authorization") != "Bearer xoxb-test-token" && r.Form.Get("token") != "xoxb-test-token" {
				fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
				return
			}
			fmt.Fprint(w, `{"ok":true,"url":"https://test.slack.com/","team":"T","user":"briefbot","team_id":"T1","user_id":"UBOT","bot_id":"BBOT"}`)
		case "conversations.members":
			fmt.Fprint(w, `{"ok":true,"members":["U1","UBOT"],"response_metadata":{"next_cursor":""}}`)
		default:
			fmt.Fprint(w, `{"ok":true}`)
		}
	}))
	tb.Cleanup(srv.Close)
	return srv
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func sign(secret string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:%s", ts, body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// TestSlackHTTPModeThroughRun starts the whole bot in HTTP Events API mode
// through run, sends a signed /ask command and reads the answer Slack would
// receive on response_url.
func TestSlackHTTPModeThroughRun(t *testing.T) {
	t.Parallel()
	api := fakeSlackAPI(t, nil)
	responses := make(chan []byte, 4)
	respURL := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		responses <- b
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok") // what Slack answers on a response_url
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
	}
	base, stderr := runSlackHTTP(t, e, addr)

	form := url.Values{
		"command":      {"/ask"},
		"text":         {"How long did Trump's call with Putin last?"},
		"user_id":      {"U1"},
		"channel_id":   {"C1"},
		"team_id":      {"T1"},
		"response_url": {respURL.URL + "/respond"},
		"trigger_id":   {"1.2.3"},
	}
	body := []byte(form.Encode())
	post := func(sig string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, base+"/slack/commands", bytes.NewReader(body))
		ts := time.Now().Unix()
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
		if sig == "" {
			sig = sign(secret, ts, body)
		}
		req.Header.Set("X-Slack-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := post("v0=deadbeef"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("badly signed command: status %d, want 401", resp.StatusCode)
	}
	start := time.Now()
	resp := post("")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed command: status %d, want 200", resp.StatusCode)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("ack took %v, want under Slack's 3 s", took)
	}
	select {
	case b := <-responses:
		var msg struct {
			ResponseType string            `json:"response_type"`
			Text         string            `json:"text"`
			Blocks       []json.RawMessage `json:"blocks"`
		}
		if err := json.Unmarshal(b, &msg); err != nil {
			t.Fatalf("response_url got non-JSON: %s", b)
		}
		if msg.ResponseType != "ephemeral" {
			t.Errorf("response_type = %q, want ephemeral", msg.ResponseType)
		}
		if !strings.Contains(msg.Text, "40 minutes") || len(msg.Blocks) == 0 {
			t.Errorf("answer lacks the cited fact or blocks: %s", b)
		}
		t.Logf("response_url received: %s", msg.Text)
	case <-time.After(15 * time.Second):
		t.Fatalf("no answer on response_url; stderr: %s", stderr.String())
	}
}

func TestSlackSettingsChecked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  env
		want string
	}{
		{"bot token of the wrong kind", env{"SLACK_BOT_TOKEN": "xoxp-user", "SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN must be a bot token"},
		{"app token of the wrong kind", env{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN must be an app-level token"},
		{"HTTP mode without a signing secret", env{"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"},
		{"command prefix with a slash", env{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "BOT_COMMAND_PREFIX": "/news"}, "BOT_COMMAND_PREFIX may hold only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runBot(t, tt.env, "")
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errOut, tt.want)
			}
			for _, secret := range []string{"xoxp-user", "xoxb-1", "xoxb-2", "xapp-1"} {
				if strings.Contains(errOut, secret) {
					t.Errorf("stderr shows the token %q", secret)
				}
			}
		})
	}
}
