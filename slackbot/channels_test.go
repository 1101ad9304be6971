package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/briefing"
	"github.com/briefbot/briefbot/store"
)

// fakeClock is the scheduler's clock in tests: time moves only when the
// test advances it, and the test can wait for the scheduler to sleep.
type fakeClock struct {
	mu       sync.Mutex
	now      time.Time
	sleepers map[chan struct{}]time.Time // wake-up channel -> until
	changed  chan struct{}
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, sleepers: map[chan struct{}]time.Time{}, changed: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	ch := make(chan struct{})
	c.sleepers[ch] = c.now.Add(d)
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.sleepers, ch)
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Set moves the clock to t and wakes the sleepers whose time has come.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	for ch, until := range c.sleepers {
		if !until.After(t) {
			close(ch)
			delete(c.sleepers, ch)
		}
	}
}

// WaitSleeping waits until someone sleeps until exactly until: the
// scheduler has worked out that its next run is then.
func (c *fakeClock) WaitSleeping(t testing.TB, until time.Time) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		var got []time.Time
		for _, u := range c.sleepers {
			got = append(got, u)
		}
		ch := c.changed
		c.mu.Unlock()
		if slices.ContainsFunc(got, until.Equal) {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("the scheduler never slept until %v; sleepers until %v", until, got)
		}
	}
}

// eventually polls cond until it holds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// scopedService is a fakeService that can also answer from a scope.
type scopedService struct {
	*fakeService
	mu     sync.Mutex
	scopes []Scope
}

func (s *scopedService) AnswerScoped(ctx context.Context, q string, history []answer.Turn, scope Scope) (answer.Answer, error) {
	s.mu.Lock()
	s.scopes = append(s.scopes, scope)
	s.mu.Unlock()
	return s.Answer(ctx, q, history)
}

func (s *scopedService) Scopes() []Scope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.scopes)
}

// runHarness is a bot started with Run in either mode, with a way to send
// it slash commands and events as Slack does in that mode.
type runHarness struct {
	*harness
	mode string
	base string // HTTP mode: the bot's URL
}

