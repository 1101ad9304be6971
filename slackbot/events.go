package slackbot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/briefbot/briefbot/answer"
)

// Surfaces a question can come from, as the questions metric labels them.
const (
	surfaceMention = "mention"
	surfaceThread  = "thread"
	surfaceDM      = "dm"
	surfaceCommand = "command"
)

// conversation is where a message was posted and where the reply goes.
type conversation struct {
	surface  string
	channel  string
	user     string
	ts       string // the message's own timestamp
	threadTS string // the thread to reply in; "" for a top-level reply
	react    bool   // add :eyes: to the message while working
	scope    string // the channel whose settings may scope the answer (Question.Channel)
}

// planEvent decides what an Events API event asks for and returns the work
// to do once the event has been acked (a task whose run is nil when there
// is nothing to do: events already handled, messages from bots, and
// messages not meant for the bot). It does no I/O except a cached
// auth.test; it runs on the ack path.
func (b *Bot) planEvent(ctx context.Context, ev slackevents.EventsAPIEvent) task {
	if ev.Type != slackevents.CallbackEvent {
		return task{}
	}
	me, err := b.identity(ctx)
	if err != nil {
		b.log.Error("cannot tell which user the bot is", "err", err)
		return task{}
	}
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && cb.EventID != "" {
		if !b.seen.Claim("event:" + cb.EventID) {
			b.metrics.duplicates.WithLabelValues("event").Inc()
			b.log.Info("event already handled; not answering it again", "event_id", cb.EventID)
			return task{}
		}
	}
	var t task
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		t = b.planMention(me, e)
	case *slackevents.MessageEvent:
		t = b.planMessage(me, e)
	case *slackevents.AssistantThreadStartedEvent:
		t = b.planAssistantStarted(e)
	case *slackevents.AssistantThreadContextChangedEvent:
		t = b.planAssistantContext(e)
	case *slackevents.AppHomeOpenedEvent:
		t = b.planHome(e)
	}
	t.what = "event"
	return t
}

func (b *Bot) planMention(me identity, e *slackevents.AppMentionEvent) task {
	if e.BotID != "" || e.User == "" || e.User == me.userID || e.Edited != nil {
		return task{}
	}
	if !b.seen.Claim("message:" + e.Channel + "/" + e.TimeStamp) {
		b.metrics.duplicates.WithLabelValues("message").Inc()
		return task{} // already answered as a message event
	}
	c := conversation{surface: surfaceMention, channel: e.Channel, user: e.User, ts: e.TimeStamp, threadTS: e.ThreadTimeStamp, react: true, scope: e.Channel}
	if c.threadTS == "" {
		c.threadTS = e.TimeStamp
	}
	// From now on later messages in this thread are follow-ups, even
	// those sent while this answer is being computed.
	b.threads.Update(e.Channel+"/"+c.threadTS, func(cur threadMemory, _ bool) threadMemory { return cur })
	return b.planConversation(c, cleanText(e.Text, me.userID))
}

func (b *Bot) planMessage(me identity, e *slackevents.MessageEvent) task {
	if e.BotID != "" || e.User == "" || e.User == me.userID {
		return task{}
	}
	switch e.SubType {
	case "", "thread_broadcast", "file_share":
	default: // bot_message, message_changed, message_deleted, channel_join, …
		return task{}
	}
	var c conversation
	if e.ChannelType == slackevents.ChannelTypeIM {
		c = conversation{surface: surfaceDM, channel: e.Channel, user: e.User, ts: e.TimeStamp, threadTS: e.ThreadTimeStamp, react: true}
		b.inAssistantThread(&c)
	} else {
		if mentions(e.Text, me.userID) {
			return task{} // the app_mention event for the same message answers it
		}
		if e.ThreadTimeStamp == "" {
			return task{}
		}
		if _, ok := b.threads.Get(e.Channel + "/" + e.ThreadTimeStamp); !ok {
			return task{} // not a thread the bot answered in
		}
		c = conversation{surface: surfaceThread, channel: e.Channel, user: e.User, ts: e.TimeStamp, threadTS: e.ThreadTimeStamp, react: true, scope: e.Channel}
	}
	if !b.seen.Claim("message:" + e.Channel + "/" + e.TimeStamp) {
		b.metrics.duplicates.WithLabelValues("message").Inc()
		return task{}
	}
	if c.surface == surfaceDM || c.surface == surfaceAssistant {
		if work := b.planAddition(me, c, e); work != nil {
			return task{run: work, busy: b.busyReply(c)}
		}
	}
	return b.planConversation(c, cleanText(e.Text, me.userID))
}

