package slackbot

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/briefing"
	"github.com/briefbot/briefbot/citation"
)

// Conversation memory: the threads the bot answered in, with their
// history, and the answers its buttons refer to. Both are kept in the
// store (bounded, expiring), so after a restart a follow-up in an old
// thread is answered with the thread's history without asking Slack for
// it (conversations.replies, which Slack rate-limits hard), and the
// buttons of old answers still work.
const (
	// threadsBucket and answersBucket hold the threads and the answers.
	threadsBucket = "slack_threads"
	answersBucket = "slack_answers"
	// memoryLifetime is how long a thread or an answer is kept after it
	// was last written.
	memoryLifetime = 14 * 24 * time.Hour
	// memoryFlushEvery is how often changes are saved, in one transaction.
	memoryFlushEvery = 250 * time.Millisecond
	// maxTurnRunes bounds one remembered question or answer.
	maxTurnRunes = 2000
	// maxTurnSources bounds the articles named under a remembered answer.
	maxTurnSources = 5
	// maxKeptAnswerBytes bounds a saved answer; a larger one (a very long
	// briefing) is kept without what re-renders it, so its feedback
	// buttons still work after a restart and its Share button says it
	// expired.
	maxKeptAnswerBytes = 64 << 10
)

// threadMemory is what the bot remembers of a thread it answered in.
type threadMemory struct {
	// turns are the questions and answers, oldest first: the history of a
	// follow-up.
	turns []answer.Turn
	// botTexts maps the timestamps of the bot's messages in the thread to
	// the answer they carried ("" for the continuation of a long answer).
	botTexts map[string]string
}

// storedAnswer is an answer the bot posted, kept so its buttons can share
// it and record feedback about it. Exactly one of result, lookup and brief
// is set, unless the answer was too large to keep whole.
type storedAnswer struct {
	kind      string
	question  string
	answer    string
	citations []citation.Citation
	channel   string
	// threadTS is the thread Share posts in ("" for the channel).
	threadTS string

	result *answer.Answer
	lookup *answer.SourceResult
	brief  *briefing.Briefing
}

// render renders the answer with o's header and buttons; nil when it was
// not kept whole.
func (s storedAnswer) render(o renderOpts) []message {
	switch {
	case s.result != nil:
		return renderAnswer(*s.result, o)
	case s.lookup != nil:
		return renderSource(*s.lookup, o)
	case s.brief != nil:
		return renderBriefing(*s.brief, o)
	}
	return nil
}

// whole reports whether the answer was kept whole, so it can be rendered.
func (s storedAnswer) whole() bool { return s.result != nil || s.lookup != nil || s.brief != nil }

// newConversationMemory loads the threads and answers kept in st.
func newConversationMemory(st StateStore, now func() time.Time, log *slog.Logger) (*keptMap[threadMemory], *keptMap[storedAnswer], error) {
	threads, err := newKeptMap(st, threadsBucket, maxRemembered, memoryLifetime, memoryFlushEvery, now, log, threadCodec)
	if err != nil {
		return nil, nil, fmt.Errorf("load conversation memory: %w", err)
	}
	answers, err := newKeptMap(st, answersBucket, maxRemembered, memoryLifetime, memoryFlushEvery, now, log, answerCodec)
	if err != nil {
		return nil, nil, fmt.Errorf("load conversation memory: %w", err)
	}
	return threads, answers, nil
}

// threadRecord is a threadMemory as saved.
type threadRecord struct {
	Turns    []answer.Turn     `json:"turns"`
	BotTexts map[string]string `json:"bot_texts,omitempty"`
}

var threadCodec = codec[threadMemory]{
	encode: func(m threadMemory) ([]byte, error) {
		return json.Marshal(threadRecord{Turns: m.turns, BotTexts: m.botTexts})
	},
	decode: func(raw []byte) (threadMemory, error) {
		var r threadRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return threadMemory{}, err
		}
		return threadMemory{turns: r.Turns, botTexts: r.BotTexts}, nil
	},
}

// answerRecord is a storedAnswer as saved.
type answerRecord struct {
	Kind     string               `json:"kind"`
	Question string               `json:"question"`
	Answer   string               `json:"answer"`
	Channel  string               `json:"channel,omitempty"`
	ThreadTS string               `json:"thread_ts,omitempty"`
	Result   *answer.Answer       `json:"result,omitempty"`
	Lookup   *answer.SourceResult `json:"lookup,omitempty"`
	Brief    *briefing.Briefing   `json:"briefing,omitempty"`
	// Sources names the cited articles when the answer was too large to
	// keep whole.
	Sources []citation.Citation `json:"sources,omitempty"`
}

var answerCodec = codec[storedAnswer]{
	encode: func(s storedAnswer) ([]byte, error) {
		r := answerRecord{Kind: s.kind, Question: s.question, Answer: s.answer, Channel: s.channel, ThreadTS: s.threadTS,
			Result: s.result, Lookup: s.lookup, Brief: s.brief}
		raw, err := json.Marshal(r)
		if err != nil || len(raw) <= maxKeptAnswerBytes {
			return raw, err
		}
		r.Result, r.Lookup, r.Brief, r.Sources = nil, nil, nil, s.citations
		r.Answer = truncateRunes(r.Answer, maxTurnRunes)
		return json.Marshal(r)
	},
	decode: func(raw []byte) (storedAnswer, error) {
		var r answerRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return storedAnswer{}, err
		}
		s := storedAnswer{kind: r.Kind, question: r.Question, answer: r.Answer, channel: r.Channel, threadTS: r.ThreadTS,
			result: r.Result, lookup: r.Lookup, brief: r.Brief, citations: r.Sources}
		switch {
		case r.Result != nil:
			s.citations = r.Result.Citations
		case r.Lookup != nil:
			s.citations = lookupCitations(*r.Lookup)
		case r.Brief != nil:
			s.citations = r.Brief.Citations
		}
		return s, nil
	},
}

// lookupCitations are the citations of a source lookup's matches.
func lookupCitations(r answer.SourceResult) []citation.Citation {
	cites := make([]citation.Citation, 0, len(r.Matches))
	for _, m := range r.Matches {
		cites = append(cites, m.Citation)
	}
	return cites
}

// turnText is how an answer is remembered in its thread's history: its
// text, then the articles it cited, so a follow-up ("what else does that
// article say?") can refer to them. Both are bounded.
func turnText(s storedAnswer) string {
	text := truncateRunes(s.answer, maxTurnRunes)
	var names []string
	seen := make(map[string]bool)
	for _, c := range s.citations {
		name := sourceLine(citation.Citation{Outlet: c.Outlet, Title: c.Title, Source: c.Source})
		if seen[name] {
			continue
		}
		seen[name] = true
		if len(names) == maxTurnSources {
			names = append(names, "…")
			break
		}
		names = append(names, fmt.Sprintf("[%d] %s", c.N, name))
	}
	if len(names) == 0 {
		return text
	}
	return text + "\nSources: " + strings.Join(names, "; ")
}