// startRun starts a bot with Run in mode ("socket" or "http").
func startRun(t testing.TB, mode string, svc fakeBased, edit func(*Config)) *runHarness {
	t.Helper()
	if mode == "socket" {
		return &runHarness{harness: startSocket(t, svc, edit), mode: mode}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h := newHarness(t, svc, func(c *Config) {
		c.AppToken, c.SigningSecret, c.Addr = "", testSecret, addr
		if edit != nil {
			edit(c)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan error, 1)
	go func() { h.done <- h.bot.Run(ctx) }()
	t.Cleanup(func() { h.stop(t) })
	base := "http://" + addr
	deadline := time.Now().Add(waitLimit)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("HTTP mode never came up: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return &runHarness{harness: h, mode: mode, base: base}
}

// post sends a signed request to the bot in HTTP mode and returns the
// response body.
func (r *runHarness) post(t testing.TB, path, contentType string, body []byte) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	sign(req, body, testSecret, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	text := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: status %d: %s", path, resp.StatusCode, text)
	}
	return text
}

// command sends a slash command from user in channel and returns the text
// of its ack.
func (r *runHarness) command(t testing.TB, id, command, text, user, channel string) string {
	t.Helper()
	p := commandPayload(command, text, r.fake.ResponseURL(id))
	p["user_id"], p["channel_id"], p["trigger_id"] = user, channel, "trigger-"+id
	var raw []byte
	if r.mode == "socket" {
		r.sock.Send(commandEnvelope(id, p))
		raw = r.sock.WaitAck(t, id)
	} else {
		form := url.Values{}
		for k, v := range p {
			form.Set(k, v.(string))
		}
		raw = []byte(r.post(t, "/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode())))
	}
	var ack commandReply
	if err := json.Unmarshal(raw, &ack); err != nil {
		t.Fatalf("ack of %s %s is not a message: %s", command, text, raw)
	}
	return ack.Text
}

// event sends an Events API event.
func (r *runHarness) event(t testing.TB, id string, inner map[string]any) {
	t.Helper()
	if r.mode == "socket" {
		r.sock.Send(eventsEnvelope(id, "Ev"+id, 0, inner))
		r.sock.WaitAck(t, id)
		return
	}
	body, err := json.Marshal(eventCallback("Ev"+id, inner))
	if err != nil {
		t.Fatal(err)
	}
	r.post(t, "/slack/events", "application/json", body)
}

// responseAt waits for the post to the response_url named id.
func (r *runHarness) responseAt(t testing.TB, id string) responseCall {
	t.Helper()
	var got responseCall
	r.fake.waitFor(t, "a post to response_url /"+id, func() bool {
		for _, rc := range r.fake.responses {
			if rc.Path == "/"+id {
				got = rc
				return true
			}
		}
		return false
	})
	return got
}

// TestChannelSubscribeScheduledPost: `/briefing subscribe 08:00
// Europe/London` in a channel posts the briefing there at 08:00 London
// time by a fake clock, and again the next day after a restart on the
// same data directory, at 08:00 British Summer Time (07:00 UTC): the
// clocks went forward that night.
func TestChannelSubscribeScheduledPost(t *testing.T) {
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			st, err := store.Open(dir, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			clock := newFakeClock(time.Date(2026, 3, 28, 7, 30, 0, 0, time.UTC)) // 07:30 GMT
			onDisk := func(c *Config) { c.DataDir, c.State, c.Clock = dir, st, clock }
			h := startRun(t, mode, nil, onDisk)
			ack := h.command(t, "sub", "/briefing", "subscribe 08:00 Europe/London", "U1", "C1")
			r := h.responseAt(t, "sub")
			shown := screen(r.Blocks)
			if r.ResponseType != "in_channel" || !strings.Contains(shown, "<@U1> subscribed this channel to a daily briefing at 08:00 Europe/London") ||
				!strings.Contains(shown, "Sat 28 Mar 08:00 GMT") {
				t.Errorf("got %s confirmation:\n%s\nwant it in the channel with the time and the next run", r.ResponseType, shown)
			}
			if m := h.fake.Calls("conversations.members"); len(m) != 1 || m[0].Form.Get("channel") != "C1" {
				t.Errorf("got conversations.members calls %+v, want one for C1", m)
			}
			first := time.Date(2026, 3, 28, 8, 0, 0, 0, time.UTC)
			clock.WaitSleeping(t, first)
			if got := h.fake.Calls("chat.postMessage"); len(got) != 0 {
				t.Fatalf("got %d posts before 08:00, want none", len(got))
			}
			clock.Set(first)
			p := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			if p.Form.Get("channel") != "C1" || p.Form.Get("thread_ts") != "" || !strings.Contains(screen(p.Blocks), "Council passes budget") {
				t.Errorf("got post to %q (thread %q) showing:\n%s\nwant the briefing at the top of C1", p.Form.Get("channel"), p.Form.Get("thread_ts"), screen(p.Blocks))
			}
			if b := h.svc.Briefings(); len(b) != 1 || b[0].Since != nil || b[0].Topic != "" {
				t.Errorf("got briefing requests %+v, want one for all stories with nothing posted before", b)
			}
			transcript(t, "Subscribe ("+mode+"), then the scheduled briefing",
				"ana types in #news (C1): /briefing subscribe 08:00 Europe/London",
				"ack (only ana sees it): "+ack,
				"Slack was asked: conversations.members channel=C1",
				"then, on response_url ("+r.ResponseType+"):", indent(shown),
				"fake clock → 2026-03-28 08:00 GMT: chat.postMessage channel="+p.Form.Get("channel")+":", indent(screen(p.Blocks)))

			// Restart: a new bot on the same data directory, the next
			// morning, after the clocks went forward.
			eventually(t, "the run recorded", func() bool { return h.bot.channels.get("C1").LastRun.Equal(first) })
			h.stop(t)
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			st, err = store.Open(dir, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			clock.Set(time.Date(2026, 3, 29, 6, 30, 0, 0, time.UTC)) // 07:30 BST
			h2 := startRun(t, mode, nil, onDisk)
			second := time.Date(2026, 3, 29, 7, 0, 0, 0, time.UTC) // 08:00 BST
			clock.WaitSleeping(t, second)
			if got := h2.fake.Calls("chat.postMessage"); len(got) != 0 {
				t.Fatalf("got %d posts after the restart before 08:00 BST, want none (the first day's was posted)", len(got))
			}
			clock.Set(second)
			p2 := h2.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			if p2.Form.Get("channel") != "C1" {
				t.Errorf("after the restart the briefing went to %q, want C1", p2.Form.Get("channel"))
			}
			if b := h2.svc.Briefings(); len(b) != 1 || b[0].Since == nil || b[0].Since.Channel != "C1" || len(b[0].Since.Stories) != 1 {
				t.Errorf("got briefing requests %+v, want one marking changes since the briefing posted to C1", b)
			}
			ack2 := h2.command(t, "show", "/briefing", "settings", "U1", "C1")
			if !strings.Contains(ack2, "*Daily briefing:* 08:00 Europe/London; next Mon 30 Mar 08:00 BST") {
				t.Errorf("settings after the restart show:\n%s", ack2)
			}
			transcript(t, "After a restart ("+mode+")",
				"fake clock → 2026-03-29 08:00 BST (07:00 UTC): chat.postMessage channel="+p2.Form.Get("channel"),
				"ana types: /briefing settings", "ack (only ana sees it):", indent(ack2))
		})
	}
}

// TestChannelSettingsMembersOnly: only members of a channel change its
// settings; a non-member is refused and nothing is stored, and a channel
// the bot cannot see gets a hint.
func TestChannelSettingsMembersOnly(t *testing.T) {
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			svc := &scopedService{fakeService: &fakeService{}}
			h := startRun(t, mode, svc, nil)
			// 250 members: the check reads the pages until it finds one.
			var many []string
			for i := range 250 {
				many = append(many, fmt.Sprintf("U%03d", i+100))
			}
			h.fake.SetMembers("C2", many...)
			tests := []struct {
				id, user, channel, text string
				want                    string
				changed                 bool
			}{
				{"outsider", "U9", "C1", "follow outlet:Reuters", "Only members of this channel can change its settings", false},
				{"unseen", "U1", "C404", "subscribe 08:00 UTC", "invite me first", false},
				{"deep member", "U349", "C2", "follow topic:ukraine", "<@U349> set this channel to follow articles about “ukraine”", true},
			}
			for _, tc := range tests {
				h.command(t, tc.id, "/briefing", tc.text, tc.user, tc.channel)
				r := h.responseAt(t, tc.id)
				shown := screen(r.Blocks)
				if !strings.Contains(shown, tc.want) {
					t.Errorf("%s: got %s response:\n%s\nwant %q", tc.id, r.ResponseType, shown, tc.want)
				}
				wantType := "ephemeral"
				if tc.changed {
					wantType = "in_channel"
				}
				if r.ResponseType != wantType {
					t.Errorf("%s: got response type %s, want %s", tc.id, r.ResponseType, wantType)
				}
				if got := h.bot.channels.get(tc.channel); (got.Follow != nil || got.Subscription != nil) != tc.changed {
					t.Errorf("%s: stored settings %+v, want changed=%v", tc.id, got, tc.changed)
				}
				transcript(t, "Settings change by "+tc.user+" in "+tc.channel+" ("+mode+")",
					tc.user+" types: /briefing "+tc.text, "on response_url ("+r.ResponseType+"):", indent(shown))
			}
			if pages := len(h.fake.Calls("conversations.members")); pages != 1+1+1 {
				t.Errorf("got %d conversations.members calls, want 3 (one each; 1,000 members a page)", pages)
			}
		})
	}
}

// TestChannelFollowScopesAnswers: after `/briefing follow`, mentions and
// /ask in that channel are answered from its scope and say so; other
// channels are not; `/briefing unfollow` lifts it.
func TestChannelFollowScopesAnswers(t *testing.T) {
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			svc := &scopedService{fakeService: &fakeService{}}
			h := startRun(t, mode, svc, nil)
			h.command(t, "follow", "/briefing", "follow outlet:Reuters, Financial Times topic:ukraine", "U1", "C1")
			r := h.responseAt(t, "follow")
			if !strings.Contains(screen(r.Blocks), "follow Reuters or Financial Times articles about “ukraine”") {
				t.Errorf("got confirmation:\n%s", screen(r.Blocks))
			}
			h.event(t, "m1", mentionEvent("C1", "U1", "1800000100.000001", "", "<@UBOT> What did the council approve?"))
			p := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			shown := screen(p.Blocks)
			want := Scope{Outlets: []string{"Reuters", "Financial Times"}, Topic: "ukraine"}
			if got := svc.Scopes(); len(got) != 1 || !slices.Equal(got[0].Outlets, want.Outlets) || got[0].Topic != want.Topic {
				t.Errorf("got scopes %+v, want [%+v]", got, want)
			}
			if !strings.Contains(shown, "Answered only from Reuters or Financial Times articles about “ukraine”, as this channel follows") {
				t.Errorf("the scoped answer does not say so:\n%s", shown)
			}
			h.command(t, "ask", "/ask", "What did the council approve?", "U1", "C1")
			h.responseAt(t, "ask")
			h.event(t, "m2", mentionEvent("C2", "U1", "1800000100.000002", "", "<@UBOT> What did the council approve?"))
			h.fake.WaitCalls(t, "chat.postMessage", 2)
			h.settle(t)
			if got, asks := len(svc.Scopes()), len(svc.Asks()); got != 2 || asks != 3 {
				t.Errorf("got %d scoped answers of %d, want the 2 asked in C1 of 3", got, asks)
			}
			h.command(t, "unfollow", "/briefing", "unfollow", "U1", "C1")
			h.responseAt(t, "unfollow")
			h.event(t, "m3", mentionEvent("C1", "U1", "1800000100.000003", "", "<@UBOT> What did the council approve?"))
			p3 := h.fake.WaitCalls(t, "chat.postMessage", 3)[2]
			h.settle(t)
			if got := len(svc.Scopes()); got != 2 || strings.Contains(screen(p3.Blocks), "Answered only from") {
				t.Errorf("after unfollow: %d scoped answers (want 2), answer shows:\n%s", got, screen(p3.Blocks))
			}
			transcript(t, "Follow ("+mode+")",
				"ana types in #news: /briefing follow outlet:Reuters, Financial Times topic:ukraine",
				"on response_url ("+r.ResponseType+"):", indent(screen(r.Blocks)),
				"ana: @briefbot What did the council approve?", "  thread reply from briefbot:", indent(shown))
		})
	}
}

