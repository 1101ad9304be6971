package slackbot

import (
	"strings"
	"testing"
)

func TestLookupText(t *testing.T) {
	long := strings.Repeat("budget ", 200)
	tests := []struct {
		name, text, want string
	}{
		{"curly quotes in a sentence", "Ana says the council “approved a £4.2m budget” on Tuesday", "approved a £4.2m budget"},
		{"straight quotes, the longest wins", `He said "yes" and then "the council approved a £4.2m budget"`, "the council approved a £4.2m budget"},
		{"a > quote (escaped as Slack sends it)", "Is this right?\n&gt; The council approved a £4.2m budget\n&gt; on Tuesday", "The council approved a £4.2m budget on Tuesday"},
		{"no quote: the whole text", "The council approved a budget.\nIt took three hours.", "The council approved a budget. It took three hours."},
		{"Slack markup is read", "<@U1> said “Spending on libraries rises by 4% &amp; parks get &lt;new&gt; funding”", "Spending on libraries rises by 4% & parks get <new> funding"},
		{"apostrophes are not quotes", "The council's budget isn't final", "The council's budget isn't final"},
		{"empty", "  ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lookupText(tt.text); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("bounded at a word", func(t *testing.T) {
		got := lookupText(long)
		if n := len([]rune(got)); n > maxLookupRunes || n < maxLookupRunes-10 || strings.HasSuffix(got, " ") || !strings.HasSuffix(got, "budget") {
			t.Errorf("got %d runes ending %q, want at most %d, cut after a word", n, got[len(got)-8:], maxLookupRunes)
		}
	})
}

// messageActionPayload is the "Find the source" shortcut used on a message
// in a thread, as Slack sends it.
func messageActionPayload(user, channel, messageTS, threadTS, text, responseURL string) map[string]any {
	msg := map[string]any{"type": "message", "user": "U2", "ts": messageTS, "text": text}
	if threadTS != "" {
		msg["thread_ts"] = threadTS
	}
	return map[string]any{
		"type": "message_action", "token": "legacy", "action_ts": "1800000100.000001",
		"team":        map[string]any{"id": "T1", "domain": "fake"},
		"user":        map[string]any{"id": user, "username": "ana", "team_id": "T1", "name": "ana"},
		"channel":     map[string]any{"id": channel, "name": "news"},
		"callback_id": callbackFindSource, "trigger_id": "13345224609.738474920.8088930838d88f008e1",
		"message_ts": messageTS, "message": msg, "response_url": responseURL,
	}
}

// TestFindSourceShortcut: the message shortcut on a message quoting an
// article looks the quote up, replies privately on the response_url naming
// the article by outlet and title with the sentence around the quote, and
// its Share button posts the lookup in the message's thread for everyone;
// in Socket Mode and over HTTP.
func TestFindSourceShortcut(t *testing.T) {
	const (
		msgTS    = "1700000000.000300"
		threadTS = "1700000000.000100"
	)
	text := "Bo wrote: “approved a £4.2m budget” — is that right?"
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			h, c := startMode(t, mode, nil, nil)
			send := c.Interaction
			send(messageActionPayload("U1", "C1", msgTS, threadTS, text, h.fake.ResponseURL("sc")))
			reply := h.fake.WaitResponses(t, 1)[0]
			h.settle(t)
			if got := h.svc.Sources(); len(got) != 1 || got[0] != "approved a £4.2m budget" {
				t.Errorf("got lookups %q, want the quoted text alone", got)
			}
			shown := screen(reply.Blocks)
			for _, want := range []string{"You looked up: approved a £4.2m budget", "Daily Ledger", "Council approves £4.2m budget",
				"The council *approved a £4.2m budget* on Tuesday", "exact match", "Evening Courier", "near match", "[:loudspeaker: Share in channel]"} {
				if !strings.Contains(shown, want) {
					t.Errorf("the private reply lacks %q:\n%s", want, shown)
				}
			}
			if reply.ResponseType != "ephemeral" || reply.Path != "/sc" {
				t.Errorf("got a %q reply on %s, want ephemeral on /sc", reply.ResponseType, reply.Path)
			}

			ref := buttonValue(t, reply.Blocks, actionShare)
			click := blockActionPayload("U1", "C1", "1800000000.000009", actionShare, ref, h.fake.ResponseURL("share"))
			click["container"] = map[string]any{"type": "message", "message_ts": "1800000000.000009", "channel_id": "C1", "is_ephemeral": true}
			send(click)
			rs := h.fake.WaitResponses(t, 3)
			h.settle(t)
			shared, del := rs[1], rs[2]
			if shared.ResponseType != "in_channel" || shared.ThreadTS != threadTS || !strings.Contains(screen(shared.Blocks), "<@U1> looked up: approved a £4.2m budget") {
				t.Errorf("got shared %q in thread %q:\n%s\nwant in_channel in thread %s, naming who looked it up", shared.ResponseType, shared.ThreadTS, screen(shared.Blocks), threadTS)
			}
			if !del.DeleteOriginal {
				t.Errorf("got %+v, want the private copy deleted", del)
			}
			transcript(t, "Find the source shortcut ("+mode+")",
				"#news (thread)  bo: "+text,
				"ana: More actions → Find the source",
				"briefbot (only ana sees it, on response_url):", indent(shown),
				"ana clicks [Share in channel]; briefbot posts in the thread (in_channel, thread_ts "+shared.ThreadTS+"):",
				indent(screen(shared.Blocks)))
		})
	}
}
