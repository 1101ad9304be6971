package slackbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// runSocket talks to Slack over Socket Mode until ctx is done: every
// envelope is acked first, then handled.
func (b *Bot) runSocket(ctx context.Context) error {
	stopOps, err := b.startOps(ctx)
	if err != nil {
		return err
	}
	defer stopOps()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sm := socketmode.New(b.api, socketmode.OptionLog(slog.NewLogLogger(b.log.Handler(), slog.LevelDebug)))
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-errc
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			var se slack.SlackErrorResponse
			if errors.As(err, &se) || err.Error() == "invalid_auth" || err.Error() == "not_authed" {
				return fmt.Errorf("slack rejected SLACK_APP_TOKEN: %w; create an app-level token with the connections:write scope under Basic Information", err)
			}
			return fmt.Errorf("socket mode: %w", err)
		case evt := <-sm.Events:
			b.handleEnvelope(ctx, sm, evt)
		}
	}
}

// handleEnvelope acks one Socket Mode envelope and starts its work.
func (b *Bot) handleEnvelope(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		b.log.Debug("connecting to slack socket mode")
	case socketmode.EventTypeConnected:
		b.log.Info("connected to slack socket mode")
	case socketmode.EventTypeConnectionError:
		b.metrics.slackErrors.WithLabelValues("apps.connections.open").Inc()
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			b.log.Warn("socket mode connection failed; retrying", "attempt", ce.Attempt, "backoff", ce.Backoff, "err", ce.ErrorObj)
		}
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("slack rejected SLACK_APP_TOKEN")
	case socketmode.EventTypeErrorBadMessage, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		b.log.Warn("socket mode error", "type", evt.Type, "data", fmt.Sprintf("%+v", evt.Data))
	case socketmode.EventTypeEventsAPI:
		b.ackEnvelope(ctx, sm, evt.Request, nil)
		ev, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			return
		}
		if evt.Request != nil && evt.Request.RetryAttempt > 0 {
			b.log.Info("slack retried an event", "retry_attempt", evt.Request.RetryAttempt, "reason", evt.Request.RetryReason)
		}
		if t := b.planEvent(ctx, ev); t.run != nil {
			b.submit(t)
		}
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok {
			b.ackEnvelope(ctx, sm, evt.Request, nil)
			return
		}
		reply := b.acceptCommand(b.planCommand(cmd))
		if reply == nil { // already handled
			b.ackEnvelope(ctx, sm, evt.Request, nil)
			return
		}
		b.ackEnvelope(ctx, sm, evt.Request, reply)
	case socketmode.EventTypeInteractive:
		b.ackEnvelope(ctx, sm, evt.Request, nil)
		if ic, ok := evt.Data.(slack.InteractionCallback); ok {
			if t := b.planInteraction(ic); t.run != nil {
				b.submit(t)
			}
		}
	}
}

func (b *Bot) ackEnvelope(ctx context.Context, sm *socketmode.Client, req *socketmode.Request, payload any) {
	if req == nil || req.EnvelopeID == "" {
		return
	}
	if err := sm.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		b.log.Error("acking a socket mode envelope failed", "envelope_id", req.EnvelopeID, "err", err)
	}
}