// planConversation routes a message's text and applies the rate limit.
func (b *Bot) planConversation(c conversation, text string) task {
	req := route(text)
	req.channel = cmp.Or(c.scope, c.channel)
	if req.kind == kindHelp {
		help := func(ctx context.Context) { b.post(ctx, c.channel, c.threadTS, renderText(b.usage())) }
		return task{run: help, busy: help}
	}
	if ok, wait := b.limiter.Allow(c.user); !ok {
		b.metrics.userLimited.Inc()
		tell := func(ctx context.Context) { b.tellPrivately(ctx, c, rateLimited(wait)) }
		return task{run: tell, busy: tell}
	}
	return task{run: func(ctx context.Context) { b.converse(ctx, c, req) }, busy: b.busyReply(c)}
}

// busyReply tells the people in c that the bot is too busy to answer now;
// it stands for the answer.
func (b *Bot) busyReply(c conversation) func(context.Context) {
	return func(ctx context.Context) { b.post(ctx, c.channel, c.threadTS, renderText(msgBusy)) }
}

// converse answers a message in its conversation, showing that it is at
// work (see startWorking) and streaming a model's answer as its sentences
// are verified (see answerStream).
func (b *Bot) converse(ctx context.Context, c conversation, req request) {
	me, err := b.identity(ctx)
	if err != nil {
		b.log.Error("cannot tell which user the bot is", "err", err)
		return
	}
	b.startWorking(ctx, c, req)
	var history []answer.Turn
	if c.threadTS != "" && c.threadTS != c.ts {
		history = b.history(ctx, me, c)
	}
	st := b.newAnswerStream(me, c, &req)
	s, err := b.compute(ctx, c.surface, req, history)
	if err != nil {
		st.abandon(ctx)
		b.post(ctx, c.channel, c.threadTS, renderText(b.apology(err)))
		b.stopWorking(ctx, c, false)
		return
	}
	s.channel = c.channel
	ref := b.remember(s)
	if c.threadTS != "" {
		b.rememberTurns(c.channel, c.threadTS, s.question, turnText(s))
	}
	tss := st.finish(ctx, s, ref)
	if c.threadTS != "" && len(tss) > 0 {
		b.rememberPosts(c.channel, c.threadTS, turnText(s), tss)
	}
	b.stopWorking(ctx, c, len(tss) > 0)
	b.log.Info("answered", "surface", c.surface, "kind", req.kind, "channel", c.channel, "citations", len(s.citations), "messages", len(tss), "streamed", st.started())
}

