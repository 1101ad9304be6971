package slackbot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestAttackChannelCommands: careless or hostile /briefing settings input
// gets a clear private refusal and changes nothing; accepted input that
// carries mrkdwn or broadcast mentions is shown escaped, never pinging the
// channel; an unsubscribe twice says there is nothing to stop.
func TestAttackChannelCommands(t *testing.T) {
	big := strings.Repeat("budget ", 800) // ~5.6 KB
	var many []string
	for i := range 1000 {
		many = append(many, fmt.Sprintf("Outlet %d", i))
	}
	tests := []struct {
		name, text string
		refused    bool   // an ephemeral refusal, nothing stored
		want       string // in what is shown
	}{
		{"hour 25", "subscribe 25:00", true, "cannot read"},
		{"unknown zone", "subscribe 08:00 Mars/Olympus", true, "cannot read"},
		{"no time", "subscribe", true, "say when"},
		{"huge topic", "subscribe 08:00 UTC " + big, true, "topic"},
		{"huge outlet", "follow outlet:" + strings.Repeat("R", 10_000), true, "outlet"},
		{"many outlets", "follow outlet:" + strings.Join(many, ", "), true, "outlet"},
		{"huge follow topic", "follow topic:" + big, true, "topic"},
		{"broadcast topic", "subscribe 08:00 UTC <!channel> budget", false, "@channel budget"},
		{"broadcast follow", "follow topic:<!here|here> budget", false, "budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startRun(t, "socket", &scopedService{fakeService: &fakeService{}}, nil)
			ack := h.command(t, "c", "/briefing", tt.text, "U1", "C1")
			if tt.refused {
				if !strings.Contains(strings.ToLower(ack), tt.want) || len(ack) > 3000 {
					t.Errorf("got ack of %d bytes %.300q, want a short refusal mentioning %q", len(ack), ack, tt.want)
				}
				time.Sleep(50 * time.Millisecond)
				if cs := h.bot.channels.get("C1"); cs.Subscription != nil || cs.Follow != nil {
					t.Errorf("stored %+v after a refusal, want nothing", cs)
				}
				if n := len(h.fake.Responses()); n != 0 {
					t.Errorf("got %d posts to response_url after a refusal, want none", n)
				}
				return
			}
			r := h.responseAt(t, "c")
			cs := h.bot.channels.get("C1")
			if cs.Subscription == nil && cs.Follow == nil {
				t.Errorf("stored nothing, want the setting")
			}
			raw, _ := json.Marshal(r)
			if s := string(raw); strings.Contains(s, "<!channel>") || strings.Contains(s, "<!here") || !strings.Contains(s, tt.want) {
				t.Errorf("got %s, want %q and no live <!channel>", s, tt.want)
			}
		})
	}
}

// TestAttackUnsubscribeTwice: the second unsubscribe says there was
// nothing to stop and keeps the channel unsubscribed.
func TestAttackUnsubscribeTwice(t *testing.T) {
	h := startRun(t, "socket", nil, nil)
	h.command(t, "s", "/briefing", "subscribe 08:00 Europe/London", "U1", "C1")
	h.responseAt(t, "s")
	h.command(t, "u1", "/briefing", "unsubscribe", "U1", "C1")
	h.responseAt(t, "u1")
	h.command(t, "u2", "/briefing", "unsubscribe", "U1", "C1")
	r := h.responseAt(t, "u2")
	if shown := screen(r.Blocks); !strings.Contains(shown, "had no daily briefing; nothing to stop") {
		t.Errorf("second unsubscribe got:\n%s", shown)
	}
	if cs := h.bot.channels.get("C1"); cs.Subscription != nil {
		t.Errorf("got subscription %+v, want none", cs.Subscription)
	}
}

// TestAttackFeedbackFormTampered: a form whose private_metadata names
// another user's feedback record, a record that does not exist, or is
// garbled changes no other user's record; a 100 KB comment is cut to the
// form's limit; no reason chosen is recorded as "other".
func TestAttackFeedbackFormTampered(t *testing.T) {
	h, c := startMode(t, "socket", nil, nil)
	c.Event("Ev1", mentionEvent("C1", "U1", mentionTS, "", "<@UBOT> What did the council approve?"))
	post := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
	h.settle(t)
	click := blockActionPayload("U1", "C1", "1800000000.000001", actionNotHelpful, buttonValue(t, post.Blocks, actionNotHelpful), h.fake.ResponseURL("fb"))
	click["message"].(map[string]any)["blocks"] = post.Blocks
	c.Interaction(click)
	open := h.fake.WaitCalls(t, "views.open", 1)[0]
	h.settle(t)
	var view struct {
		PrivateMetadata string `json:"private_metadata"`
	}
	if err := json.Unmarshal([]byte(open.Form.Get("view")), &view); err != nil {
		t.Fatal(err)
	}

	// U2 submits U1's form; garbled and made-up metadata. Each is a new
	// submission (its own trigger_id), not a replay.
	for i, meta := range []string{view.PrivateMetadata, "{not json", `{"key":"../../x","ref":"nope"}`, `{"key":""}`} {
		sub := viewSubmissionPayload("U2", meta, "wrong_answer", []string{"hijacked", "garbled", "made up", "made up"}[i])
		sub["trigger_id"] = fmt.Sprintf("9.9.%d", i)
		c.Interaction(sub)
	}
	h.settle(t)
	recs, err := h.bot.feedback.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Comment == "hijacked" || r.Comment == "garbled" || r.Comment == "made up" {
			t.Errorf("got record %+v from a tampered form, want it refused", r)
		}
	}
	if len(recs) != 1 || recs[0].User != "U1" {
		t.Fatalf("got %+v, want U1's one record", recs)
	}

	// U1's own form: no reason, 100 KB comment.
	c.Interaction(viewSubmissionPayload("U1", view.PrivateMetadata, "", strings.Repeat("é", 100_000)))
	h.settle(t)
	recs, _ = h.bot.feedback.List()
	if len(recs) != 1 || recs[0].Reason != "other" || len([]rune(recs[0].Comment)) != maxCommentChars {
		t.Errorf("got %d records, reason %q, comment of %d runes; want one, other, %d", len(recs), recs[0].Reason, len([]rune(recs[0].Comment)), maxCommentChars)
	}
}
