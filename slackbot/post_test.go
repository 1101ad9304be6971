package slackbot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/briefing"
	"github.com/briefbot/briefbot/citation"
)

// dailyBriefing is a briefing as the scheduler builds it for a channel that
// had one yesterday: one new story and one updated story.
func dailyBriefing() briefing.Briefing {
	return briefing.Briefing{
		Date: "2025-03-05", Articles: 3, Mode: briefing.ModeExtractive, Since: "2025-03-04T08:00:00Z",
		Stories: []briefing.Story{
			{Key: "ledger-budget", Headline: "Council passes budget", New: true,
				Outlets: []string{"Daily Ledger", "Evening Courier"}, Articles: []string{"ledger-budget", "courier-budget"},
				Points: []answer.Sentence{{Text: "The council approved the budget after a long debate.", Citations: []int{1}}}},
			{Key: "courier-libraries", Headline: "Library hours extended", Updated: true, NewArticles: []string{"courier-budget"},
				Outlets: []string{"Evening Courier"}, Articles: []string{"courier-libraries", "courier-budget"},
				Points: []answer.Sentence{{Text: "Libraries get more money.", Citations: []int{2}}}},
		},
		Citations: []citation.Citation{citeBudget, citeSpending},
	}
}

// TestPostBriefing: the briefing is posted to the channel as a top-level
// message with Block Kit blocks, a text fallback and the NEW / UPDATED
// tags, whether or not Run is running.
func TestPostBriefing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		running bool
	}{
		{"Run not running", false},
		{"while Run serves Socket Mode", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h *harness
			if tc.running {
				h = startSocket(t, nil, nil)
			} else {
				h = newHarness(t, nil, nil)
			}
			if err := h.bot.PostBriefing(t.Context(), "C0NEWS", dailyBriefing()); err != nil {
				t.Fatalf("PostBriefing: %v", err)
			}
			posts := h.fake.Calls("chat.postMessage")
			if len(posts) != 1 {
				t.Fatalf("got %d chat.postMessage calls, want 1", len(posts))
			}
			p := posts[0]
			if got := p.Form.Get("channel"); got != "C0NEWS" {
				t.Errorf("got channel %q, want C0NEWS", got)
			}
			if got := p.Form.Get("thread_ts"); got != "" {
				t.Errorf("got thread_ts %q, want a top-level message", got)
			}
			if len(p.Blocks.BlockSet) == 0 {
				t.Fatal("got no blocks")
			}
			shown := screen(p.Blocks)
			for _, want := range []string{
				"## Briefing for 2025-03-05",
				"2 stories from 3 articles · 1 new, 1 updated since the last briefing",
				"`NEW` *Council passes budget*",
				"`UPDATED` *Library hours extended* _(+1 new article)_",
				"> " + citeBudget.Quote,
				"[:thumbsup: Helpful] [:thumbsdown: Not helpful]",
			} {
				if !strings.Contains(shown, want) {
					t.Errorf("the posted briefing does not show %q; it shows:\n%s", want, shown)
				}
			}
			text := p.Form.Get("text")
			for _, want := range []string{"Briefing for 2025-03-05", "NEW: Council passes budget", "UPDATED: Library hours extended (+1 new article)"} {
				if !strings.Contains(text, want) {
					t.Errorf("got text fallback %q, want it to contain %q", text, want)
				}
			}
			if got := testutil.ToFloat64(h.bot.metrics.briefingsPosted.WithLabelValues(resultOK)); got != 1 {
				t.Errorf("got briefings_posted_total{result=ok} %v, want 1", got)
			}
			transcript(t, "Daily briefing posted ("+tc.name+")",
				"(08:00, the scheduler calls PostBriefing for C0NEWS)",
				"#news  briefbot:", indent(shown),
				"  notification text: "+text)
		})
	}
}

