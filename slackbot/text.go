package slackbot

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/briefbot/briefbot/briefing"
)

// Usage is the help the bot gives for "help", `/briefing help` and empty
// commands.
const Usage = `*briefbot* answers questions about the news articles it has read, quoting them word for word.
• ` + "`/ask QUESTION`" + ` — ask a question, e.g. ` + "`/ask What did the central bank decide?`" + `
• ` + "`/source TEXT`" + ` — find the articles a quote comes from
• ` + "`/briefing [YYYY-MM-DD | today | yesterday | topic]`" + ` — the day's briefing, or one on a topic
• Mention me in a channel (` + "`@briefbot your question`" + `) and I answer in the thread; reply in that thread to follow up.
• In a direct message, ask a question, or paste a quote (in quotation marks, as a > quote, or after ` + "`source:`" + `) to find where it comes from.
Answers are private when you use a slash command; use *Share in channel* to post one for everyone.`

const (
	usageAsk      = "Usage: `/ask QUESTION`, for example `/ask What did the central bank decide?`"
	usageSource   = "Usage: `/source TEXT`: paste a sentence or quote and I will find the articles it comes from."
	usageBriefing = "Usage: `/briefing` for the latest briefing, `/briefing 2025-01-31`, `/briefing today`, `/briefing yesterday`, or `/briefing TOPIC` for a briefing on a topic.\n" + usageChannel
	msgTimeout    = "Sorry, that took too long to answer. Please try again, perhaps with a narrower question."
	msgFailed     = "Sorry, something went wrong while answering. Please try again in a moment."
)

// BriefingRequest is what `/briefing [date|topic]` asks for. Date is
// YYYY-MM-DD or "" for the newest articles; Topic is "" for all stories.
type BriefingRequest struct {
	Date  string
	Topic string
	// Since, when set, is what the last briefing posted to the channel
	// covered, so the new one marks what changed (scheduled briefings).
	Since *briefing.State
}

// ParseBriefingRequest reads the text after /briefing. It accepts a date
// (YYYY-MM-DD, "today" or "yesterday", relative to now), a topic, or a date
// followed by a topic. help is true for "help".
func ParseBriefingRequest(text string, now time.Time) (req BriefingRequest, help bool) {
	text = strings.TrimSpace(text)
	if isHelp(text) && text != "" {
		return BriefingRequest{}, true
	}
	first, rest, _ := strings.Cut(text, " ")
	switch strings.ToLower(first) {
	case "":
		return BriefingRequest{}, false
	case "today":
		req.Date = now.Format(time.DateOnly)
	case "yesterday":
		req.Date = now.AddDate(0, 0, -1).Format(time.DateOnly)
	default:
		if _, err := time.Parse(time.DateOnly, first); err != nil {
			return BriefingRequest{Topic: text}, false
		}
		req.Date = first
	}
	req.Topic = strings.TrimSpace(rest)
	return req, false
}

// request kinds.
const (
	kindHelp     = "help"
	kindAsk      = "answer"
	kindSource   = "source"
	kindBriefing = "briefing"
)

// request is what a message asks the bot to do.
type request struct {
	kind     string
	text     string
	briefing BriefingRequest // for kindBriefing
	channel  string          // where it was asked (or an assistant thread's context channel): answers follow its scope
	stream   *answerStream   // streams the answer as it is verified; nil: posted when done
}

