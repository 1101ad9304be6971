package slackbot

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// callbackFindSource is the callback_id of the "Find the source" message
// shortcut (slack-app-manifest.yaml).
const callbackFindSource = "find_source"

// surfaceShortcut labels questions from the message shortcut in the
// questions metric.
const surfaceShortcut = "shortcut"

// maxLookupRunes bounds the text a shortcut looks up: a quote, not an
// essay.
const maxLookupRunes = 600

// spanQuotes are the quotation marks a quote inside a message may be
// wrapped in; straight and curly single quotes are left out, since they
// are apostrophes too.
var spanQuotes = [][2]string{{"“", "”"}, {`"`, `"`}, {"„", "“"}, {"«", "»"}}

// lookupText is the text of a message that the shortcut looks up: its
// "> " quoted lines, else its longest text in quotation marks, else the
// whole message; at most maxLookupRunes, cut at a word. text is Slack's
// message text (with its markup and escapes).
func lookupText(text string) string {
	t := cleanText(text, "")
	var quote []string
	for _, line := range strings.Split(t, "\n") {
		if q, ok := strings.CutPrefix(strings.TrimSpace(line), ">"); ok {
			if q = strings.TrimSpace(q); q != "" {
				quote = append(quote, q)
			}
		}
	}
	switch {
	case len(quote) > 0:
		t = unquote(strings.Join(quote, " "))
	default:
		if q := longestQuoted(t); q != "" {
			t = q
		}
	}
	t = strings.Join(strings.Fields(t), " ")
	if utf8.RuneCountInString(t) > maxLookupRunes {
		t = t[:runeOffset(t, maxLookupRunes)]
		if i := strings.LastIndexByte(t, ' '); i > 0 {
			t = t[:i]
		}
	}
	return t
}

// longestQuoted returns the longest text in t wrapped in a pair of
// quotation marks, or "".
func longestQuoted(t string) string {
	best := ""
	for _, p := range spanQuotes {
		rest := t
		for {
			i := strings.Index(rest, p[0])
			if i < 0 {
				break
			}
			rest = rest[i+len(p[0]):]
			j := strings.Index(rest, p[1])
			if j < 0 {
				break
			}
			if q := strings.TrimSpace(rest[:j]); utf8.RuneCountInString(q) > utf8.RuneCountInString(best) {
				best = q
			}
			rest = rest[j+len(p[1]):]
		}
	}
	return best
}

// planShortcut returns the work of a message shortcut, or nil for
// shortcuts the bot does not know.
func (b *Bot) planShortcut(ic slack.InteractionCallback) func(context.Context) {
	if ic.CallbackID != callbackFindSource {
		return nil
	}
	return func(ctx context.Context) { b.findSource(ctx, ic) }
}

// findSource runs the source lookup on the message the shortcut was used
// on and shows the result privately to the user who used it, with a button
// to share it in the message's thread.
func (b *Bot) findSource(ctx context.Context, ic slack.InteractionCallback) {
	text := lookupText(ic.Message.Text)
	if text == "" {
		b.tellInteraction(ctx, ic, "That message has no text I can look up.")
		return
	}
	if ok, wait := b.limiter.Allow(ic.User.ID); !ok {
		b.metrics.userLimited.Inc()
		b.tellInteraction(ctx, ic, rateLimited(wait))
		return
	}
	s, err := b.compute(ctx, surfaceShortcut, request{kind: kindSource, text: text}, nil)
	if err != nil {
		b.tellInteraction(ctx, ic, b.apology(err))
		return
	}
	s.channel = interactionChannel(ic)
	// Shared, the lookup goes in the thread of the message it is about.
	s.threadTS = ic.Message.ThreadTimestamp
	if s.threadTS == "" {
		s.threadTS = ic.Message.Timestamp
	}
	if s.threadTS == "" {
		s.threadTS = ic.MessageTs
	}
	ref := b.remember(s)
	md, plain := askedLine("", kindSource, text)
	msgs := s.render(renderOpts{ref: ref, share: true, header: md, headerText: plain})
	if ic.ResponseURL != "" {
		b.respond(ctx, ic.ResponseURL, slack.ResponseTypeEphemeral, msgs)
	} else {
		b.postEphemeral(ctx, s.channel, ic.User.ID, ic.Message.ThreadTimestamp, msgs)
	}
	b.log.Info("answered", "surface", surfaceShortcut, "kind", kindSource, "channel", s.channel, "citations", len(s.citations))
}

// postEphemeral shows messages to one user in a channel (in a thread when
// threadTS is set).
func (b *Bot) postEphemeral(ctx context.Context, channel, user, threadTS string, msgs []message) {
	for _, m := range msgs {
		opts := []slack.MsgOption{slack.MsgOptionBlocks(m.Blocks...), slack.MsgOptionText(m.Text, false)}
		if threadTS != "" {
			opts = append(opts, slack.MsgOptionTS(threadTS))
		}
		if _, err := b.api.PostEphemeralContext(ctx, channel, user, opts...); err != nil {
			b.slackError("chat.postEphemeral", err)
			return
		}
	}
}
