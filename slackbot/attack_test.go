package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/citation"
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
	open := clickNotHelpful(t, h, c)
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

// hostileModel is a model service whose first sentence, verified by its
// quote, carries text an article could have planted in the model's words:
// a broadcast mention, a link and a user mention.
type hostileModel struct{ *modelService }

const hostileSentence = "The council <!channel> approved <https://evil.example/x|a budget> for <@U999> & more."

func (m hostileModel) Ask(ctx context.Context, q Question) (answer.Answer, error) {
	a, err := m.modelService.Ask(ctx, Question{Text: q.Text, History: q.History, Channel: q.Channel})
	if err != nil {
		return a, err
	}
	a.Sentences[0].Text = hostileSentence
	a.Answer = hostileSentence + " [1] Library spending rises by 4%. [2]"
	if q.Progress.Writing != nil {
		q.Progress.Writing(8)
		q.Progress.Checking(len(a.Citations))
		for _, s := range a.Sentences {
			q.Progress.Verified(s, []citation.Citation{a.Citations[s.Citations[0]-1]})
		}
	}
	return a, nil
}

// everything returns the text of every call the bot made to the fake.
func (f *fakeSlack) everything() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, c := range f.calls {
		fmt.Fprintf(&b, "%s %v %s\n", c.Method, c.Form, c.JSON)
	}
	for _, r := range f.responses {
		raw, _ := json.Marshal(r)
		b.Write(raw)
	}
	// JSON inside the calls escapes <, > and & as \u003c, \u003e, \u0026.
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(b.String())
}

// TestAttackStreamedMentions: a model sentence carrying a broadcast
// mention, a link or a user mention reaches no Slack call live, streamed
// or posted (streaming on, and refused).
func TestAttackStreamedMentions(t *testing.T) {
	for _, refuse := range []bool{false, true} {
		t.Run(fmt.Sprint("refused=", refuse), func(t *testing.T) {
			h, send := modes()[0].start(t, hostileModel{newModelService()}, nil)
			if refuse {
				h.fake.Fail("chat.startStream", "not_allowed")
			}
			send("EvH1", mentionEvent("C1", "U1", mentionTS, "", "<@UBOT> What did the council approve?"))
			if refuse {
				h.fake.WaitCalls(t, "chat.postMessage", 1)
			} else {
				h.fake.WaitCalls(t, "chat.stopStream", 1)
			}
			h.settle(t)
			all := h.fake.everything()
			for _, bad := range []string{"<!channel>", "<https://evil", "<@U999>"} {
				if strings.Contains(all, bad) {
					t.Errorf("a Slack call carries %q live:\n%s", bad, all)
				}
			}
			if !strings.Contains(all, "approved") {
				t.Errorf("the answer was not delivered:\n%s", all)
			}
		})
	}
}

// TestAttackShortcutMessages: the "Find the source" shortcut on hostile
// or empty messages: a 1 MB message looks up a bounded quote and replies
// in bounded size; a message of emoji or mentions only, or blocks without
// text, gets a clear private reply; a mention or broadcast in the looked-up
// text is never live in the reply.
func TestAttackShortcutMessages(t *testing.T) {
	tests := []struct {
		name, text string
		lookup     bool   // a lookup is run
		want       string // in the reply
	}{
		{"1 MB", strings.Repeat("approved a £4.2m budget ", 45_000), true, "You looked up: approved a £4.2m budget"},
		{"1 MB of open quotes", strings.Repeat("“", 350_000), false, "no text I can look up"},
		{"blocks, no text", "", false, "no text I can look up"},
		{"broadcast", `<!here> <@U999> "approved a £4.2m budget <!channel>"`, true, "approved a £4.2m budget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, c := startMode(t, "socket", nil, nil)
			c.Interaction(messageActionPayload("U1", "C1", "1700000000.000300", "", tt.text, h.fake.ResponseURL("sc")))
			reply := h.fake.WaitResponses(t, 1)[0]
			h.settle(t)
			raw, _ := json.Marshal(reply)
			shown := screen(reply.Blocks) + reply.Text
			if !strings.Contains(shown, tt.want) || len(raw) > 40_000 {
				t.Errorf("got a reply of %d bytes:\n%.2000s\nwant at most 40 KB with %q", len(raw), shown, tt.want)
			}
			if reply.ResponseType != "ephemeral" {
				t.Errorf("got a %q reply, want ephemeral", reply.ResponseType)
			}
			s := strings.NewReplacer(`\u003c`, "<").Replace(string(raw))
			for _, bad := range []string{"<!here>", "<!channel>", "<@U999>"} {
				if strings.Contains(s, bad) {
					t.Errorf("the reply carries %q live: %s", bad, s)
				}
			}
			got := h.svc.Sources()
			if tt.lookup != (len(got) == 1) {
				t.Errorf("got lookups %q, want a lookup %v", got, tt.lookup)
			}
			for _, q := range got {
				if n := utf8.RuneCountInString(q); n > maxLookupRunes {
					t.Errorf("looked up %d runes, want at most %d", n, maxLookupRunes)
				}
			}
		})
	}
}

