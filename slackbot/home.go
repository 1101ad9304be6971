package slackbot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Library is what the Home tab shows of the articles the bot answers from.
type Library struct {
	Articles int
	// Outlets are the outlets with their article counts, most first.
	Outlets []OutletCount
	// Newest are the most recent articles, newest first.
	Newest []LibraryArticle
	// Feeds are the configured feeds and their last poll.
	Feeds []FeedInfo
}

// OutletCount is an outlet and how many of the articles it published.
type OutletCount struct {
	Name     string
	Articles int
}

// LibraryArticle is one article as the Home tab lists it.
type LibraryArticle struct {
	Title, Outlet, Date, URL string
}

// FeedInfo is a feed and how its last poll went.
type FeedInfo struct {
	URL, Title string
	LastPoll   time.Time
	LastResult string
}

// Librarian is a Service that can describe its articles; the Home tab
// shows what it says.
type Librarian interface {
	Library(ctx context.Context) (Library, error)
}

// Bounds of the Home tab, well inside Block Kit's (100 blocks, 3,000
// characters of section text).
const (
	homeOutlets       = 12
	homeNewest        = 5
	homeFeeds         = 10
	homeSubscriptions = 15
	homeTitleRunes    = 200
	homeSectionRunes  = 2900
)

// planHome publishes the Home tab of the user who opened it.
func (b *Bot) planHome(e *slackevents.AppHomeOpenedEvent) task {
	if e.Tab != "home" || e.User == "" {
		return task{}
	}
	return task{run: func(ctx context.Context) { b.publishHome(ctx, e.User) }}
}

// publishHome builds the Home tab and publishes it with views.publish.
func (b *Bot) publishHome(ctx context.Context, user string) {
	blocks := b.homeBlocks(ctx)
	_, err := b.api.PublishViewContext(ctx, slack.PublishViewContextRequest{
		UserID: user,
		View:   slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}},
	})
	if err != nil {
		b.slackError("views.publish", err)
		return
	}
	b.log.Info("home tab published", "user", user, "blocks", len(blocks))
}

// homeBlocks is the Home tab: what is indexed, the channels' daily
// briefings and scopes, the feedback so far, and how to ask.
func (b *Bot) homeBlocks(ctx context.Context) []slack.Block {
	blocks := []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "briefbot", false, false))}
	blocks = append(blocks, b.libraryBlocks(ctx)...)
	for _, md := range []string{b.scheduleText(), b.feedbackText(), homeHowTo} {
		blocks = append(blocks, slack.NewDividerBlock(), mdSection(md))
	}
	return blocks
}

// libraryBlocks describes the articles, when the service can.
func (b *Bot) libraryBlocks(ctx context.Context) []slack.Block {
	lib, ok := b.svc.(Librarian)
	if !ok {
		return nil
	}
	l, err := lib.Library(ctx)
	if err != nil {
		b.log.Error("home tab: describe the articles", "err", err)
		return []slack.Block{mdSection("*What I have read:* not available right now.")}
	}
	var out []slack.Block
	var md strings.Builder
	fmt.Fprintf(&md, "*What I have read:* %s from %s.", plural(l.Articles, "article", "articles"), plural(len(l.Outlets), "outlet", "outlets"))
	if len(l.Outlets) > 0 {
		var parts []string
		for _, o := range l.Outlets[:min(len(l.Outlets), homeOutlets)] {
			parts = append(parts, fmt.Sprintf("%s %d", escapeText(oneLine(o.Name, 80)), o.Articles))
		}
		md.WriteString("\n" + strings.Join(parts, " · "))
		if n := len(l.Outlets) - homeOutlets; n > 0 {
			fmt.Fprintf(&md, " · and %d more", n)
		}
	}
	out = append(out, mdSection(md.String()))
	if len(l.Newest) > 0 {
		md.Reset()
		md.WriteString("*Newest articles*")
		if l.Newest[0].Date == "" {
			md.WriteString(" (their publication dates are unknown)")
		}
		var lines []string
		for _, a := range l.Newest[:min(len(l.Newest), homeNewest)] {
			lines = append(lines, "• "+articleLine(a))
		}
		writeList(&md, lines, homeNewest, len(lines))
		out = append(out, mdSection(md.String()))
	}
	if len(l.Feeds) > 0 {
		md.Reset()
		md.WriteString("*Feeds*")
		var lines []string
		for _, f := range l.Feeds[:min(len(l.Feeds), homeFeeds)] {
			name := f.Title
			if name == "" {
				name = f.URL
			}
			line := "• " + link(f.URL, oneLine(name, 100))
			if f.LastPoll.IsZero() {
				line += ": not polled yet"
			} else {
				line += ": last poll " + f.LastPoll.UTC().Format("2 Jan 15:04 UTC") + ", " + escapeText(oneLine(f.LastResult, 120))
			}
			lines = append(lines, line)
		}
		writeList(&md, lines, homeFeeds, len(l.Feeds))
		out = append(out, mdSection(md.String()))
	}
	return out
}