// compute asks the service, within AnswerTimeout, and keeps what the
// buttons need.
func (b *Bot) compute(ctx context.Context, surface string, req request, history []answer.Turn) (storedAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.AnswerTimeout)
	defer cancel()
	b.metrics.questions.WithLabelValues(surface).Inc()
	start := time.Now()
	defer func() { b.metrics.latency.WithLabelValues(req.kind).Observe(time.Since(start).Seconds()) }()
	fail := func(err error) (storedAnswer, error) {
		b.metrics.serviceErrors.WithLabelValues(req.kind).Inc()
		b.log.Error("answer failed", "kind", req.kind, "surface", surface, "err", err)
		return storedAnswer{}, fmt.Errorf("%s: %w", req.kind, err)
	}
	switch req.kind {
	case kindSource:
		r, err := b.svc.Source(ctx, req.text)
		if err != nil {
			return fail(err)
		}
		cites := lookupCitations(r)
		summary := "I couldn't find this text in the articles."
		if len(r.Matches) > 0 {
			summary = "Found in " + plural(len(r.Matches), "place", "places") + ": " + sourceLine(r.Matches[0].Citation)
		}
		return storedAnswer{kind: kindSource, question: req.text, answer: summary, citations: cites, lookup: &r}, nil
	case kindBriefing:
		br, err := b.svc.Briefing(ctx, req.briefing)
		if err != nil {
			return fail(err)
		}
		b.metrics.observeModelNotes(br.Notes)
		var heads []string
		for _, s := range br.Stories {
			heads = append(heads, s.Headline)
		}
		summary := "No stories."
		if len(heads) > 0 {
			summary = strings.Join(heads, "; ")
		}
		return storedAnswer{kind: kindBriefing, question: req.text, answer: summary, citations: br.Citations, brief: &br}, nil
	default:
		a, err := b.ask(ctx, req, history)
		if err != nil {
			return fail(err)
		}
		b.metrics.observeModelNotes(a.Notes)
		text := a.Answer
		if !a.Grounded {
			text = NotCovered
		}
		a.Passages = nil // not shown, and not worth keeping
		return storedAnswer{kind: kindAsk, question: req.text, answer: text, citations: a.Citations, result: &a}, nil
	}
}

// apology is the sentence users see when an answer fails; the details go
// to the log.
func (b *Bot) apology(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return msgTimeout
	}
	return msgFailed
}

// history returns the earlier turns of the thread c is in: from the
// bot's memory of the thread when it answered there before (even before a
// restart), else from conversations.replies (a mention in a thread the bot
// never answered in).
func (b *Bot) history(ctx context.Context, me identity, c conversation) []answer.Turn {
	mem, _ := b.threads.Get(c.channel + "/" + c.threadTS)
	if len(mem.turns) > 0 {
		return lastTurns(mem.turns)
	}
	msgs, _, _, err := b.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
		ChannelID: c.channel, Timestamp: c.threadTS, Limit: 200,
	})
	if err != nil {
		b.slackError("conversations.replies", err)
		return nil
	}
	var turns []answer.Turn
	for _, m := range msgs {
		if m.Timestamp == c.ts || (c.ts != "" && tsAfter(m.Timestamp, c.ts)) {
			continue
		}
		switch {
		case m.User == me.userID || (me.botID != "" && m.BotID == me.botID):
			text, known := mem.botTexts[m.Timestamp]
			if !known {
				text = cleanText(m.Text, me.userID)
			}
			if text != "" {
				turns = append(turns, answer.Turn{Role: "assistant", Text: text})
			}
		case m.BotID != "" || (m.SubType != "" && m.SubType != "thread_broadcast" && m.SubType != "file_share"):
			// another bot, or a join/leave notice
		default:
			if text := cleanText(m.Text, me.userID); text != "" {
				turns = append(turns, answer.Turn{Role: "user", Text: text})
			}
		}
	}
	return lastTurns(turns)
}

func lastTurns(turns []answer.Turn) []answer.Turn {
	if len(turns) > maxHistoryTurns {
		turns = turns[len(turns)-maxHistoryTurns:]
	}
	return slices.Clone(turns)
}

// tsAfter reports whether Slack timestamp a is later than b.
func tsAfter(a, b string) bool {
	fa, errA := strconv.ParseFloat(a, 64)
	fb, errB := strconv.ParseFloat(b, 64)
	return errA == nil && errB == nil && fa > fb
}

