package slackbot

import (
	"context"
	"strings"

	"github.com/slack-go/slack"
)

// commandReply is the immediate answer to a slash command: the body of the
// HTTP response, or the payload of the Socket Mode ack.
type commandReply struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

func ephemeral(text string) *commandReply {
	return &commandReply{ResponseType: slack.ResponseTypeEphemeral, Text: text}
}

// planCommand returns the immediate reply to a slash command and the work
// to do after the ack (nil when the reply is all there is: usage, a rate
// limit, an unknown command). A command already handled (the same
// trigger_id: a replayed request) gets neither.
func (b *Bot) planCommand(cmd slack.SlashCommand) (*commandReply, func(context.Context)) {
	if cmd.TriggerID != "" && !b.seen.Claim("command:"+cmd.TriggerID) {
		b.metrics.duplicates.WithLabelValues("command").Inc()
		b.log.Info("slash command already handled; not answering it again", "command", cmd.Command)
		return nil, nil
	}
	text := cleanText(cmd.Text, "")
	var req request
	switch b.baseCommand(cmd.Command) {
	case "/ask":
		if isHelp(text) {
			return ephemeral(b.withCommandNames(usageAsk)), nil
		}
		req = request{kind: kindAsk, text: text}
	case "/source":
		if isHelp(text) {
			return ephemeral(b.withCommandNames(usageSource)), nil
		}
		if rest, ok := cutPrefixFold(text, "source:"); ok { // "/source source: …"
			text = strings.TrimSpace(rest)
		}
		req = request{kind: kindSource, text: unquote(text)}
	case "/briefing":
		if reply, work, ok := b.planChannelCommand(cmd, text); ok {
			return b.limitedCommand(cmd, reply, work)
		}
		br, help := ParseBriefingRequest(text, b.cfg.Now())
		if help {
			return ephemeral(b.withCommandNames(usageBriefing) + "\n\n" + b.usage()), nil
		}
		req = request{kind: kindBriefing, text: strings.TrimSpace("/briefing " + text), briefing: br}
	default:
		return ephemeral("I don't know the command " + escape(cmd.Command) + ".\n\n" + b.usage()), nil
	}
	if ok, wait := b.limiter.Allow(cmd.UserID); !ok {
		b.metrics.userLimited.Inc()
		return ephemeral(rateLimited(wait)), nil
	}
	req.channel = cmd.ChannelID
	if cmd.ResponseURL == "" {
		b.log.Warn("slash command without response_url", "command", cmd.Command)
		return ephemeral(msgFailed), nil
	}
	return ephemeral(":hourglass_flowing_sand: Working on it…"), func(ctx context.Context) { b.answerCommand(ctx, cmd, req) }
}

// acceptCommand queues a slash command's work and returns the reply that
// acks it: the planned one, or a busy reply when there is no room.
func (b *Bot) acceptCommand(reply *commandReply, work func(context.Context)) *commandReply {
	if work == nil {
		return reply
	}
	if b.submit(task{what: "command", run: work}) != queued {
		b.metrics.busy.Inc()
		return ephemeral(msgBusy)
	}
	return reply
}

// answerCommand answers a slash command privately on its response_url,
// with a button to share the answer in the channel.
func (b *Bot) answerCommand(ctx context.Context, cmd slack.SlashCommand, req request) {
	s, err := b.compute(ctx, surfaceCommand, req, nil)
	if err != nil {
		b.respond(ctx, cmd.ResponseURL, slack.ResponseTypeEphemeral, renderText(b.apology(err)))
		return
	}
	s.channel = cmd.ChannelID
	ref := b.remember(s)
	md, plain := askedLine("", req.kind, s.question)
	b.respond(ctx, cmd.ResponseURL, slack.ResponseTypeEphemeral, s.render(renderOpts{ref: ref, share: true, header: md, headerText: plain}))
	b.log.Info("answered", "surface", surfaceCommand, "kind", req.kind, "channel", cmd.ChannelID, "citations", len(s.citations))
}

// respond posts messages to a response_url. Slack accepts five posts per
// response_url, so a longer answer keeps its first four messages and its
// last (the one with the buttons). extra options (a thread) apply to each.
func (b *Bot) respond(ctx context.Context, responseURL, responseType string, msgs []message, extra ...slack.MsgOption) {
	if len(msgs) > maxResponseURLPosts {
		msgs = append(msgs[:maxResponseURLPosts-1:maxResponseURLPosts-1], msgs[len(msgs)-1])
	}
	for _, m := range msgs {
		_, _, _, err := b.api.SendMessageContext(ctx, "",
			append([]slack.MsgOption{slack.MsgOptionResponseURL(responseURL, responseType),
				slack.MsgOptionBlocks(m.Blocks...),
				slack.MsgOptionText(m.Text, false)}, extra...)...)
		if err != nil {
			b.slackError("response_url", err)
			b.undeliverable("response_url", err)
			return
		}
	}
}
