package slackbot

import (
	"context"
	"errors"

	"github.com/slack-go/slack"
)

// Reactions that show what became of a message the bot answers.
const (
	reactionWorking  = "eyes"
	reactionAnswered = "white_check_mark"
)

// startWorking shows that the bot is at work on c's message: in an
// assistant thread the "Searching N articles…" status (and the thread's
// title from its first question), elsewhere the :eyes: reaction.
func (b *Bot) startWorking(ctx context.Context, c conversation, req request) {
	if c.surface == surfaceAssistant {
		b.assistantTurn(ctx, c, req.text)
		return
	}
	if c.react {
		b.react(ctx, "reactions.add", c, reactionWorking)
	}
}

// stopWorking ends what startWorking showed: :eyes: is replaced by
// :white_check_mark: once the answer is posted, and only removed when it
// was not (the apology or nothing was posted). An assistant thread's
// status is cleared by Slack when the bot replies; it is cleared here when
// nothing was posted.
func (b *Bot) stopWorking(ctx context.Context, c conversation, answered bool) {
	if c.surface == surfaceAssistant {
		if !answered {
			b.assistantStatus(ctx, c, "")
		}
		return
	}
	if !c.react {
		return
	}
	b.react(ctx, "reactions.remove", c, reactionWorking)
	if answered {
		b.react(ctx, "reactions.add", c, reactionAnswered)
	}
}

// react adds or removes a reaction on c's message. Slack's answer that the
// reaction is already there (or already gone) is not a failure.
func (b *Bot) react(ctx context.Context, method string, c conversation, name string) {
	ref := slack.NewRefToMessage(c.channel, c.ts)
	var err error
	if method == "reactions.remove" {
		err = b.api.RemoveReactionContext(ctx, name, ref)
	} else {
		err = b.api.AddReactionContext(ctx, name, ref)
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "already_reacted" || se.Err == "no_reaction") {
		return
	}
	if err != nil {
		b.slackError(method, err)
	}
}
