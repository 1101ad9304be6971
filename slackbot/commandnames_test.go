package slackbot

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestCommandPrefix: with BOT_COMMAND_PREFIX=news- the bot answers
// /news-ask, its help names the renamed commands, and a plain /ask (another
// app's, in such a workspace) is not taken for its own.
func TestCommandPrefix(t *testing.T) {
	for _, m := range []string{"socket", "http"} {
		for _, tc := range []struct {
			command, text string
			wantAck       string // in the immediate reply
			wantAnswer    bool   // an answer follows on response_url
		}{
			{"/news-ask", "What did the council approve?", "Working on it", true},
			{"/news-ask", "help", "`/news-ask QUESTION`", false},
			{"/news-briefing", "help", "`/news-source TEXT`", false},
			{"/ask", "What did the council approve?", "I don't know the command /ask", false},
		} {
			t.Run(m+tc.command+"/"+tc.text, func(t *testing.T) {
				prefix := func(c *Config) { c.CommandPrefix = "news-" }
				var h *harness
				var ack string
				payload := commandPayload(tc.command, tc.text, "")
				if m == "socket" {
					h = startSocket(t, nil, prefix)
					payload["response_url"] = h.fake.ResponseURL("s")
					h.sock.Send(commandEnvelope("envC", payload))
					ack = string(h.sock.WaitAck(t, "envC"))
				} else {
					var srv *httptest.Server
					h, srv = startHTTP(t, nil, prefix)
					payload["response_url"] = h.fake.ResponseURL("h")
					form := url.Values{}
					for k, v := range payload {
						form.Set(k, v.(string))
					}
					body := []byte(form.Encode())
					req, _ := http.NewRequest(http.MethodPost, srv.URL+"/slack/commands", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					sign(req, body, testSecret, time.Now())
					resp, err := srv.Client().Do(req)
					if err != nil {
						t.Fatal(err)
					}
					ack = readBody(t, resp)
				}
				var reply commandReply
				if err := json.Unmarshal([]byte(ack), &reply); err != nil {
					t.Fatalf("ack %q is not a command reply: %v", ack, err)
				}
				if !strings.Contains(reply.Text, tc.wantAck) {
					t.Errorf("got ack %q, want it to contain %q", reply.Text, tc.wantAck)
				}
				if strings.Contains(reply.Text, "`/ask") || strings.Contains(reply.Text, "`/briefing") {
					t.Errorf("the help names commands without their prefix: %q", reply.Text)
				}
				if tc.wantAnswer {
					r := h.fake.WaitResponses(t, 1)[0]
					if !strings.Contains(screen(r.Blocks), citeBudget.Quote) {
						t.Errorf("got response %s, want the answer", screen(r.Blocks))
					}
				}
				h.settle(t)
				if got, want := len(h.svc.Asks()), map[bool]int{true: 1}[tc.wantAnswer]; got != want {
					t.Errorf("the service was asked %d questions, want %d", got, want)
				}
			})
		}
	}
}
