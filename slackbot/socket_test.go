package slackbot

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/briefbot/briefbot/answer"
)

const mentionTS = "1700000001.000100"

// TestSocketMentionAnsweredInThread: an @-mention arrives as app_mention
// and as message; it is answered once, in its thread, with citations.
func TestSocketMentionAnsweredInThread(t *testing.T) {
	h := startSocket(t, nil, nil)
	text := "<@UBOT> What did the council approve?"
	h.fake.AddMessage("C1", mentionTS, "", "U1", text)
	h.sock.Send(eventsEnvelope("env-1", "Ev1", 0, mentionEvent("C1", "U1", mentionTS, "", text)))
	h.sock.Send(eventsEnvelope("env-2", "Ev2", 0, messageEvent("channel", "C1", "U1", mentionTS, "", text)))
	h.sock.WaitAck(t, "env-1")
	h.sock.WaitAck(t, "env-2")
	posts := h.fake.WaitCalls(t, "chat.postMessage", 1)
	h.settle(t)

	if got := len(h.fake.Calls("chat.postMessage")); got != 1 {
		t.Errorf("got %d answers posted, want 1 (app_mention and message are one mention)", got)
	}
	asks := h.svc.Asks()
	if len(asks) != 1 || asks[0].Question != "What did the council approve?" {
		t.Fatalf("got service questions %+v, want one, without the mention", asks)
	}
	p := posts[0]
	if got := p.Form.Get("channel"); got != "C1" {
		t.Errorf("got channel %q, want C1", got)
	}
	if got := p.Form.Get("thread_ts"); got != mentionTS {
		t.Errorf("got thread_ts %q, want the mention's ts %s", got, mentionTS)
	}
	shown := screen(p.Blocks)
	for _, want := range []string{
		"The council approved a £4.2m budget on Tuesday [1]",
		"> " + citeBudget.Quote,
		"[1] *Daily Ledger* · Council approves £4.2m budget · 2025-03-04 · <https://ledger.example/budget?id=1&src=feed|link>",
		"> " + citeSpending.Quote,
		"[2] *Evening Courier*",
		"[:thumbsup: Helpful] [:thumbsdown: Not helpful]",
	} {
		if !strings.Contains(shown, want) {
			t.Errorf("answer does not show %q; it shows:\n%s", want, shown)
		}
	}
	if p.Form.Get("text") == "" {
		t.Error("got no text fallback")
	}
	reacts := h.fake.Calls("reactions.add")
	if len(reacts) != 2 || reacts[0].Form.Get("name") != "eyes" || reacts[0].Form.Get("timestamp") != mentionTS {
		t.Errorf("got reactions %+v, want :eyes: on the mention, then :white_check_mark:", reacts)
	}
	if got := h.fake.Reactions("C1", mentionTS); !slices.Equal(got, []string{"white_check_mark"}) {
		t.Errorf("got reactions %v on the answered mention, want [white_check_mark]", got)
	}
	if got := testutil.ToFloat64(h.bot.metrics.questions.WithLabelValues(surfaceMention)); got != 1 {
		t.Errorf("got questions_total{surface=mention} %v, want 1", got)
	}
	deadline := time.Now().Add(waitLimit)
	for h.sock.Pongs() == 0 { // the fake pings every 20ms, as Slack pings
		if time.Now().After(deadline) {
			t.Fatal("the client never answered a websocket ping")
		}
		time.Sleep(5 * time.Millisecond)
	}
	transcript(t, "Mention answered in its thread",
		"#news  ana: @briefbot What did the council approve?",
		"        (briefbot reacts :eyes:, replaced by :white_check_mark: once the answer is posted)",
		"  thread reply from briefbot:", indent(shown),
		"  notification text: "+p.Form.Get("text"))
}

// rememberedAnswer is how the fake service's answer is remembered in a
// thread's history: its text and the articles it cited.
const rememberedAnswer = "The council approved a £4.2m budget on Tuesday [1]. Library spending rises by 4% [2].\n" +
	"Sources: [1] Daily Ledger · Council approves £4.2m budget; [2] Evening Courier · Budget: what changes for residents"

