package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func startSlackRun(t *testing.T, e env) *slackProcess {
	t.Helper()
	return startRun(t, e, 15*time.Second)
}

func (p *slackProcess) command(t *testing.T, text, responseURL, trigger string) string {
	t.Helper()
	form := url.Values{"command": {"/briefing"}, "text": {text}, "user_id": {"U1"}, "channel_id": {"C1"},
		"team_id": {"T1"}, "response_url": {responseURL}, "trigger_id": {trigger}}
	return p.post(t, "/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// TestChannelSettingsThroughRun: a channel's subscription and follow,
// set with /briefing through run, survive a restart on the same
// BOT_DATA_DIR, and a question asked there is answered from what it
// follows, saying so.
func TestChannelSettingsThroughRun(t *testing.T) {
	t.Parallel()
	posts := make(chan url.Values, 16)
	api := fakeSlackAPI(t, posts)
	responses := make(chan []byte, 8)
	respURL := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		responses <- b
		io.WriteString(w, "ok")
	}))
	defer respURL.Close()
	e := env{
		"SLACK_BOT_TOKEN":      "xoxb-test-token",
		"SLACK_SIGNING_SECRET": "test-signing-secret",
		"SLACK_API_URL":        api.URL + "/",
		"BOT_ADDR":             freeAddr(t),
		"BOT_DATA_DIR":         t.TempDir(),
	}
	response := func() string {
		t.Helper()
		select {
		case b := <-responses:
			var m struct {
				ResponseType string `json:"response_type"`
				Text         string `json:"text"`
				Blocks       []struct {
					Text struct{ Text string } `json:"text"`
				} `json:"blocks"`
			}
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("response_url got %s", b)
			}
			out := m.ResponseType + ": " + m.Text
			for _, bl := range m.Blocks {
				out += "\nblock: " + bl.Text.Text
			}
			return out
		case <-time.After(15 * time.Second):
			t.Fatal("nothing posted to response_url")
			return ""
		}
	}
	first := startSlackRun(t, e)
	first.command(t, "subscribe 08:00 Europe/London", respURL.URL+"/1", "t1")
	if got := response(); !strings.HasPrefix(got, "in_channel: A member subscribed this channel to a daily briefing at 08:00 Europe/London") ||
		!strings.Contains(got, "<@U1> subscribed") {
		t.Errorf("subscribe: got %q", got)
	}
	first.command(t, "follow topic:boots on the ground", respURL.URL+"/2", "t2")
	if got := response(); !strings.Contains(got, "follow articles about “boots on the ground”") {
		t.Errorf("follow: got %q", got)
	}
	first.stop(t)

	second := startSlackRun(t, e)
	defer second.stop(t)
	var ack struct{ Text string }
	if err := json.Unmarshal([]byte(second.command(t, "settings", respURL.URL+"/3", "t3")), &ack); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"*Daily briefing:* 08:00 Europe/London; next ", "*Follows:* articles about “boots on the ground”"} {
		if !strings.Contains(ack.Text, want) {
			t.Errorf("settings after a restart do not show %q:\n%s", want, ack.Text)
		}
	}
	event := map[string]any{"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback", "event_id": "Ev1", "event_time": 1800000000,
		"event": map[string]any{"type": "app_mention", "user": "U1", "text": "<@UBOT> Who ruled out American boots on the ground?", "ts": "1800000000.000100", "channel": "C1", "event_ts": "1800000000.000100"}}
	body, _ := json.Marshal(event)
	second.post(t, "/slack/events", "application/json", body)
	select {
	case p := <-posts:
		if p.Get("channel") != "C1" || !strings.Contains(p.Get("blocks"), "Answered only from articles about “boots on the ground”") || !strings.Contains(p.Get("blocks"), "definitively") {
			t.Errorf("the answer in C1 is not the scoped one: %.600s", p.Get("blocks"))
		}
		t.Logf("answer posted in C1 (notification text): %s", p.Get("text"))
	case <-time.After(15 * time.Second):
		t.Fatalf("no answer posted; stderr:\n%s", second.stderr.String())
	}
	t.Logf("/briefing settings after the restart:\n%s", ack.Text)
}
