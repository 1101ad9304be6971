package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/briefbot/briefbot/answer"
)

// Question is a question with what the Slack app knows of where it was
// asked, for a Service that implements Asker.
type Question struct {
	// Text is the question; History the earlier turns of its
	// conversation, oldest first.
	Text    string
	History []answer.Turn
	// Channel is the channel whose settings may scope the answer: the
	// channel the question was asked in or, in an assistant thread, the
	// channel the user was viewing (its context channel); "" when unknown
	// or in a direct message.
	Channel string
	// Progress is told the answer's verified steps as they happen (see
	// answer.WithProgress); the Slack app streams them.
	Progress answer.Progress
}

// Asker is a Service that answers a Question. When the Service implements
// it, the Slack app asks through it rather than through Service.Answer, so
// the answer can be streamed as it is verified; a channel that follows
// part of the articles is answered through ScopedAnswerer instead, with
// the progress in ctx (answer.WithProgress).
type Asker interface {
	Ask(ctx context.Context, q Question) (answer.Answer, error)
}

// Catalog is a Service that can say what is indexed. The assistant's
// suggested prompts and its "Searching N articles…" status come from it;
// without it they are generic.
type Catalog interface {
	// ArticleCount returns how many articles can be quoted.
	ArticleCount() int
	// NewestHeadlines returns the headlines of at most n of the newest
	// articles, newest first.
	NewestHeadlines(n int) []string
}

// surfaceAssistant is the assistant view (Agents & AI Apps): a thread in
// the bot's direct messages that Slack opens beside what the user views.
const surfaceAssistant = "assistant"

const (
	// assistantBucket holds the assistant threads: their context channel
	// and whether they have a title yet.
	assistantBucket = "slack_assistant_threads"
	// assistantLifetime is how long an assistant thread is remembered
	// after its last change.
	assistantLifetime = 30 * 24 * time.Hour
	// maxTitle bounds the thread title made from the first question.
	maxTitle = 80
)

// assistantThread is what the bot keeps of an assistant thread.
type assistantThread struct {
	// Context is the channel the user was viewing, from the
	// assistant_thread_started and assistant_thread_context_changed events.
	Context string `json:"context,omitempty"`
	// Titled is set once the thread got its title from the first question.
	Titled bool `json:"titled,omitempty"`
}

// assistantThreads remembers the assistant threads, in memory and in the
// state store, so a restart keeps their context channels.
type assistantThreads struct {
	mem *ttlCache[string, assistantThread]
	st  StateStore
	now func() time.Time
	log *slog.Logger
}