// TestSocketFollowUpInThread: a later message in a thread the bot answered
// is a follow-up without a mention, with the thread's history from the
// bot's memory (no conversations.replies); a mention in a thread the bot
// never answered in gets the thread's earlier messages from
// conversations.replies.
func TestSocketFollowUpInThread(t *testing.T) {
	t.Run("history from the bot's memory", func(t *testing.T) {
		h := startSocket(t, nil, nil)
		first := "<@UBOT> What did the council approve?"
		h.fake.AddMessage("C1", mentionTS, "", "U1", first)
		h.sock.Send(eventsEnvelope("env-1", "Ev1", 0, mentionEvent("C1", "U1", mentionTS, "", first)))
		answer1 := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
		h.settle(t) // ana reads the answer before she replies

		const followTS = "1800000050.000200" // after the bot's answer (the fake numbers its posts 1800000000.*)
		follow := "And how much goes to libraries?"
		h.fake.AddMessage("C1", followTS, mentionTS, "U1", follow)
		h.sock.Send(eventsEnvelope("env-2", "Ev2", 0, messageEvent("channel", "C1", "U1", followTS, mentionTS, follow)))
		posts := h.fake.WaitCalls(t, "chat.postMessage", 2)
		h.settle(t)

		asks := h.svc.Asks()
		if len(asks) != 2 {
			t.Fatalf("got %d questions, want 2", len(asks))
		}
		if asks[1].Question != follow {
			t.Errorf("got follow-up question %q, want %q", asks[1].Question, follow)
		}
		want := []answer.Turn{
			{Role: "user", Text: "What did the council approve?"},
			{Role: "assistant", Text: rememberedAnswer},
		}
		if !reflect.DeepEqual(asks[1].History, want) {
			t.Errorf("got history %+v, want %+v", asks[1].History, want)
		}
		if got := posts[1].Form.Get("thread_ts"); got != mentionTS {
			t.Errorf("got follow-up reply in thread %q, want %s", got, mentionTS)
		}
		if got := len(h.fake.Attempts("conversations.replies")); got != 0 {
			t.Errorf("got %d conversations.replies calls, want none", got)
		}
		transcript(t, "Follow-up in the thread (history from the bot's memory)",
			"#news  ana: @briefbot What did the council approve?",
			"  thread reply from briefbot:", indent(screen(answer1.Blocks)),
			"  ana (in thread, no mention): "+follow,
			"  thread reply from briefbot:", indent(screen(posts[1].Blocks)))
	})
	t.Run("a mention in a thread the bot never answered in", func(t *testing.T) {
		h := startSocket(t, nil, nil)
		h.fake.AddMessage("C1", "1700000000.000001", "", "U2", "The council met on Tuesday.")
		h.fake.AddMessage("C1", "1700000000.000002", "1700000000.000001", "U3", "What did it approve?")
		const ts = "1700000000.000003"
		text := "<@UBOT> can you tell us?"
		h.fake.AddMessage("C1", ts, "1700000000.000001", "U1", text)
		h.sock.Send(eventsEnvelope("env-1", "Ev1", 0, mentionEvent("C1", "U1", ts, "1700000000.000001", text)))
		h.fake.WaitCalls(t, "chat.postMessage", 1)
		h.settle(t)
		asks := h.svc.Asks()
		want := []answer.Turn{{Role: "user", Text: "The council met on Tuesday."}, {Role: "user", Text: "What did it approve?"}}
		if len(asks) != 1 || !reflect.DeepEqual(asks[0].History, want) {
			t.Errorf("got asks %+v, want one with history %+v", asks, want)
		}
		if got := len(h.fake.Attempts("conversations.replies")); got != 1 {
			t.Errorf("got %d conversations.replies calls, want 1", got)
		}
	})
}