// TestPostBriefingLong: a briefing too long for one message is split
// within Slack's limits; the first message is top-level, the others are in
// its thread.
func TestPostBriefingLong(t *testing.T) {
	h := newHarness(t, nil, nil)
	var br briefing.Briefing
	br.Date, br.Articles = "2025-03-05", 40
	for i := 1; i <= 20; i++ {
		c := citeBudget
		c.N, c.Quote = i, fmt.Sprintf("Quote %d from the council meeting.", i)
		br.Citations = append(br.Citations, c)
		br.Stories = append(br.Stories, briefing.Story{
			Headline: fmt.Sprintf("Story number %d", i), New: i%2 == 0, Outlets: []string{"Daily Ledger"},
			Points: []answer.Sentence{{Text: fmt.Sprintf("Point of story %d.", i), Citations: []int{i}}},
		})
	}
	if err := h.bot.PostBriefing(t.Context(), "C0NEWS", br); err != nil {
		t.Fatalf("PostBriefing: %v", err)
	}
	posts := h.fake.Calls("chat.postMessage")
	if len(posts) < 2 {
		t.Fatalf("got %d messages for 20 stories, want at least 2", len(posts))
	}
	h.fake.mu.Lock()
	rootTS := h.fake.messages["C0NEWS"][0].Timestamp // what Slack answered the first post with
	h.fake.mu.Unlock()
	var all []string
	for i, p := range posts {
		if p.Form.Get("channel") != "C0NEWS" {
			t.Errorf("message %d went to %q, want C0NEWS", i, p.Form.Get("channel"))
		}
		if n := len(p.Blocks.BlockSet); n > maxBlocks {
			t.Errorf("message %d has %d blocks, want at most %d", i, n, maxBlocks)
		}
		if strings.TrimSpace(p.Form.Get("text")) == "" {
			t.Errorf("message %d has no text fallback", i)
		}
		wantThread := ""
		if i > 0 {
			wantThread = rootTS
		}
		if got := p.Form.Get("thread_ts"); got != wantThread {
			t.Errorf("message %d: got thread_ts %q, want %q", i, got, wantThread)
		}
		all = append(all, screen(p.Blocks))
	}
	shown := strings.Join(all, "\n")
	for i := 1; i <= 20; i++ {
		head := fmt.Sprintf("*Story number %d*", i)
		if i%2 == 0 {
			head = "`NEW` " + head
		}
		if !strings.Contains(shown, head) {
			t.Errorf("story %d (%q) is not shown", i, head)
		}
	}
	transcript(t, "Long briefing", fmt.Sprintf("20 stories → %d messages: the first in #news, the rest in its thread", len(posts)))
}

// TestPostBriefingRefused: when Slack refuses the post, the error names the
// channel, says what to do and wraps Slack's error.
func TestPostBriefingRefused(t *testing.T) {
	for _, tc := range []struct {
		slackErr string
		want     string
	}{
		{"not_in_channel", "post briefing to C0NEWS: invite briefbot to C0NEWS first"},
		{"channel_not_found", "briefbot cannot see a channel C0NEWS"},
		{"is_archived", "C0NEWS is archived"},
		{"missing_scope", "lacks the chat:write scope"},
		{"msg_too_long", "post briefing to C0NEWS: msg_too_long"},
	} {
		t.Run(tc.slackErr, func(t *testing.T) {
			h := newHarness(t, nil, nil)
			h.fake.Fail("chat.postMessage", tc.slackErr)
			err := h.bot.PostBriefing(t.Context(), "C0NEWS", dailyBriefing())
			if err == nil {
				t.Fatal("got no error, want one")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want it to contain %q", err, tc.want)
			}
			var se slack.SlackErrorResponse
			if !errors.As(err, &se) || se.Err != tc.slackErr {
				t.Errorf("got %v, want it to wrap Slack's %s", err, tc.slackErr)
			}
			if got := len(h.fake.Attempts("chat.postMessage")); got != 1 {
				t.Errorf("got %d attempts, want 1", got)
			}
			if got := testutil.ToFloat64(h.bot.metrics.briefingsPosted.WithLabelValues(resultError)); got != 1 {
				t.Errorf("got briefings_posted_total{result=error} %v, want 1", got)
			}
			transcript(t, "Briefing refused: "+tc.slackErr, "PostBriefing(C0NEWS) → "+err.Error())
		})
	}
	t.Run("no channel", func(t *testing.T) {
		h := newHarness(t, nil, nil)
		if err := h.bot.PostBriefing(context.Background(), " ", dailyBriefing()); err == nil {
			t.Error("got no error for an empty channel")
		}
		if got := len(h.fake.Attempts("chat.postMessage")); got != 0 {
			t.Errorf("got %d chat.postMessage calls, want 0", got)
		}
	})
}
