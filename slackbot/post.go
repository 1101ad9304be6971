package slackbot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/briefing"
)

// PostBriefing posts br to channel (a channel ID such as C0123ABCD, or a
// name such as #news) as a new top-level message; when the briefing is too
// long for one message, the rest follows in that message's thread. The
// messages carry the Helpful / Not helpful buttons, which work while Run
// (or Handler) is serving.
//
// PostBriefing uses only the Web API, so it works whether or not Run is
// running. When Slack refuses the post, the error names the channel and
// says what to do, such as "invite briefbot to C0123ABCD first"; it wraps
// Slack's error (a slack.SlackErrorResponse for Slack's refusals).
func (b *Bot) PostBriefing(ctx context.Context, channel string, br briefing.Briefing) error {
	channel = strings.TrimSpace(channel)
	if channel == "" {
		return errors.New("post briefing: no channel given")
	}
	var heads []string
	for _, s := range br.Stories {
		heads = append(heads, s.Headline)
	}
	summary := "No stories."
	if len(heads) > 0 {
		summary = strings.Join(heads, "; ")
	}
	question := "the daily briefing"
	if br.Date != "" {
		question += " for " + br.Date
	}
	s := storedAnswer{kind: kindBriefing, question: question, answer: summary, citations: br.Citations, channel: channel, brief: &br}
	ref := b.remember(s)
	msgs := s.render(renderOpts{ref: ref})

	fail := func(err error) error {
		b.metrics.briefingsPosted.WithLabelValues(resultError).Inc()
		b.slackError("chat.postMessage", err)
		return err
	}
	first, err := b.send(ctx, channel, "", msgs[:1])
	if err != nil {
		return fail(postError(channel, err))
	}
	if len(msgs) > 1 {
		rest, err := b.send(ctx, channel, first[0], msgs[1:])
		if err != nil {
			return fail(fmt.Errorf("post briefing to %s: message %d of %d (in the thread of %s): %w",
				channel, len(rest)+2, len(msgs), first[0], err))
		}
	}
	b.metrics.briefingsPosted.WithLabelValues(resultOK).Inc()
	b.log.Info("posted briefing", "channel", channel, "date", br.Date, "topic", br.Topic,
		"stories", len(br.Stories), "citations", len(br.Citations), "messages", len(msgs), "ts", first[0])
	return nil
}

// postError wraps a failed chat.postMessage with the channel and, for
// Slack's usual refusals, a sentence saying how to fix it.
func postError(channel string, err error) error {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return fmt.Errorf("post briefing to %s: %w", channel, err)
	}
	hint := ""
	switch se.Err {
	case "not_in_channel":
		hint = "invite briefbot to " + channel + " first (type /invite @briefbot in the channel)"
	case "channel_not_found":
		hint = "briefbot cannot see a channel " + channel + ": use the channel ID (in the channel's details, C…), and invite briefbot if the channel is private"
	case "is_archived":
		hint = channel + " is archived"
	case "restricted_action", "restricted_action_read_only_channel", "restricted_action_thread_only_channel", "restricted_action_non_threadable_channel":
		hint = "the workspace does not let briefbot post in " + channel
	case "missing_scope", "not_allowed_token_type":
		hint = "the app lacks the chat:write scope for " + channel + "; reinstall it with slack-app-manifest.yaml"
	case "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired":
		hint = "Slack rejected SLACK_BOT_TOKEN; check the Bot User OAuth Token"
	}
	if hint == "" {
		return fmt.Errorf("post briefing to %s: %w", channel, err)
	}
	return fmt.Errorf("post briefing to %s: %s: %w", channel, hint, err)
}