// loadAssistantThreads reads the live assistant threads of st.
func loadAssistantThreads(st StateStore, now func() time.Time, log *slog.Logger) (*assistantThreads, error) {
	a := &assistantThreads{mem: newTTLCache[string, assistantThread](maxRemembered, assistantLifetime, now), st: st, now: now, log: log}
	type entry struct {
		key     string
		val     assistantThread
		expires time.Time
	}
	var live []entry
	err := st.EachLive(assistantBucket, now(), func(k string, v []byte, expires time.Time) error {
		var t assistantThread
		if err := json.Unmarshal(v, &t); err != nil {
			log.Warn("unreadable assistant thread in the state; forgotten", "key", k, "err", err)
			return nil
		}
		live = append(live, entry{k, t, expires})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load assistant threads: %w", err)
	}
	// Oldest expiry first, as the cache keeps its order.
	slices.SortFunc(live, func(x, y entry) int { return x.expires.Compare(y.expires) })
	for _, e := range live {
		a.mem.putUntil(e.key, e.val, e.expires)
	}
	return a, nil
}

// get returns the thread at channel/threadTS, if it is an assistant thread.
func (a *assistantThreads) get(channel, threadTS string) (assistantThread, bool) {
	return a.mem.Get(channel + "/" + threadTS)
}

// update changes the thread at channel/threadTS and saves it.
func (a *assistantThreads) update(channel, threadTS string, fn func(*assistantThread)) {
	a.save(channel, threadTS, a.change(channel, threadTS, fn))
}

// change changes the thread at channel/threadTS in memory and returns it.
func (a *assistantThreads) change(channel, threadTS string, fn func(*assistantThread)) assistantThread {
	var changed assistantThread
	a.mem.Update(channel+"/"+threadTS, func(cur assistantThread, _ bool) assistantThread {
		fn(&cur)
		changed = cur
		return cur
	})
	return changed
}

// save writes the thread at channel/threadTS to the state store.
func (a *assistantThreads) save(channel, threadTS string, t assistantThread) {
	key := channel + "/" + threadTS
	v, err := json.Marshal(t)
	if err == nil {
		err = a.st.PutExpiringMany(assistantBucket, map[string][]byte{key: v}, a.now().Add(assistantLifetime))
	}
	if err != nil {
		a.log.Error("saving an assistant thread failed; it is kept in memory only", "key", key, "err", err)
	}
}

// planAssistantStarted remembers a new assistant thread with its context
// channel and offers the suggested prompts.
func (b *Bot) planAssistantStarted(e *slackevents.AssistantThreadStartedEvent) task {
	th := e.AssistantThread
	if th.ChannelID == "" || th.ThreadTimeStamp == "" {
		return task{}
	}
	// Known at once, so a question sent right away is already in it.
	saved := b.assistant.change(th.ChannelID, th.ThreadTimeStamp, func(t *assistantThread) { t.Context = th.Context.ChannelID })
	return task{run: func(ctx context.Context) {
		b.assistant.save(th.ChannelID, th.ThreadTimeStamp, saved)
		params := b.suggestedPrompts()
		params.ChannelID, params.ThreadTS = th.ChannelID, th.ThreadTimeStamp
		if err := b.api.SetAssistantThreadsSuggestedPromptsContext(ctx, params); err != nil {
			b.slackError("assistant.threads.setSuggestedPrompts", err)
		}
		b.log.Info("assistant thread started", "channel", th.ChannelID, "thread_ts", th.ThreadTimeStamp, "context_channel", th.Context.ChannelID)
	}}
}

// planAssistantContext remembers the channel the user now views beside an
// assistant thread.
func (b *Bot) planAssistantContext(e *slackevents.AssistantThreadContextChangedEvent) task {
	th := e.AssistantThread
	if th.ChannelID == "" || th.ThreadTimeStamp == "" {
		return task{}
	}
	saved := b.assistant.change(th.ChannelID, th.ThreadTimeStamp, func(t *assistantThread) { t.Context = th.Context.ChannelID })
	return task{run: func(context.Context) { b.assistant.save(th.ChannelID, th.ThreadTimeStamp, saved) }}
}

// suggestedPrompts are the prompts an assistant thread opens with, drawn
// from what is indexed.
func (b *Bot) suggestedPrompts() slack.AssistantThreadsSetSuggestedPromptsParameters {
	var p slack.AssistantThreadsSetSuggestedPromptsParameters
	cat, ok := b.svc.(Catalog)
	if ok && cat.ArticleCount() == 0 {
		p.Title = "No articles are indexed yet: add some first (feeds, `bot ingest`, or share a link with me)."
		p.AddPrompt("What can you do?", "help")
		return p
	}
	p.Title = "Ask about the news; every answer quotes the articles word for word."
	if ok {
		p.Title = fmt.Sprintf("Ask about the %s I have read; every answer quotes them word for word.", plural(cat.ArticleCount(), "article", "articles"))
	}
	p.AddPrompt("Brief me on today's stories", briefingPrompt)
	p.AddPrompt("Where do the outlets disagree?", "Where do the outlets disagree?")
	if ok {
		if heads := cat.NewestHeadlines(1); len(heads) > 0 && strings.TrimSpace(heads[0]) != "" {
			h := strings.TrimRight(strings.TrimSpace(heads[0]), ".!?:;,")
			p.AddPrompt("The newest story: "+truncateRunes(h, 60), "What is the latest on "+h+"?")
		}
	}
	p.AddPrompt("What can you do?", "help")
	return p
}

// briefingPrompt is the suggested prompt asking for the briefing; route
// sends it (and anything like it) to the briefing.
const briefingPrompt = "Brief me on today's stories"

// isBriefingAsk reports whether a message asks for the day's briefing.
func isBriefingAsk(t string) bool {
	t = strings.ToLower(strings.TrimRight(strings.TrimSpace(t), ".!? "))
	switch t {
	case "brief me on today's stories", "brief me on today’s stories", "brief me", "briefing", "today's briefing", "today’s briefing":
		return true
	}
	return false
}

// assistantTurn marks an assistant thread as busy with a question: it
// gives the thread its title from the first question and shows the
// "Searching N articles…" status.
func (b *Bot) assistantTurn(ctx context.Context, c conversation, question string) {
	if th, ok := b.assistant.get(c.channel, c.threadTS); ok && !th.Titled {
		title := truncateRunes(strings.Join(strings.Fields(question), " "), maxTitle)
		err := b.api.SetAssistantThreadsTitleContext(ctx, slack.AssistantThreadsSetTitleParameters{
			ChannelID: c.channel, ThreadTS: c.threadTS, Title: title})
		if err != nil {
			b.slackError("assistant.threads.setTitle", err)
		} else {
			b.assistant.update(c.channel, c.threadTS, func(t *assistantThread) { t.Titled = true })
		}
	}
	status := "Searching the articles…"
	if cat, ok := b.svc.(Catalog); ok {
		status = "Searching " + plural(cat.ArticleCount(), "article", "articles") + "…"
	}
	b.assistantStatus(ctx, c, status)
}

// assistantStatus shows status under an assistant thread ("" clears it;
// Slack clears it by itself when the bot replies).
func (b *Bot) assistantStatus(ctx context.Context, c conversation, status string) {
	err := b.api.SetAssistantThreadsStatusContext(ctx, slack.AssistantThreadsSetStatusParameters{
		ChannelID: c.channel, ThreadTS: c.threadTS, Status: status})
	if err != nil {
		b.slackError("assistant.threads.setStatus", err)
	}
}

// inAssistantThread makes c an assistant conversation when it is a
// message in an assistant thread, with the thread's context channel.
func (b *Bot) inAssistantThread(c *conversation) {
	if c.threadTS == "" {
		return
	}
	if th, ok := b.assistant.get(c.channel, c.threadTS); ok {
		c.surface, c.scope, c.react = surfaceAssistant, th.Context, false
	}
}

// ask asks the service a question. The answer's steps go to req.stream
// through ctx (answer.WithProgress), whichever way it is asked: through
// Asker when the service has it and the channel follows all the articles,
// else as the channel's settings say (answerIn: Service.Answer, or
// ScopedAnswerer for a channel that follows part of them).
func (b *Bot) ask(ctx context.Context, req request, history []answer.Turn) (answer.Answer, error) {
	p := req.stream.progress(ctx)
	ctx = answer.WithProgress(ctx, p)
	var ans answer.Answer
	var err error
	if a, ok := b.svc.(Asker); ok && b.channelScope(req.channel).IsZero() {
		ans, err = a.Ask(ctx, Question{Text: req.text, History: history, Channel: req.channel, Progress: p})
	} else {
		ans, err = b.answerIn(ctx, req.channel, req.text, history)
	}
	if err == nil {
		req.stream.answered(ans)
	}
	return ans, err
}