// TestSocketDMSourceLookup: in a direct message, a pasted quote or
// "source: TEXT" gets a source lookup; a question gets an answer.
func TestSocketDMSourceLookup(t *testing.T) {
	for i, tc := range []struct {
		name, slackText, wantSource, wantQuestion string
	}{
		{"curly quotes", "“approved a £4.2m budget”", "approved a £4.2m budget", ""},
		{"straight quotes", `"approved a £4.2m budget"`, "approved a £4.2m budget", ""},
		{"source: prefix", "source: approved a £4.2m budget", "approved a £4.2m budget", ""},
		{"a > quote, escaped as Slack sends it", "&gt; Spending on libraries rises by 4% &amp; parks", "Spending on libraries rises by 4% & parks", ""},
		{"a question", "Who approved the budget?", "", "Who approved the budget?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startSocket(t, nil, nil)
			ts := "1700000100.00010" + string(rune('0'+i))
			h.sock.Send(eventsEnvelope("env-dm", "EvDM", 0, messageEvent("im", "D1", "U1", ts, "", tc.slackText)))
			p := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			h.settle(t)
			if got := p.Form.Get("channel"); got != "D1" {
				t.Errorf("got reply in %q, want the DM D1", got)
			}
			if got := p.Form.Get("thread_ts"); got != "" {
				t.Errorf("got thread_ts %q, want a top-level DM reply", got)
			}
			shown := screen(p.Blocks)
			if tc.wantSource != "" {
				if got := h.svc.Sources(); len(got) != 1 || got[0] != tc.wantSource {
					t.Fatalf("got source lookups %q, want [%q]", got, tc.wantSource)
				}
				if len(h.svc.Asks()) != 0 {
					t.Errorf("got questions %+v, want none", h.svc.Asks())
				}
				for _, want := range []string{
					"Found in 1 article, plus 1 near match:",
					"> The council *approved a £4.2m budget* on Tuesday after a three-hour debate.",
					"exact match",
					"near match (87% similar)",
					"your text was trimmed",
					"*Evening Courier* · Budget: what changes for residents · 2025-03-05",
				} {
					if !strings.Contains(shown, want) {
						t.Errorf("source lookup does not show %q; it shows:\n%s", want, shown)
					}
				}
			} else {
				if got := h.svc.Asks(); len(got) != 1 || got[0].Question != tc.wantQuestion {
					t.Fatalf("got questions %+v, want %q", got, tc.wantQuestion)
				}
				if len(h.svc.Sources()) != 0 {
					t.Errorf("got source lookups %q, want none", h.svc.Sources())
				}
			}
			transcript(t, "DM: "+tc.name, "ana → briefbot (DM): "+tc.slackText, "briefbot:", indent(shown))
		})
	}
}

// TestSocketSlashCommands: each command is acked at once (well under
// Slack's 3 seconds, while the answer is still being computed) and then
// answered privately on its response_url with a Share button.
func TestSocketSlashCommands(t *testing.T) {
	for _, tc := range []struct {
		command, text string
		check         func(t *testing.T, svc *fakeService)
		wantShown     string
	}{
		{"/ask", "What did the council approve?", func(t *testing.T, svc *fakeService) {
			if got := svc.Asks(); len(got) != 1 || got[0].Question != "What did the council approve?" {
				t.Errorf("got questions %+v", got)
			}
		}, "> " + citeBudget.Quote},
		{"/source", "“approved a £4.2m budget”", func(t *testing.T, svc *fakeService) {
			if got := svc.Sources(); len(got) != 1 || got[0] != "approved a £4.2m budget" {
				t.Errorf("got source lookups %q", got)
			}
		}, "exact match"},
		{"/briefing", "2025-03-04 budget", func(t *testing.T, svc *fakeService) {
			if got := svc.Briefings(); len(got) != 1 || got[0] != (BriefingRequest{Date: "2025-03-04", Topic: "budget"}) {
				t.Errorf("got briefing requests %+v", got)
			}
		}, "Outlets differ"},
	} {
		t.Run(tc.command, func(t *testing.T) {
			svc := &fakeService{gate: make(chan struct{}), started: make(chan string, 1)}
			h := startSocket(t, svc, nil)
			start := time.Now()
			h.sock.Send(commandEnvelope("env-cmd", commandPayload(tc.command, tc.text, h.fake.ResponseURL("cmd"))))
			ackPayload := h.sock.WaitAck(t, "env-cmd")
			elapsed := time.Since(start)
			if elapsed > 3*time.Second {
				t.Errorf("ack took %v, want under Slack's 3s", elapsed)
			}
			<-svc.started // the answer is being computed, and the ack is already in
			var ack commandReply
			if err := json.Unmarshal(ackPayload, &ack); err != nil || ack.ResponseType != "ephemeral" || !strings.Contains(ack.Text, "Working on it") {
				t.Errorf("got ack payload %s, want an ephemeral 'Working on it…'", ackPayload)
			}
			if got := len(h.fake.Responses()); got != 0 {
				t.Errorf("got %d response_url posts before the answer was ready, want 0", got)
			}
			close(svc.gate)
			r := h.fake.WaitResponses(t, 1)[0]
			h.settle(t)
			tc.check(t, svc)
			if r.Path != "/cmd" || r.ResponseType != "ephemeral" {
				t.Errorf("got response at %q type %q, want /cmd ephemeral", r.Path, r.ResponseType)
			}
			shown := screen(r.Blocks)
			for _, want := range []string{tc.wantShown, "[:loudspeaker: Share in channel]", "[:thumbsup: Helpful]"} {
				if !strings.Contains(shown, want) {
					t.Errorf("response does not show %q; it shows:\n%s", want, shown)
				}
			}
			transcript(t, "Slash command "+tc.command,
				"ana types: "+tc.command+" "+tc.text,
				"ack after "+elapsed.Round(10*time.Microsecond).String()+" (only ana sees it): "+ack.Text,
				"then, on response_url ("+r.ResponseType+", only ana sees it):", indent(shown))
		})
	}
}

