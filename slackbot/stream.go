package slackbot

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/citation"
)

// answerStream streams one model answer into its thread with Slack's
// chat.startStream, chat.appendStream and chat.stopStream, showing only
// what is verified: the progress steps (articles searched, quotes being
// checked) as task cards, then each sentence of the answer once its quotes
// have passed verification (answer.Progress), never the model's raw text.
// The sources, notes and buttons come with chat.stopStream. An answer
// that reports no progress (an extractive one, or a Service without
// Asker), a conversation without a thread, and a workspace or channel that
// refuses to stream get the answer in one chat.postMessage instead; a
// channel that refused is not asked again for an hour.
//
// Its methods run on the goroutine answering the conversation, one at a
// time; a nil *answerStream streams nothing.
type answerStream struct {
	b    *Bot
	c    conversation
	team string // recipient_team_id, for streams outside direct messages

	ts       string            // the streaming message, once started
	refused  bool              // Slack refused to start the stream
	broken   bool              // an append failed: the answer is posted whole
	passages int               // passages the model writes from
	quotes   int               // quotes being checked
	streamed []answer.Sentence // sentences shown so far
	final    *answer.Answer    // the answer the service returned
}

// Task card IDs of the progress steps.
const (
	taskSearch = "search"
	taskWrite  = "write"
	taskCheck  = "check"
)

// streamRefusalMemory is how long a channel where Slack refused to stream
// gets its answers posted without asking again.
const streamRefusalMemory = time.Hour

// newAnswerStream returns the stream for an answer to req in c, and sets
// req.stream to it when the answer may be streamed: questions (not
// source lookups or briefings) asked in a thread.
func (b *Bot) newAnswerStream(me identity, c conversation, req *request) *answerStream {
	st := &answerStream{b: b, c: c, team: me.teamID}
	if _, refused := b.noStream.Get(c.channel); req.kind == kindAsk && c.threadTS != "" && !refused {
		req.stream = st
	}
	return st
}

// progress returns what the answer tells of its steps.
func (st *answerStream) progress(ctx context.Context) answer.Progress {
	if st == nil {
		return answer.Progress{}
	}
	return answer.Progress{
		Writing:  func(n int) { st.writing(ctx, n) },
		Checking: func(n int) { st.checking(ctx, n) },
		Verified: func(s answer.Sentence, _ []citation.Citation) { st.verified(ctx, s) },
	}
}

// answered keeps the answer the service returned.
func (st *answerStream) answered(a answer.Answer) {
	if st != nil {
		st.final = &a
	}
}

// started reports whether the answer is being streamed.
func (st *answerStream) started() bool { return st != nil && st.ts != "" }

// writing is told the model is writing the answer from n passages: the
// assistant thread's status says so, and the stream starts with the steps
// so far.
func (st *answerStream) writing(ctx context.Context, n int) {
	status := "Writing from " + plural(n, "passage", "passages") + "…"
	if st.c.surface == surfaceAssistant {
		st.b.assistantStatus(ctx, st.c, status)
	}
	write := slack.NewTaskUpdateChunk(taskWrite, status)
	write.Status = slack.TaskCardStatusInProgress
	st.passages = n
	st.start(ctx, write)
}

// checking is told the model's reply gives n quotes: the assistant
// thread's status says so, and the stream shows the step.
func (st *answerStream) checking(ctx context.Context, n int) {
	st.quotes = n
	checking := "Checking " + plural(n, "quote", "quotes") + "…"
	if st.c.surface == surfaceAssistant {
		st.b.assistantStatus(ctx, st.c, checking)
	}
	check := slack.NewTaskUpdateChunk(taskCheck, checking)
	check.Status = slack.TaskCardStatusInProgress
	if st.ts == "" {
		st.start(ctx, check)
		return
	}
	write := slack.NewTaskUpdateChunk(taskWrite, "Written from "+plural(st.passages, "passage", "passages"))
	write.Status = slack.TaskCardStatusComplete
	st.append(ctx, write, check)
}