// TestChannelFollowNeedsScopedService: a service that cannot scope answers
// refuses follow rather than pretend.
func TestChannelFollowNeedsScopedService(t *testing.T) {
	h := startRun(t, "socket", nil, nil)
	ack := h.command(t, "f", "/briefing", "follow outlet:Reuters", "U1", "C1")
	if !strings.Contains(ack, "cannot restrict its answers") || len(h.fake.Calls("conversations.members")) != 0 {
		t.Errorf("got ack %q, want a refusal without a membership check", ack)
	}
}

func TestParseChannelCommand(t *testing.T) {
	tests := []struct {
		text    string
		ok      bool
		wantErr string
		want    string // verb, subscription time and topic, or scope
	}{
		{"subscribe 08:00 Europe/London", true, "", "subscribe 08:00 Europe/London "},
		{"subscribe 8:30 am America/New_York ukraine talks", true, "", "subscribe 08:30 America/New_York ukraine talks"},
		{"subscribe 07:15 ukraine", true, "", "subscribe 07:15 UTC ukraine"},
		{"Subscribe 6pm UTC", true, "", "subscribe 18:00 UTC "},
		{"subscribe", true, "say when", ""},
		{"subscribe teatime Europe/London", true, "cannot read", ""},
		{"subscribe 25:00 Europe/London", true, "cannot read", ""},
		{"subscribe 08:00 Mars/Olympus", true, "cannot read", ""},
		{"unsubscribe", true, "", "unsubscribe"},
		{"unsubscribe now", true, "takes nothing", ""},
		{"settings", true, "", "settings"},
		{"follow outlet:Reuters topic:ukraine", true, "", "follow [Reuters] ukraine"},
		{`follow outlets:"Financial Times", reuters, Reuters`, true, "", "follow [Financial Times reuters] "},
		{"follow topic:peace talks", true, "", "follow [] peace talks"},
		{"follow everything", true, "", "unfollow"},
		{"unfollow", true, "", "unfollow"},
		{"follow ukraine", true, "say what to follow", ""},
		{"follow outlet:", true, "needs a value", ""},
		{"follow topic:a topic:b", true, "one topic", ""},
		{"ukraine", false, "", ""},
		{"2025-03-04", false, "", ""},
		{"", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			cmd, ok, err := parseChannelCommand(tt.text)
			if ok != tt.ok {
				t.Fatalf("got ok %v, want %v", ok, tt.ok)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if !ok {
				return
			}
			got := cmd.verb
			switch cmd.verb {
			case verbSubscribe:
				got += " " + cmd.sub.Time + " " + cmd.sub.Topic
			case verbFollow:
				got += fmt.Sprintf(" %v %s", cmd.scope.Outlets, cmd.scope.Topic)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestNextRuns: when each subscription runs next, from its last run or
// from when it was made, catching a missed run up once.
func TestNextRuns(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, london) }
	sub := func(tm string, made time.Time) *Subscription {
		return &Subscription{Channel: "C1", Time: tm, At: made}
	}
	tests := []struct {
		name     string
		settings channelSettings
		def      *Subscription // the default subscription
		want     string        // "channel at", "" for none
	}{
		{"subscribed after today's time", channelSettings{Channel: "C1", Subscription: sub("08:00 Europe/London", at(28, 9))}, nil, "C1 2026-03-29T07:00:00Z"},
		{"subscribed before today's time", channelSettings{Channel: "C1", Subscription: sub("13:00 Europe/London", at(28, 9))}, nil, "C1 2026-03-28T13:00:00Z"},
		{"missed three days: due now, once", channelSettings{Channel: "C1", Subscription: sub("08:00 Europe/London", at(20, 9)), LastRun: at(25, 8)}, nil, "C1 2026-03-26T08:00:00Z"},
		{"a new time counts from when it was set", channelSettings{Channel: "C1", Subscription: sub("07:00 Europe/London", at(28, 11)), LastRun: at(27, 8)}, nil, "C1 2026-03-29T06:00:00Z"},
		{"default, never run: from start", channelSettings{}, &Subscription{Channel: "C0", Time: "06:00 UTC"}, "C0 2026-03-29T06:00:00Z"},
		{"default, last run of an older version", channelSettings{}, &Subscription{Channel: "C0", Time: "06:00 UTC", At: now.AddDate(0, 0, -3)}, "C0 2026-03-26T06:00:00Z"},
		{"default unsubscribed", channelSettings{Channel: "C0", Unsubscribed: true}, &Subscription{Channel: "C0", Time: "06:00 UTC"}, ""},
		{"default replaced by the channel's own", channelSettings{Channel: "C0", Subscription: &Subscription{Channel: "C0", Time: "09:00 UTC", At: at(28, 9)}}, &Subscription{Channel: "C0", Time: "06:00 UTC"}, "C0 2026-03-29T09:00:00Z"},
		{"follows only", channelSettings{Channel: "C1", Follow: &Scope{Topic: "x"}}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil, func(c *Config) { c.DefaultBriefing = tt.def })
			if tt.settings.Channel != "" {
				if _, err := h.bot.channels.update(tt.settings.Channel, func(cs *channelSettings) { *cs = tt.settings }); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for _, r := range h.bot.nextRuns(now) {
				got = append(got, r.sub.Channel+" "+r.at.UTC().Format(time.RFC3339))
			}
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// TestChannelUnsubscribe: after /briefing unsubscribe the scheduler has
// nothing to post (it sleeps its idle day), and the settings say so.
func TestChannelUnsubscribe(t *testing.T) {
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			start := time.Date(2026, 3, 28, 7, 30, 0, 0, time.UTC)
			clock := newFakeClock(start)
			h := startRun(t, mode, nil, func(c *Config) { c.Clock = clock })
			h.command(t, "sub", "/briefing", "subscribe 08:00 Europe/London", "U1", "C1")
			h.responseAt(t, "sub")
			clock.WaitSleeping(t, time.Date(2026, 3, 28, 8, 0, 0, 0, time.UTC))
			h.command(t, "unsub", "/briefing", "unsubscribe", "U1", "C1")
			r := h.responseAt(t, "unsub")
			if !strings.Contains(screen(r.Blocks), "<@U1> unsubscribed this channel from the daily briefing") {
				t.Errorf("got:\n%s", screen(r.Blocks))
			}
			clock.WaitSleeping(t, start.Add(idleCheck))
			clock.Set(time.Date(2026, 3, 28, 8, 0, 0, 0, time.UTC))
			h.settle(t)
			if n := len(h.fake.Calls("chat.postMessage")); n != 0 {
				t.Errorf("got %d posts after unsubscribing, want none", n)
			}
			if ack := h.command(t, "show", "/briefing", "settings", "U1", "C1"); !strings.Contains(ack, "*Daily briefing:* none") {
				t.Errorf("settings show:\n%s", ack)
			}
			transcript(t, "Unsubscribe ("+mode+")", "ana types: /briefing unsubscribe", "on response_url ("+r.ResponseType+"):", indent(screen(r.Blocks)))
		})
	}
}

// TestDefaultBriefingCatchUp: the default subscription (BOT_BRIEFING_*)
// whose last run, recorded by an older version, was days ago is posted
// once at start, marking what changed since that version's last briefing.
func TestDefaultBriefingCatchUp(t *testing.T) {
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			now := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
			legacy := &briefing.State{Channel: "C0NEWS", PostedAt: now.AddDate(0, 0, -3), Stories: []briefing.StoryState{{Key: "k", Articles: []string{"ledger-budget"}}}}
			h := startRun(t, mode, nil, func(c *Config) {
				c.Clock = newFakeClock(now)
				c.DefaultBriefing = &Subscription{Channel: "C0NEWS", Time: "06:00 UTC", At: now.AddDate(0, 0, -3)}
				c.DefaultBriefingState = legacy
			})
			p := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			eventually(t, "the run recorded", func() bool { return h.bot.channels.get("C0NEWS").LastRun.Equal(now) })
			if p.Form.Get("channel") != "C0NEWS" {
				t.Errorf("posted to %q, want C0NEWS", p.Form.Get("channel"))
			}
			if b := h.svc.Briefings(); len(b) != 1 || b[0].Since != legacy {
				t.Errorf("got briefing requests %+v, want one since the older version's last briefing", b)
			}
			if n := len(h.fake.Calls("chat.postMessage")); n != 1 {
				t.Errorf("got %d posts, want the missed run posted once", n)
			}
		})
	}
}