// TestSocketCommandUsage: `/briefing help` and an empty `/ask` answer with
// the usage in the ack, and ask the service nothing.
func TestSocketCommandUsage(t *testing.T) {
	for _, tc := range []struct{ command, text, want string }{
		{"/briefing", "help", "/briefing yesterday"},
		{"/ask", "", "Usage: `/ask QUESTION`"},
		{"/source", " ", "Usage: `/source TEXT`"},
	} {
		t.Run(tc.command+" "+tc.text, func(t *testing.T) {
			h := startSocket(t, nil, nil)
			h.sock.Send(commandEnvelope("env-u", commandPayload(tc.command, tc.text, h.fake.ResponseURL("u"))))
			var ack commandReply
			if err := json.Unmarshal(h.sock.WaitAck(t, "env-u"), &ack); err != nil {
				t.Fatal(err)
			}
			h.settle(t)
			if !strings.Contains(ack.Text, tc.want) || ack.ResponseType != "ephemeral" {
				t.Errorf("got ack %+v, want ephemeral usage containing %q", ack, tc.want)
			}
			if n := len(h.svc.Asks()) + len(h.svc.Sources()) + len(h.svc.Briefings()); n != 0 {
				t.Errorf("got %d service calls, want 0", n)
			}
			if got := len(h.fake.Responses()); got != 0 {
				t.Errorf("got %d response_url posts, want 0", got)
			}
			transcript(t, "Usage for "+tc.command+" "+tc.text, "ana types: "+tc.command+" "+tc.text, "briefbot (only ana sees it):", indent(ack.Text))
		})
	}
}

// TestSocketRetriedEventAnsweredOnce: Slack redelivers an event (same
// event_id, retry_attempt 1); both envelopes are acked, one answer is
// posted.
func TestSocketRetriedEventAnsweredOnce(t *testing.T) {
	h := startSocket(t, nil, nil)
	text := "<@UBOT> What did the council approve?"
	h.sock.Send(eventsEnvelope("env-a", "EvSame", 0, mentionEvent("C1", "U1", mentionTS, "", text)))
	h.sock.Send(eventsEnvelope("env-b", "EvSame", 1, mentionEvent("C1", "U1", mentionTS, "", text)))
	h.sock.WaitAck(t, "env-a")
	h.sock.WaitAck(t, "env-b")
	h.fake.WaitCalls(t, "chat.postMessage", 1)
	h.settle(t)
	if got := len(h.fake.Calls("chat.postMessage")); got != 1 {
		t.Errorf("got %d answers, want 1", got)
	}
	if got := len(h.svc.Asks()); got != 1 {
		t.Errorf("got %d service calls, want 1", got)
	}
	transcript(t, "Retried event (Socket Mode)", "envelope env-a event EvSame → acked, answered",
		"envelope env-b event EvSame retry_attempt=1 → acked, not answered again",
		"chat.postMessage calls: 1")
}

