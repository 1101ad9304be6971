package slackbot

import (
	"context"
	"time"

	"github.com/briefbot/briefbot/briefing"
)

// idleCheck is how long the scheduler sleeps when no channel is
// subscribed; a subscription wakes it earlier.
const idleCheck = 24 * time.Hour

// clock returns the scheduler's clock.
func (b *Bot) clock() briefing.Clock {
	if b.cfg.Clock != nil {
		return b.cfg.Clock
	}
	return systemClock{now: b.cfg.Now}
}

// systemClock is the real clock, telling the time with Config.Now.
type systemClock struct{ now func() time.Time }

func (c systemClock) Now() time.Time { return c.now() }

func (c systemClock) Sleep(ctx context.Context, d time.Duration) error {
	return briefing.SystemClock{}.Sleep(ctx, d)
}

// dueRun is a subscription and the time of its next run.
type dueRun struct {
	sub   Subscription
	sched briefing.Schedule
	at    time.Time
}

// nextRuns returns the next run of every subscription, the default one
// included. A subscription that never ran counts from when it was made
// (the default one, without a record of an older version's last run in
// its At, from start), so a run missed while the bot was down is posted
// once at the next start, however many were missed.
func (b *Bot) nextRuns(started time.Time) []dueRun {
	var runs []dueRun
	seen := map[string]bool{}
	add := func(cs channelSettings) {
		seen[cs.Channel] = true
		sub, isDefault := b.subscriptionOf(cs)
		if sub == nil {
			return
		}
		sched, err := briefing.ParseSchedule(sub.Time)
		if err != nil {
			b.log.Error("unreadable briefing subscription", "channel", cs.Channel, "time", sub.Time, "err", err)
			return
		}
		// The later of the last run and the subscription: a new time
		// counts from when it was set, never from an older run.
		base := cs.LastRun
		if sub.At.After(base) {
			base = sub.At
		}
		if base.IsZero() && isDefault {
			base = started
		}
		runs = append(runs, dueRun{sub: *sub, sched: sched, at: sched.Next(base)})
	}
	for _, cs := range b.channels.all() {
		add(cs)
	}
	if d := b.cfg.DefaultBriefing; d != nil && !seen[d.Channel] {
		add(channelSettings{Channel: d.Channel})
	}
	return runs
}

// runSchedule posts each subscribed channel's daily briefing at its time
// until ctx is done.
func (b *Bot) runSchedule(ctx context.Context) {
	clock := b.clock()
	started := clock.Now()
	for ctx.Err() == nil {
		wake := b.channels.changed()
		now := clock.Now()
		wait := idleCheck
		for _, r := range b.nextRuns(started) {
			if !r.at.After(now) {
				b.postScheduled(ctx, r.sub, now)
				wait = 0
				continue
			}
			wait = min(wait, r.at.Sub(now))
		}
		if wait == 0 {
			continue // look again: posting took time
		}
		sctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-wake:
				cancel()
			case <-sctx.Done():
			}
		}()
		_ = clock.Sleep(sctx, wait)
		cancel()
	}
}

// postScheduled builds and posts a channel's daily briefing, marking what
// changed since the last one posted there, and records the run (also when
// it failed: a failed run waits for the next scheduled time, and a post
// that may have reached Slack is not sent again).
func (b *Bot) postScheduled(ctx context.Context, sub Subscription, now time.Time) {
	prev := b.channels.get(sub.Channel).LastBriefing
	if prev == nil && b.isDefaultChannel(sub.Channel) {
		prev = b.cfg.DefaultBriefingState
	}
	var state *briefing.State
	br, err := b.svc.Briefing(ctx, BriefingRequest{Topic: sub.Topic, Since: prev})
	if err != nil && ctx.Err() != nil {
		return // shutting down before posting: caught up at the next start
	}
	if err == nil {
		err = b.PostBriefing(ctx, sub.Channel, br)
	}
	if err != nil {
		b.log.Error("daily briefing not posted", "channel", sub.Channel, "err", err)
	} else {
		st := br.State(sub.Channel, now)
		state = &st
		b.log.Info("daily briefing posted", "channel", sub.Channel, "at", sub.Time, "topic", sub.Topic)
	}
	_, uerr := b.channels.update(sub.Channel, func(cs *channelSettings) {
		cs.LastRun = now
		if state != nil {
			cs.LastBriefing = state
		}
	})
	if uerr != nil {
		// Remember the run in memory at least, so it is not posted again
		// and again while the store fails.
		b.log.Error("record daily briefing run", "channel", sub.Channel, "err", uerr)
		b.channels.remember(sub.Channel, func(cs *channelSettings) { cs.LastRun = now })
	}
}