// route decides what a message asks for: "help" gets the usage, "brief
// me on today's stories" the briefing, "source: TEXT", a text in
// quotation marks or a message that is mostly a > quote gets a source
// lookup, anything else is a question.
func route(text string) request {
	t := strings.TrimSpace(text)
	if isHelp(t) {
		return request{kind: kindHelp}
	}
	if isBriefingAsk(t) {
		return request{kind: kindBriefing, text: t}
	}
	if rest, ok := cutPrefixFold(t, "source:"); ok {
		rest = strings.TrimSpace(rest)
		if rest == "" {
			return request{kind: kindHelp}
		}
		return request{kind: kindSource, text: unquote(rest)}
	}
	if inner, ok := quoted(t); ok {
		return request{kind: kindSource, text: inner}
	}
	if q, ok := mostlyQuote(t); ok {
		return request{kind: kindSource, text: q}
	}
	return request{kind: kindAsk, text: t}
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func isHelp(t string) bool {
	switch strings.ToLower(strings.Trim(t, " !.")) {
	case "", "help", "usage", "?", "/help", "how does this work", "what can you do":
		return true
	}
	return false
}

// quotePairs are the quotation marks a pasted quote may be wrapped in.
var quotePairs = [][2]string{{`"`, `"`}, {"“", "”"}, {"„", "“"}, {"«", "»"}, {"‘", "’"}, {"'", "'"}, {"”", "”"}, {"‹", "›"}}

// quoted reports whether t is a single text wrapped in quotation marks and
// returns the text inside.
func quoted(t string) (string, bool) {
	for _, p := range quotePairs {
		if len(t) > len(p[0])+len(p[1]) && strings.HasPrefix(t, p[0]) && strings.HasSuffix(t, p[1]) {
			inner := strings.TrimSpace(t[len(p[0]) : len(t)-len(p[1])])
			// "a" and "b" is two quotes, not one.
			if inner == "" || strings.Contains(inner, p[1]) || strings.Contains(inner, p[0]) {
				return "", false
			}
			return inner, true
		}
	}
	return "", false
}

// unquote strips one pair of quotation marks around t, if present.
func unquote(t string) string {
	if inner, ok := quoted(t); ok {
		return inner
	}
	return t
}

// mostlyQuote reports whether most of t is in "> " quote lines and returns
// those lines without the markers.
func mostlyQuote(t string) (string, bool) {
	var quote []string
	quoteChars, total := 0, 0
	for _, line := range strings.Split(t, "\n") {
		line = strings.TrimSpace(line)
		n := utf8.RuneCountInString(line)
		total += n
		if q, ok := strings.CutPrefix(line, ">"); ok {
			quoteChars += n
			if q = strings.TrimSpace(q); q != "" {
				quote = append(quote, q)
			}
		}
	}
	if len(quote) == 0 || quoteChars*10 < total*6 {
		return "", false
	}
	return unquote(strings.Join(quote, " ")), true
}

// slackMarkup matches Slack's <…> markup in message text: mentions,
// channels, links and special commands.
var slackMarkup = regexp.MustCompile(`<([^<>]*)>`)

// cleanText turns Slack message text into plain text: the bot's own
// mention goes, other mentions, channels and links become readable, and
// Slack's &amp; &lt; &gt; escapes are undone.
func cleanText(s, botUserID string) string {
	s = slackMarkup.ReplaceAllStringFunc(s, func(m string) string {
		inner := m[1 : len(m)-1]
		target, label, hasLabel := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@"):
			if botUserID != "" && target[1:] == botUserID {
				return ""
			}
			if hasLabel {
				return "@" + label
			}
			return target
		case strings.HasPrefix(target, "#"):
			if hasLabel {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			if hasLabel {
				return label
			}
			name, _, _ := strings.Cut(target[1:], "^")
			return "@" + name
		default: // a link
			if hasLabel && label != "" {
				return label
			}
			return strings.TrimPrefix(target, "mailto:")
		}
	})
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	return strings.TrimSpace(s)
}

// mentions reports whether Slack message text mentions the user.
func mentions(text, userID string) bool {
	return userID != "" && (strings.Contains(text, "<@"+userID+">") || strings.Contains(text, "<@"+userID+"|"))
}

// askedLine is the mrkdwn and fallback line that shows, above a private
// or shared answer, what was asked.
func askedLine(user, surface, question string) (md, plain string) {
	q := oneLine(question, 200)
	who := "You"
	if user != "" {
		who = "<@" + user + ">"
	}
	verb := "asked"
	switch surface {
	case kindSource:
		verb = "looked up"
	case kindBriefing:
		verb = "asked for"
	}
	if q == "" {
		q = "the latest briefing"
	}
	// Both are read as mrkdwn: the plain line is the fallback text, which
	// Slack also parses and notifies from.
	line := fmt.Sprintf("%s %s: %s", who, verb, escapeText(q))
	return line, line
}