// TestSocketRateLimited429Retried: chat.postMessage answers 429 with
// Retry-After; slack-go retries after the wait Slack asked for and the
// answer arrives once.
func TestSocketRateLimited429Retried(t *testing.T) {
	var waits []time.Duration
	h := startSocket(t, nil, func(c *Config) {
		c.retryWait = func(d time.Duration) time.Duration { waits = append(waits, d); return time.Millisecond }
	})
	h.fake.RateLimit("chat.postMessage", 1, "7")
	h.sock.Send(eventsEnvelope("env-1", "Ev1", 0, messageEvent("im", "D1", "U1", "1700000200.000100", "", "Who approved the budget?")))
	posts := h.fake.WaitCalls(t, "chat.postMessage", 1)
	h.settle(t)
	attempts := h.fake.Attempts("chat.postMessage")
	if len(attempts) != 2 || attempts[0].Status != 429 || attempts[1].Status != 200 {
		t.Fatalf("got attempts %+v, want a 429 then a 200", attempts)
	}
	if len(posts) != 1 {
		t.Errorf("got %d answers posted, want 1", len(posts))
	}
	if !reflect.DeepEqual(waits, []time.Duration{7 * time.Second}) {
		t.Errorf("got waits %v, want [7s] from Retry-After", waits)
	}
	if got := testutil.ToFloat64(h.bot.metrics.slackRetries); got != 1 {
		t.Errorf("got rate_limited_total %v, want 1", got)
	}
	transcript(t, "429 on chat.postMessage",
		"ana → briefbot (DM): Who approved the budget?",
		"chat.postMessage → 429 Retry-After: 7 (the bot waits 7s; the test clock shortens it)",
		"chat.postMessage → 200", "briefbot:", indent(screen(posts[0].Blocks)))
}

// TestSocketIgnoresBots: messages from bots, from the bot itself, edits
// and other subtypes, channel chatter and threads the bot never answered
// are all ignored.
func TestSocketIgnoresBots(t *testing.T) {
	h := startSocket(t, nil, nil)
	withField := func(e map[string]any, k string, v any) map[string]any { e[k] = v; return e }
	events := []struct {
		name  string
		event map[string]any
	}{
		{"message with bot_id", withField(messageEvent("im", "D1", "U2", "1.000001", "", "hello"), "bot_id", "BOTHER")},
		{"bot_message subtype", withField(messageEvent("channel", "C1", "", "1.000002", "", "<@UBOT> hi"), "subtype", "bot_message")},
		{"the bot's own message", messageEvent("im", "D1", botUser, "1.000003", "", "an answer")},
		{"an edit", withField(messageEvent("im", "D1", "U1", "1.000004", "", "edited"), "subtype", "message_changed")},
		{"a mention by another bot", withField(mentionEvent("C1", "U3", "1.000005", "", "<@UBOT> spam"), "bot_id", "BOTHER")},
		{"channel chatter", messageEvent("channel", "C1", "U1", "1.000006", "", "lunch?")},
		{"a thread the bot never answered", messageEvent("channel", "C1", "U1", "1.000007", "1.000000", "in some thread")},
	}
	for i, e := range events {
		id := "env-" + string(rune('a'+i))
		h.sock.Send(eventsEnvelope(id, "Ev"+id, 0, e.event))
	}
	h.settle(t)
	if got := len(h.svc.Asks()) + len(h.svc.Sources()); got != 0 {
		t.Errorf("got %d service calls, want 0", got)
	}
	if got := h.fake.Calls("chat.postMessage"); len(got) != 0 {
		t.Errorf("got %d posts, want 0", len(got))
	}
	var lines []string
	for _, e := range events {
		lines = append(lines, e.name+" → acked, ignored")
	}
	transcript(t, "Bot messages ignored", lines...)
}

// TestSocketShutdownWaitsForAnswer: when Run's context ends with an answer
// in flight, Run returns only after that answer is posted.
func TestSocketShutdownWaitsForAnswer(t *testing.T) {
	svc := &fakeService{gate: make(chan struct{}), started: make(chan string, 1)}
	h := startSocket(t, svc, nil)
	h.sock.Send(eventsEnvelope("env-1", "Ev1", 0, messageEvent("im", "D1", "U1", "1700000300.000100", "", "Who approved the budget?")))
	h.sock.WaitAck(t, "env-1")
	<-svc.started
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		t.Fatalf("Run returned (%v) with an answer in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(svc.gate)
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not return after the answer finished")
	}
	if got := len(h.fake.Calls("chat.postMessage")); got != 1 {
		t.Errorf("when Run returned, %d answers were posted, want 1", got)
	}
	if un := h.sock.Unacked(); len(un) > 0 {
		t.Errorf("unacked envelopes: %v", un)
	}
	transcript(t, "Shutdown with an answer in flight",
		"ana → briefbot (DM): Who approved the budget?",
		"(SIGTERM: Run's context is cancelled while the answer is being computed)",
		"Run still running 100ms later: yes", "answer posted, then Run returned nil")
}