// rememberTurns records a question and its answer in the bot's memory of
// a thread, the history of its follow-ups.
func (b *Bot) rememberTurns(channel, threadTS, question, answerText string) {
	b.threads.Update(channel+"/"+threadTS, func(cur threadMemory, _ bool) threadMemory {
		turns := append(slices.Clone(cur.turns),
			answer.Turn{Role: "user", Text: truncateRunes(question, maxTurnRunes)},
			answer.Turn{Role: "assistant", Text: answerText})
		if len(turns) > 2*maxHistoryTurns {
			turns = turns[len(turns)-2*maxHistoryTurns:]
		}
		return threadMemory{turns: turns, botTexts: cur.botTexts}
	})
}

// rememberPosts records which answer the bot's messages in a thread carry,
// so the history read back from conversations.replies has the answer
// rather than the message's notification text.
func (b *Bot) rememberPosts(channel, threadTS, answerText string, tss []string) {
	b.threads.Update(channel+"/"+threadTS, func(cur threadMemory, _ bool) threadMemory {
		texts := maps.Clone(cur.botTexts)
		if texts == nil || len(texts) > 4*maxHistoryTurns {
			texts = make(map[string]string)
		}
		for i, ts := range tss {
			if i == 0 {
				texts[ts] = answerText
			} else {
				texts[ts] = "" // the rest of a long answer
			}
		}
		return threadMemory{turns: cur.turns, botTexts: texts}
	})
}

// post sends messages to a channel (in a thread when threadTS is set) and
// returns their timestamps. It stops at the first failure, which it logs
// and counts as undelivered; when Slack refused the message itself (rather
// than being unreachable) it posts a short note in its place, so the user
// is not left waiting.
func (b *Bot) post(ctx context.Context, channel, threadTS string, msgs []message) []string {
	tss, err := b.send(ctx, channel, threadTS, msgs)
	if err != nil {
		b.slackError("chat.postMessage", err)
		b.undeliverable("chat.postMessage", err, "channel", channel, "thread_ts", threadTS,
			"messages", len(msgs), "posted", len(tss))
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && ctx.Err() == nil && !(len(msgs) == 1 && msgs[0].Text == msgNotPosted) {
			if _, err := b.send(ctx, channel, threadTS, renderText(msgNotPosted)); err != nil {
				b.slackError("chat.postMessage", err)
			}
		}
	}
	return tss
}

// send posts messages with chat.postMessage, in a thread when threadTS is
// set, and returns the timestamps of those posted. It stops at the first
// failure and returns Slack's error unwrapped.
func (b *Bot) send(ctx context.Context, channel, threadTS string, msgs []message) ([]string, error) {
	var tss []string
	for _, m := range msgs {
		opts := []slack.MsgOption{slack.MsgOptionBlocks(m.Blocks...), slack.MsgOptionText(m.Text, false), slack.MsgOptionDisableLinkUnfurl()}
		if threadTS != "" {
			opts = append(opts, slack.MsgOptionTS(threadTS))
		}
		_, ts, err := b.api.PostMessageContext(ctx, channel, opts...)
		if err != nil {
			return tss, err
		}
		tss = append(tss, ts)
	}
	return tss, nil
}

// tellPrivately shows text to the user who wrote in c: an ephemeral
// message in a channel, a plain reply in a direct message.
func (b *Bot) tellPrivately(ctx context.Context, c conversation, text string) {
	if c.surface == surfaceDM {
		b.post(ctx, c.channel, c.threadTS, renderText(text))
		return
	}
	m := renderText(text)[0]
	opts := []slack.MsgOption{slack.MsgOptionBlocks(m.Blocks...), slack.MsgOptionText(m.Text, false)}
	if c.threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(c.threadTS))
	}
	if _, err := b.api.PostEphemeralContext(ctx, c.channel, c.user, opts...); err != nil {
		b.slackError("chat.postEphemeral", err)
	}
}

// slackError counts and logs a failed Web API call.
func (b *Bot) slackError(method string, err error) {
	b.metrics.slackErrors.WithLabelValues(method).Inc()
	b.log.Error("slack api call failed", "method", method, "err", err)
}