// TestAttackShareReplayed: a Share click delivered twice shares once, and
// a Share with a garbled or unknown value shares nothing and says so
// privately.
func TestAttackShareReplayed(t *testing.T) {
	h, c := startMode(t, "socket", nil, nil)
	c.Interaction(messageActionPayload("U1", "C1", "1700000000.000300", "", "“approved a £4.2m budget”", h.fake.ResponseURL("sc")))
	reply := h.fake.WaitResponses(t, 1)[0]
	h.settle(t)
	ref := buttonValue(t, reply.Blocks, actionShare)
	rh := &runHarness{harness: h}
	for i, value := range []string{"", "{garbled", strings.Repeat("f", 5000), "0123456789abcdef01"} {
		click := blockActionPayload("U1", "C1", "1800000000.000009", actionShare, value, h.fake.ResponseURL(fmt.Sprint("bad", i)))
		click["trigger_id"] = fmt.Sprint("7.7.", i)
		c.Interaction(click)
		r := rh.responseAt(t, fmt.Sprint("bad", i))
		if r.ResponseType == "in_channel" || !strings.Contains(r.Text, "expired") {
			t.Errorf("share with value %.20q: got %s %q, want a private “expired”", value, r.ResponseType, r.Text)
		}
	}
	click := blockActionPayload("U1", "C1", "1800000000.000009", actionShare, ref, h.fake.ResponseURL("share"))
	click["container"] = map[string]any{"type": "message", "message_ts": "1800000000.000009", "channel_id": "C1", "is_ephemeral": true}
	c.Interaction(click)
	c.Interaction(click) // Slack's retry of the same click
	rh.responseAt(t, "share")
	h.settle(t)
	shared := 0
	for _, r := range h.fake.Responses() {
		if r.ResponseType == "in_channel" {
			shared++
		}
	}
	if shared != 1 {
		t.Errorf("got %d in_channel shares, want 1", shared)
	}
}

