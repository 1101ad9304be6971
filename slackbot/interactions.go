package slackbot

import (
	"context"

	"github.com/slack-go/slack"
)

// planInteraction returns the work a button click asks for, or nil for
// interactions the bot does not handle.
// A click already handled (the same trigger and action: a replayed
// request) is not handled again.
func (b *Bot) planInteraction(ic slack.InteractionCallback) task {
	t := task{what: "interaction", run: b.planClick(ic)}
	if t.run == nil {
		return task{}
	}
	if key := clickKey(ic); key != "" && !b.seen.Claim(key) {
		b.metrics.duplicates.WithLabelValues("interaction").Inc()
		b.log.Info("click already handled; not handling it again", "user", ic.User.ID)
		return task{}
	}
	t.busy = func(ctx context.Context) { b.tellInteraction(ctx, ic, msgBusy) }
	return t
}

// clickKey identifies a click: Slack gives every click its own trigger_id
// and action_ts, and a replay repeats them.
func clickKey(ic slack.InteractionCallback) string {
	var ts string
	for _, a := range ic.ActionCallback.BlockActions {
		ts += a.ActionID + "@" + a.ActionTs + ";"
	}
	if ic.TriggerID == "" && ts == "" {
		return ""
	}
	return "click:" + ic.TriggerID + "/" + ic.User.ID + "/" + ts
}

func (b *Bot) planClick(ic slack.InteractionCallback) func(context.Context) {
	switch ic.Type {
	case slack.InteractionTypeMessageAction:
		return b.planShortcut(ic)
	case slack.InteractionTypeViewSubmission:
		return b.planViewSubmission(ic)
	case slack.InteractionTypeBlockActions:
	default:
		return nil
	}
	for _, a := range ic.ActionCallback.BlockActions {
		ref := a.Value
		switch a.ActionID {
		case actionHelpful, actionNotHelpful:
			helpful := a.ActionID == actionHelpful
			return func(ctx context.Context) { b.recordFeedback(ctx, ic, ref, helpful) }
		case actionShare:
			return func(ctx context.Context) { b.share(ctx, ic, ref) }
		}
	}
	return nil
}

// share posts a private answer in its channel for everyone, then removes
// the private copy.
func (b *Bot) share(ctx context.Context, ic slack.InteractionCallback, ref string) {
	s, ok := b.answers.Get(ref)
	if !ok || !s.whole() {
		b.tellInteraction(ctx, ic, "That answer has expired, so I can't share it. Please ask again.")
		return
	}
	if ic.ResponseURL == "" {
		b.log.Warn("share click without response_url")
		return
	}
	md, plain := askedLine(ic.User.ID, s.kind, s.question)
	var inThread []slack.MsgOption
	if s.threadTS != "" {
		inThread = append(inThread, slack.MsgOptionTS(s.threadTS))
	}
	b.respond(ctx, ic.ResponseURL, slack.ResponseTypeInChannel, s.render(renderOpts{ref: ref, header: md, headerText: plain}), inThread...)
	if _, _, _, err := b.api.SendMessageContext(ctx, "", slack.MsgOptionDeleteOriginal(ic.ResponseURL)); err != nil {
		b.slackError("response_url", err)
	}
}

// tellInteraction shows text privately to the user who clicked.
func (b *Bot) tellInteraction(ctx context.Context, ic slack.InteractionCallback, text string) {
	if ic.ResponseURL != "" {
		b.respond(ctx, ic.ResponseURL, slack.ResponseTypeEphemeral, renderText(text))
		return
	}
	if channel := interactionChannel(ic); channel != "" {
		b.postEphemeral(ctx, channel, ic.User.ID, ic.Container.ThreadTs, renderText(text))
	}
}

func interactionChannel(ic slack.InteractionCallback) string {
	if ic.Channel.ID != "" {
		return ic.Channel.ID
	}
	return ic.Container.ChannelID
}