func mdSection(md string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, truncateRunes(md, homeSectionRunes), false, false), nil, nil)
}

// articleLine is "*Title* · Outlet · date", the title linked when the
// article has a URL.
func articleLine(a LibraryArticle) string {
	title := oneLine(a.Title, homeTitleRunes)
	if title == "" {
		title = "(untitled)"
	}
	s := "*" + escapeText(title) + "*"
	if a.URL != "" {
		s = link(a.URL, title)
	}
	for _, p := range []string{a.Outlet, a.Date} {
		if p = oneLine(p, 80); p != "" {
			s += " · " + escapeText(p)
		}
	}
	return s
}

// link is a Slack link to an http(s) URL, or the text alone.
func link(u, text string) string {
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") || strings.ContainsAny(u, "<>| ") {
		return escapeText(text)
	}
	return "<" + u + "|" + strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", "¦").Replace(text) + ">"
}

// scheduleText lists the channels' daily briefings with their next time,
// and the channels that follow part of the articles.
func (b *Bot) scheduleText() string {
	now := b.clock().Now()
	var subs, follows []string
	runs := b.nextRuns(now)
	slices.SortStableFunc(runs, func(x, y dueRun) int { return x.at.Compare(y.at) })
	for _, r := range runs {
		next := r.at
		if !next.After(now) {
			next = now // due now
		}
		subs = append(subs, fmt.Sprintf("• <#%s>: %s%s, next %s", r.sub.Channel, r.sub.Time, escapeText(topicPart(oneLine(r.sub.Topic, 100))), formatWhen(next, r.sched.Location)))
	}
	for _, cs := range b.channels.all() {
		if cs.Follow != nil {
			follows = append(follows, fmt.Sprintf("• <#%s> follows %s", cs.Channel, escapeText(oneLine(cs.Follow.String(), 200))))
		}
	}
	var md strings.Builder
	md.WriteString("*Daily briefings*")
	if len(subs) == 0 {
		md.WriteString("\nNone yet: type `/briefing subscribe 08:00 Europe/London` in a channel to get one there.")
	}
	writeList(&md, subs, homeSubscriptions, len(subs))
	if len(follows) > 0 {
		md.WriteString("\n*Channels that follow part of the articles*")
		writeList(&md, follows, homeSubscriptions, len(follows))
	}
	return md.String()
}

// writeList adds up to max lines to md, and says how many more of total
// there are; it stops early rather than let the section outgrow Block
// Kit's limit.
func writeList(md *strings.Builder, lines []string, max, total int) {
	shown := 0
	for _, l := range lines[:min(len(lines), max)] {
		if utf8.RuneCountInString(md.String())+utf8.RuneCountInString(l) > homeSectionRunes-100 {
			break
		}
		md.WriteString("\n" + l)
		shown++
	}
	if n := total - shown; n > 0 {
		fmt.Fprintf(md, "\n…and %d more", n)
	}
}

// feedbackText totals the Helpful / Not helpful clicks.
func (b *Bot) feedbackText() string {
	recs, err := b.feedback.List()
	if err != nil {
		b.log.Error("home tab: read feedback", "err", err)
		return "*Feedback:* not available right now."
	}
	helpful := 0
	for _, r := range recs {
		if r.Helpful {
			helpful++
		}
	}
	if len(recs) == 0 {
		return "*Feedback:* none yet. Use the :thumbsup: / :thumbsdown: buttons under an answer."
	}
	return fmt.Sprintf("*Feedback:* %d helpful · %d not helpful (%d%% helpful, from %s)",
		helpful, len(recs)-helpful, 100*helpful/len(recs), plural(len(recs), "click", "clicks"))
}

const homeHowTo = "*How to ask*\n" +
	"• Mention me in a channel: `@briefbot What did the central bank decide?` — I answer in the thread, quoting the articles word for word; reply there to follow up.\n" +
	"• `/ask Where do the outlets disagree?` answers privately, with a button to share.\n" +
	"• `/source \"exact words\"` finds the articles a quote comes from.\n" +
	"• `/briefing` gives the latest briefing; `/briefing today`, `/briefing ukraine` for a day or a topic.\n" +
	"• In a channel, `/briefing subscribe 08:00 Europe/London` posts its daily briefing there, and `/briefing follow outlet:Reuters` keeps the answers given there to what it follows (`/briefing settings` shows them).\n" +
	"• Send me a direct message with a question, a quote, or a link to add an article.\n" +
	"When the articles don't answer a question, I say so rather than guess."