// TestAttackDamagedState: damaged entries in every bucket of state.db
// (garbage, too short to carry an expiry, truncated JSON) do not keep the
// bot from starting; it skips them, answers, and keeps the good channel
// settings.
func TestAttackDamagedState(t *testing.T) {
	dir := t.TempDir()
	st := openTestStore(t, dir)
	for _, b := range []string{threadsBucket, answersBucket, assistantBucket, seenBucket, feedbackBucket, channelsBucket} {
		for k, v := range map[string][]byte{"short": {1, 2}, "garbage": append(make([]byte, 8), 0xff, 0xfe, '{'),
			"truncated": append([]byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, `{"question":"x`...)} {
			if err := st.Put(b, k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := st.PutJSON(channelsBucket, "C2", channelSettings{Follow: &Scope{Topic: "budget"}}); err != nil {
		t.Fatal(err)
	}
	h, c := startMode(t, "socket", nil, func(cfg *Config) { cfg.DataDir, cfg.State = dir, st })
	c.Event("EvD1", mentionEvent("C1", "U1", mentionTS, "", "<@UBOT> What did the council approve?"))
	post := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
	h.settle(t)
	if !strings.Contains(screen(post.Blocks), "The council approved") {
		t.Errorf("got %s, want the answer", screen(post.Blocks))
	}
	if f := h.bot.channels.get("C2").Follow; f == nil || f.Topic != "budget" {
		t.Errorf("got C2 follow %+v, want the saved topic budget", f)
	}
	if _, err := h.bot.feedback.List(); err != nil {
		t.Errorf("feedback list: %v", err)
	}
}

// TestAttackStreamBroken: when Slack refuses chat.appendStream in the
// middle or chat.stopStream at the end, the whole answer is still posted
// once in the thread, with its sources and buttons.
func TestAttackStreamBroken(t *testing.T) {
	for _, method := range []string{"chat.appendStream", "chat.stopStream"} {
		t.Run(method, func(t *testing.T) {
			h, send := modes()[0].start(t, newModelService(), nil)
			h.fake.Fail(method, "internal_error")
			send("EvB1", mentionEvent("C1", "U1", mentionTS, "", "<@UBOT> What did the council approve?"))
			post := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			h.settle(t)
			wantWholeAnswerPosted(t, h, post)
			if n := len(h.fake.Attempts("chat.appendStream")); method == "chat.appendStream" && n != 1 {
				t.Errorf("got %d appends, want the refused one alone", n)
			}
		})
	}
}

// TestAttackHomeTab: opening the Messages tab publishes nothing; the Home
// tab stays within Block Kit's limits and pings no one when topics,
// outlets and titles are made of characters that grow when escaped (&)
// or carry broadcasts.
func TestAttackHomeTab(t *testing.T) {
	amp := strings.Repeat("&", maxTopicRunes)
	hostile := "<!channel> <@U999> " + strings.Repeat("&<>", 60)
	lib := Library{Articles: 3}
	for i := range 50 {
		lib.Outlets = append(lib.Outlets, OutletCount{Name: fmt.Sprint(i, hostile), Articles: 1})
		lib.Newest = append(lib.Newest, LibraryArticle{Title: hostile, Outlet: amp, Date: hostile, URL: "https://x.example/<!channel>"})
	}
	svc := &libraryService{scopedService: &scopedService{fakeService: &fakeService{}}, lib: lib}
	h := startRun(t, "socket", svc, nil)
	for i := range 40 {
		ch := fmt.Sprintf("C%04d", i)
		if _, err := h.bot.channels.update(ch, func(cs *channelSettings) {
			cs.Subscription = &Subscription{Channel: ch, Time: "08:00 UTC", Topic: amp, At: time.Now()}
			cs.Follow = &Scope{Outlets: []string{hostile, amp}, Topic: hostile}
		}); err != nil {
			t.Fatal(err)
		}
	}
	messages := homeOpened("U1")
	messages["tab"] = "messages"
	h.event(t, "msgs", messages)
	h.event(t, "home", homeOpened("U1"))
	c := h.fake.WaitCalls(t, "views.publish", 1)[0]
	h.settle(t)
	if n := len(h.fake.Calls("views.publish")); n != 1 {
		t.Errorf("got %d views.publish, want 1 (none for the Messages tab)", n)
	}
	_, _, blocks := publishedView(t, c)
	if p := blockKitProblem(blocks); p != "" {
		t.Errorf("the view breaks Block Kit's limits: %s", p)
	}
	s := strings.NewReplacer(`\u003c`, "<").Replace(string(c.JSON))
	for _, bad := range []string{"<!channel>", "<@U999>"} {
		if strings.Contains(s, bad) {
			t.Errorf("the Home tab carries %q live", bad)
		}
	}
}

// hangingModel starts writing, then never finishes: the model timed out
// mid-stream.
type hangingModel struct{ *modelService }

func (m hangingModel) Ask(ctx context.Context, q Question) (answer.Answer, error) {
	q.Progress.Writing(8)
	<-ctx.Done()
	return answer.Answer{}, ctx.Err()
}

// TestAttackStreamTimeout: when the model's time runs out after the stream
// started, the stream is closed with the step marked failed and the
// apology is posted, though the answer's time is spent; no answer text is
// streamed.
func TestAttackStreamTimeout(t *testing.T) {
	h, send := modes()[0].start(t, hangingModel{newModelService()}, func(c *Config) { c.AnswerTimeout = 300 * time.Millisecond })
	send("EvT1", mentionEvent("C1", "U1", mentionTS, "", "<@UBOT> What did the council approve?"))
	stop := h.fake.WaitCalls(t, "chat.stopStream", 1)[0]
	post := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
	h.settle(t)
	if got := stop.Form.Get("chunks"); !strings.Contains(got, `"status":"error"`) {
		t.Errorf("got stop chunks %s, want the step marked failed", got)
	}
	if post.Form.Get("text") == "" || post.Form.Get("thread_ts") != mentionTS {
		t.Errorf("got post %q in thread %q, want an apology in the thread", post.Form.Get("text"), post.Form.Get("thread_ts"))
	}
	if all := h.fake.everything(); strings.Contains(all, "markdown_text") {
		t.Errorf("answer text was streamed before the time ran out:\n%s", all)
	}
}

// TestAttackAssistantEmpty: an assistant thread started with no context
// channel while nothing is indexed gets prompts that say so (no briefing
// or disagreement prompt that cannot be answered); a context change for
// a thread the bot never saw calls nothing and breaks nothing; missing
// IDs are ignored.
func TestAttackAssistantEmpty(t *testing.T) {
	svc := newModelService()
	svc.articles, svc.headlines = 0, nil
	h, send := modes()[0].start(t, svc, nil)
	send("EvE0", assistantEvent("assistant_thread_context_changed", "D9", "1700000999.000100", "U1", "C1"))
	send("EvE1", assistantEvent("assistant_thread_started", "", "", "U1", ""))
	send("EvE2", assistantEvent("assistant_thread_started", assistantDM, assistantTS, "U1", ""))
	p := h.fake.WaitCalls(t, "assistant.threads.setSuggestedPrompts", 1)[0]
	h.settle(t)
	if n := len(h.fake.Calls("assistant.threads.setSuggestedPrompts")); n != 1 {
		t.Errorf("got %d setSuggestedPrompts, want 1 (for the one thread with IDs)", n)
	}
	got := fmt.Sprint(p.Form, string(p.JSON))
	if !strings.Contains(got, "No articles are indexed yet") || strings.Contains(got, "disagree") || strings.Contains(got, briefingPrompt) {
		t.Errorf("got prompts %s, want the empty index said and no prompt that cannot be answered", got)
	}
}