// TestChannelFollowUnknownOutlet: following an outlet none of the articles
// comes from is refused with the outlets there are, and changes nothing.
func TestChannelFollowUnknownOutlet(t *testing.T) {
	svc := &libraryService{scopedService: &scopedService{fakeService: &fakeService{}},
		lib: Library{Articles: 3, Outlets: []OutletCount{{"Reuters", 2}, {"BBC News", 1}}}}
	h := startRun(t, "socket", svc, nil)
	h.command(t, "f1", "/briefing", "follow outlet:Reutres", "U1", "C1")
	r := h.responseAt(t, "f1")
	if shown := screen(r.Blocks); r.ResponseType != "ephemeral" || !strings.Contains(shown, "None of the articles come from “Reutres”, so nothing was changed. The outlets I have include: Reuters, BBC News.") {
		t.Errorf("got %s:\n%s", r.ResponseType, shown)
	}
	if f := h.bot.channels.get("C1").Follow; f != nil {
		t.Errorf("stored follow %+v, want none", f)
	}
	h.command(t, "f2", "/briefing", "follow outlet:bbc", "U1", "C1")
	h.responseAt(t, "f2")
	if f := h.bot.channels.get("C1").Follow; f == nil || !slices.Equal(f.Outlets, []string{"bbc"}) {
		t.Errorf("stored follow %+v, want bbc (a part of BBC News)", f)
	}
}

// TestChannelSubscribeTopic: a subscription with a topic posts the
// briefing on that topic.
func TestChannelSubscribeTopic(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 7, 1, 11, 0, 0, 0, time.UTC)) // 07:00 in New York (EDT)
	h := startRun(t, "socket", nil, func(c *Config) { c.Clock = clock })
	h.command(t, "sub", "/briefing", "subscribe 7:30am America/New_York council budget", "U1", "C1")
	r := h.responseAt(t, "sub")
	if shown := screen(r.Blocks); !strings.Contains(shown, "daily briefing on “council budget” at 07:30 America/New_York; the next one is due Wed 1 Jul 07:30 EDT") {
		t.Errorf("got:\n%s", shown)
	}
	due := time.Date(2026, 7, 1, 11, 30, 0, 0, time.UTC)
	clock.WaitSleeping(t, due)
	clock.Set(due)
	p := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
	if b := h.svc.Briefings(); len(b) != 1 || b[0].Topic != "council budget" || p.Form.Get("channel") != "C1" {
		t.Errorf("got briefing requests %+v posted to %q, want one on “council budget” in C1", b, p.Form.Get("channel"))
	}
}