// TestSocketShutdownBounded: an answer that never finishes is cancelled
// when ShutdownTimeout runs out, and Run says so.
func TestSocketShutdownBounded(t *testing.T) {
	svc := &fakeService{gate: make(chan struct{}), started: make(chan string, 1)}
	h := startSocket(t, svc, func(c *Config) { c.ShutdownTimeout = 50 * time.Millisecond })
	h.sock.Send(eventsEnvelope("env-1", "Ev1", 0, messageEvent("im", "D1", "U1", "1700000300.000100", "", "Who approved the budget?")))
	h.sock.WaitAck(t, "env-1")
	<-svc.started
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		if err == nil || !strings.Contains(err.Error(), "answers in flight") {
			t.Errorf("got Run error %v, want one about answers in flight", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Run did not give up on the answer in flight")
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if len(svc.ctxErrs) != 1 {
		t.Errorf("got %d cancelled service calls, want 1", len(svc.ctxErrs))
	}
}

// TestSocketFeedbackAndShare: a click on "helpful" is recorded with the
// question, answer and citations, and a thanks line replaces the buttons;
// "Share in
// channel" posts a private answer for everyone.
func TestSocketFeedbackAndShare(t *testing.T) {
	h := startSocket(t, nil, nil)
	text := "<@UBOT> What did the council approve?"
	h.sock.Send(eventsEnvelope("env-1", "Ev1", 0, mentionEvent("C1", "U1", mentionTS, "", text)))
	post := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
	ref := buttonValue(t, post.Blocks, actionHelpful)

	h.sock.Send(interactiveEnvelope("env-click", blockActionPayload("U2", "C1", "1800000000.000001", actionHelpful, ref, h.fake.ResponseURL("click"))))
	h.sock.WaitAck(t, "env-click")
	thanks := h.fake.WaitResponses(t, 1)[0]
	h.settle(t)

	recs, err := h.bot.feedback.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("got %d feedback records, want 1", len(recs))
	}
	r := recs[0]
	if !r.Helpful || r.User != "U2" || r.Channel != "C1" || r.Question != "What did the council approve?" ||
		!strings.HasPrefix(r.Answer, "The council approved") || len(r.Citations) != 2 || r.Citations[0].Quote != citeBudget.Quote || r.Time.IsZero() {
		t.Errorf("got record %+v", r)
	}
	if shown := screen(thanks.Blocks); !thanks.ReplaceOriginal || !strings.Contains(shown, "Thanks, <@U2>: noted as helpful.") ||
		strings.Contains(shown, "Helpful]") || !strings.Contains(shown, "> "+citeBudget.Quote) {
		t.Errorf("got %+v showing\n%s\nwant the answer kept with its buttons replaced by a thanks line", thanks, shown)
	}
	if n := len(h.fake.Calls("views.open")); n != 0 {
		t.Errorf("got %d views.open calls for a helpful click, want none", n)
	}

	// Share: a private /ask answer, then the Share click.
	h.sock.Send(commandEnvelope("env-cmd", commandPayload("/ask", "What did the council approve?", h.fake.ResponseURL("cmd"))))
	private := h.fake.WaitResponses(t, 2)[1]
	shareRef := buttonValue(t, private.Blocks, actionShare)
	h.sock.Send(interactiveEnvelope("env-share", blockActionPayload("U1", "C1", "", actionShare, shareRef, h.fake.ResponseURL("cmd-share"))))
	rs := h.fake.WaitResponses(t, 4)
	h.settle(t)
	shared, deleted := rs[2], rs[3]
	if shared.ResponseType != "in_channel" || shared.Path != "/cmd-share" {
		t.Errorf("got share post %+v, want in_channel on the click's response_url", shared)
	}
	shownShared := screen(shared.Blocks)
	if !strings.Contains(shownShared, "<@U1> asked: What did the council approve?") || !strings.Contains(shownShared, "> "+citeBudget.Quote) || strings.Contains(shownShared, "Share in channel") {
		t.Errorf("shared answer shows:\n%s", shownShared)
	}
	if !deleted.DeleteOriginal {
		t.Errorf("got %+v, want the private copy deleted", deleted)
	}
	transcript(t, "Feedback click and Share",
		"ben clicks [:thumbsup: Helpful] under briefbot's answer",
		"briefbot replaces the buttons (replace_original):", indent(screen(thanks.Blocks)),
		"recorded in feedback.jsonl: "+r.Time.Format(time.RFC3339)+" helpful by U2 in C1 — Q: "+r.Question,
		"ana: /ask What did the council approve?  → private answer with [Share in channel]",
		"ana clicks [Share in channel]; everyone in #news sees:", indent(shownShared),
		"(the private copy is deleted)")
}

// TestSocketRateLimit: past a user's limit the bot answers politely and
// computes nothing; other users are not affected.
func TestSocketRateLimit(t *testing.T) {
	now := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	h := startSocket(t, nil, func(c *Config) {
		c.RateLimit, c.RateBurst = 1.0/3600, 1
		c.Now = func() time.Time { return now }
	})
	h.sock.Send(eventsEnvelope("e1", "E1", 0, messageEvent("im", "D1", "U1", "1.000001", "", "Who approved the budget?")))
	h.sock.Send(eventsEnvelope("e2", "E2", 0, messageEvent("im", "D1", "U1", "1.000002", "", "And when?")))
	h.sock.Send(eventsEnvelope("e3", "E3", 0, mentionEvent("C1", "U1", "1.000003", "", "<@UBOT> and why?")))
	h.sock.Send(eventsEnvelope("e4", "E4", 0, messageEvent("im", "D2", "U2", "1.000004", "", "Who approved the budget?")))
	h.sock.Send(commandEnvelope("e5", commandPayload("/ask", "why?", h.fake.ResponseURL("x"))))
	var ack commandReply
	if err := json.Unmarshal(h.sock.WaitAck(t, "e5"), &ack); err != nil {
		t.Fatal(err)
	}
	h.settle(t)
	asks := h.svc.Asks()
	if len(asks) != 2 {
		t.Fatalf("got %d questions computed, want 2 (U1's first and U2's)", len(asks))
	}
	var polite []string
	for _, p := range h.fake.Calls("chat.postMessage") {
		if p.Form.Get("text") == rateLimited(time.Hour) { // nothing refilled: the clock is stopped
			polite = append(polite, p.Form.Get("channel"))
		}
	}
	eph := h.fake.Calls("chat.postEphemeral")
	if !reflect.DeepEqual(polite, []string{"D1"}) || len(eph) != 1 || eph[0].Form.Get("user") != "U1" || eph[0].Form.Get("text") != rateLimited(time.Hour) || ack.Text != rateLimited(time.Hour) {
		t.Errorf("got polite DMs in %v, ephemerals %+v, command ack %q; want one of each for U1", polite, eph, ack.Text)
	}
	if got := testutil.ToFloat64(h.bot.metrics.userLimited); got != 3 {
		t.Errorf("got user_rate_limited_total %v, want 3", got)
	}
	transcript(t, "Per-user rate limit (1 question an hour)",
		"ana (DM): Who approved the budget?  → answered",
		"ana (DM): And when?  → briefbot: "+rateLimited(time.Hour),
		"ana in #news: @briefbot and why?  → only ana sees: "+rateLimited(time.Hour),
		"ana: /ask why?  → only ana sees: "+ack.Text,
		"ben (DM): Who approved the budget?  → answered")
}

// TestSocketAnswerFailures: a failing or slow service gets the user a
// short apology, never the error itself; the details go to the log.
func TestSocketAnswerFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		svc  *fakeService
		edit func(*Config)
		want string
	}{
		{"service error", &fakeService{fail: errFake}, nil, msgFailed},
		{"answer timeout", &fakeService{gate: make(chan struct{})}, func(c *Config) { c.AnswerTimeout = 50 * time.Millisecond }, msgTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startSocket(t, tc.svc, tc.edit)
			h.sock.Send(eventsEnvelope("env-1", "Ev1", 0, messageEvent("im", "D1", "U1", "1700000600.000100", "", "Who approved the budget?")))
			p := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			h.settle(t)
			if got := p.Form.Get("text"); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if strings.Contains(screen(p.Blocks), "fake") || strings.Contains(screen(p.Blocks), "deadline") {
				t.Errorf("the user sees the error: %s", screen(p.Blocks))
			}
			if got := testutil.ToFloat64(h.bot.metrics.serviceErrors.WithLabelValues(kindAsk)); got != 1 {
				t.Errorf("got answer_errors_total %v, want 1", got)
			}
			transcript(t, "Answer failure: "+tc.name, "ana (DM): Who approved the budget?", "briefbot: "+p.Form.Get("text"))
		})
	}
}