// start starts the stream in the thread with the search done and step,
// unless it is started or Slack refused it.
func (st *answerStream) start(ctx context.Context, step slack.TaskUpdateChunk) {
	if st.ts != "" || st.refused {
		return
	}
	searched := "Searched the articles"
	if cat, ok := st.b.svc.(Catalog); ok {
		searched = "Searched " + plural(cat.ArticleCount(), "article", "articles")
	}
	search := slack.NewTaskUpdateChunk(taskSearch, searched)
	search.Status = slack.TaskCardStatusComplete
	opts := []slack.MsgOption{slack.MsgOptionTS(st.c.threadTS), slack.MsgOptionChunks(search, step)}
	if st.c.surface != surfaceDM && st.c.surface != surfaceAssistant {
		// Outside direct messages Slack streams to one person.
		opts = append(opts, slack.MsgOptionRecipientUserID(st.c.user), slack.MsgOptionRecipientTeamID(st.team))
	}
	_, ts, err := st.b.api.StartStreamContext(ctx, st.c.channel, opts...)
	if err != nil {
		st.refused = true
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			st.b.noStream.Put(st.c.channel, struct{}{})
		}
		st.b.metrics.slackErrors.WithLabelValues("chat.startStream").Inc()
		st.b.log.Info("slack did not start a stream; the answer is posted when done", "channel", st.c.channel, "err", err)
		return
	}
	st.ts = ts
}

// append adds chunks to the stream; a failure makes the answer be posted
// whole when done.
func (st *answerStream) append(ctx context.Context, chunks ...slack.StreamChunk) bool {
	if st.ts == "" || st.broken {
		return false
	}
	if _, _, err := st.b.api.AppendStreamContext(ctx, st.c.channel, st.ts, slack.MsgOptionChunks(chunks...)); err != nil {
		st.broken = true
		st.b.slackError("chat.appendStream", err)
		return false
	}
	return true
}

// verified streams a sentence whose quotes passed verification.
func (st *answerStream) verified(ctx context.Context, s answer.Sentence) {
	text := escapeMarkdown(s.Text) + s.Marks()
	if len(st.streamed) > 0 {
		text = " " + text
	}
	if st.append(ctx, slack.NewMarkdownTextChunk(text)) {
		st.streamed = append(st.streamed, s)
	}
}

// finish delivers the answer s (referenced by ref for its buttons) and
// returns the timestamps of the bot's messages: when it was streamed, the
// stream is stopped with the sources, notes and buttons below it; else
// it is posted. When what was streamed is not the final answer (the model's
// time ran out and the answer was extracted instead, or an append
// failed), the stream is closed and the whole answer posted after it.
func (st *answerStream) finish(ctx context.Context, s storedAnswer, ref string) []string {
	b, c := st.b, st.c
	if st.ts == "" {
		return b.post(ctx, c.channel, c.threadTS, s.render(renderOpts{ref: ref}))
	}
	a := st.final
	whole := a == nil || st.broken || !sameSentences(st.streamed, a.Sentences)
	check := slack.NewTaskUpdateChunk(taskCheck, "Checked "+plural(st.quotes, "quote", "quotes"))
	check.Status = slack.TaskCardStatusComplete
	opts := []slack.MsgOption{slack.MsgOptionChunks(check)}
	var rest []message
	if !whole {
		tail := answerTailUnits(*a)
		var msgs []message
		if len(tail) > 0 {
			msgs = pack(tail, renderOpts{ref: ref})
		} else {
			msgs = []message{{Blocks: []slack.Block{actionsBlock(renderOpts{ref: ref})}}}
		}
		opts = append(opts, slack.MsgOptionBlocks(msgs[0].Blocks...))
		rest = msgs[1:]
	}
	tss := []string{st.ts}
	if _, _, err := b.api.StopStreamContext(ctx, c.channel, st.ts, opts...); err != nil {
		b.slackError("chat.stopStream", err)
		whole = true
	}
	if whole {
		return append(tss, b.post(ctx, c.channel, c.threadTS, s.render(renderOpts{ref: ref}))...)
	}
	if len(rest) > 0 {
		tss = append(tss, b.post(ctx, c.channel, c.threadTS, rest)...)
	}
	return tss
}

// abandon closes a stream whose answer failed; the apology follows it.
func (st *answerStream) abandon(ctx context.Context) {
	if !st.started() {
		return
	}
	check := slack.NewTaskUpdateChunk(taskCheck, "Could not finish the answer")
	check.Status = slack.TaskCardStatusError
	if _, _, err := st.b.api.StopStreamContext(ctx, st.c.channel, st.ts, slack.MsgOptionChunks(check)); err != nil {
		var se slack.SlackErrorResponse
		if !errors.As(err, &se) || se.Err != "message_not_in_streaming_state" {
			st.b.slackError("chat.stopStream", err)
		}
	}
}

// sameSentences reports whether the streamed sentences are the answer's.
func sameSentences(a, b []answer.Sentence) bool {
	return slices.EqualFunc(a, b, func(x, y answer.Sentence) bool {
		return x.Text == y.Text && slices.Equal(x.Citations, y.Citations)
	})
}

// markdownEscaper escapes what Markdown would read as formatting or links
// in an article's words.
var markdownEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`",
	"[", `\[`, "]", `\]`)

// escapeMarkdown makes s show as written in a markdown_text chunk.
func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }
