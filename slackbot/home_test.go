package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// libraryService is a scopedService that describes its articles.
type libraryService struct {
	*scopedService
	lib Library
}

func (s *libraryService) Library(context.Context) (Library, error) { return s.lib, nil }

// publishedView decodes a views.publish call as Slack reads it.
func publishedView(t testing.TB, c apiCall) (user, viewType string, blocks slack.Blocks) {
	t.Helper()
	var req publishRequest
	if err := json.Unmarshal(c.JSON, &req); err != nil {
		t.Fatalf("views.publish body is not JSON: %v: %s", err, c.JSON)
	}
	return req.UserID, req.View.Type, req.View.Blocks
}

func homeOpened(user string) map[string]any {
	return map[string]any{"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home", "event_ts": "1800000000.1"}
}

// TestHomeTab: opening the Home tab publishes what is indexed (counts,
// outlets, newest articles, feeds and their last poll), the channels'
// briefings with their next times, the feedback totals and how to ask.
func TestHomeTab(t *testing.T) {
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			svc := &libraryService{scopedService: &scopedService{fakeService: &fakeService{}}, lib: Library{
				Articles: 609,
				Outlets:  []OutletCount{{"Reuters", 240}, {"BBC", 200}, {"The Guardian", 169}},
				Newest: []LibraryArticle{
					{Title: "Council approves £4.2m budget", Outlet: "Daily Ledger", Date: "2025-03-04", URL: "https://ledger.example/budget?id=1&src=feed"},
					{Title: "Budget: what changes for *residents*", Outlet: "Evening Courier", Date: "2025-03-03"},
				},
				Feeds: []FeedInfo{{URL: "https://feeds.example/world.xml", Title: "World", LastPoll: time.Date(2026, 3, 28, 6, 45, 0, 0, time.UTC), LastResult: "ok: 2 added, 5 unchanged"}},
			}}
			clock := newFakeClock(time.Date(2026, 3, 28, 7, 30, 0, 0, time.UTC))
			h := startRun(t, mode, svc, func(c *Config) {
				c.Clock = clock
				c.DefaultBriefing = &Subscription{Channel: "C0NEWS", Time: "06:00 UTC"}
			})
			h.command(t, "sub", "/briefing", "subscribe 08:00 Europe/London ukraine", "U1", "C1")
			h.responseAt(t, "sub")
			h.command(t, "fol", "/briefing", "follow outlet:Reuters", "U1", "C1")
			h.responseAt(t, "fol")
			for i, helpful := range []bool{true, true, false} {
				if err := h.bot.feedback.Add(context.Background(), FeedbackRecord{Time: time.Now().Add(time.Duration(i) * time.Second), User: "U1", Helpful: helpful}); err != nil {
					t.Fatal(err)
				}
			}
			h.event(t, "home1", homeOpened("U1"))
			c := h.fake.WaitCalls(t, "views.publish", 1)[0]
			user, typ, blocks := publishedView(t, c)
			shown := screen(blocks)
			if user != "U1" || typ != "home" {
				t.Errorf("published a %q view for %q, want the home tab of U1", typ, user)
			}
			for _, want := range []string{
				"609 articles from 3 outlets", "Reuters 240 · BBC 200 · The Guardian 169",
				"<https://ledger.example/budget?id=1&src=feed|Council approves £4.2m budget> · Daily Ledger · 2025-03-04",
				"Budget: what changes for \u200d*\u200dresidents\u200d*\u200d* · Evening Courier",
				"<https://feeds.example/world.xml|World>: last poll 28 Mar 06:45 UTC, ok: 2 added, 5 unchanged",
				"<#C0NEWS>: 06:00 UTC, next Sun 29 Mar 06:00 UTC",
				"<#C1>: 08:00 Europe/London on “ukraine”, next Sat 28 Mar 08:00 GMT",
				"<#C1> follows Reuters articles",
				"2 helpful · 1 not helpful (66% helpful, from 3 clicks)",
				"*How to ask*", "`/ask Where do the outlets disagree?`",
			} {
				if !strings.Contains(shown, want) {
					t.Errorf("the home tab does not show %q; it shows:\n%s", want, shown)
				}
			}
			// Another tab (messages) publishes nothing.
			h.event(t, "home2", map[string]any{"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "messages", "event_ts": "1800000000.2"})
			h.settle(t)
			if n := len(h.fake.Calls("views.publish")); n != 1 {
				t.Errorf("got %d views.publish calls, want 1 (the messages tab publishes nothing)", n)
			}
			transcript(t, "Home tab ("+mode+")", "ana opens briefbot's Home tab → views.publish user_id="+user+" view.type="+typ+":", indent(shown))
		})
	}
}

// TestHomeTabWithinLimits: a large library, many subscriptions and long
// titles still make a view Slack accepts (the fake refuses what Slack
// refuses: over 100 blocks, over 3,000 characters in a section).
func TestHomeTabWithinLimits(t *testing.T) {
	long := strings.Repeat("Very long headline about the budget ", 200)
	lib := Library{Articles: 1_000_000}
	for i := range 500 {
		lib.Outlets = append(lib.Outlets, OutletCount{Name: fmt.Sprintf("Outlet %d %s", i, long), Articles: 2000 - i})
		lib.Newest = append(lib.Newest, LibraryArticle{Title: long, Outlet: long, Date: "2025-03-04", URL: "https://x.example/" + fmt.Sprint(i)})
		lib.Feeds = append(lib.Feeds, FeedInfo{URL: fmt.Sprintf("https://feeds.example/%d.xml", i), Title: long, LastResult: "error: " + long, LastPoll: time.Now()})
	}
	svc := &libraryService{scopedService: &scopedService{fakeService: &fakeService{}}, lib: lib}
	h := startRun(t, "socket", svc, nil)
	for i := range 40 {
		ch := fmt.Sprintf("C%04d", i)
		if _, err := h.bot.channels.update(ch, func(cs *channelSettings) {
			cs.Subscription = &Subscription{Channel: ch, Time: "08:00 Europe/London", Topic: long, At: time.Now()}
			cs.Follow = &Scope{Outlets: []string{long}, Topic: long}
		}); err != nil {
			t.Fatal(err)
		}
	}
	h.event(t, "big", homeOpened("U1"))
	c := h.fake.WaitCalls(t, "views.publish", 1)[0]
	_, _, blocks := publishedView(t, c)
	if n := len(blocks.BlockSet); n > 100 {
		t.Errorf("got %d blocks, want at most 100", n)
	}
	if p := blockKitProblem(blocks); p != "" {
		t.Errorf("the view breaks Block Kit's limits: %s", p)
	}
	shown := screen(blocks)
	for _, want := range []string{"1000000 articles from 500 outlets", "and 488 more", "…and 25 more"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the home tab does not show %q", want)
		}
	}
	// The feeds' long lines fill their section before ten are shown; the
	// rest are counted.
	shownFeeds := strings.Count(shown, "](https://feeds.example/") + strings.Count(shown, "<https://feeds.example/")
	if want := fmt.Sprintf("…and %d more", 500-shownFeeds); shownFeeds == 0 || !strings.Contains(shown, want) {
		t.Errorf("%d feeds shown, and the tab does not say %q", shownFeeds, want)
	}
}
