package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/citation"
)

// modelService answers as the engine does with a model: through Asker,
// reporting to Question.Progress how many quotes it checks and each
// sentence once verified; and it knows what is indexed (Catalog).
type modelService struct {
	*fakeService
	articles  int
	headlines []string
	// diverge makes it report a sentence and then return another answer,
	// as when the model's time runs out during the verification.
	diverge bool
	// failWriting makes it fail once the model was asked.
	failWriting bool

	qmu       sync.Mutex
	questions []Question
}

func newModelService() *modelService {
	return &modelService{fakeService: &fakeService{}, articles: 609,
		headlines: []string{"Council approves £4.2m budget", "Older story"}}
}

func (m *modelService) Ask(ctx context.Context, q Question) (answer.Answer, error) {
	m.qmu.Lock()
	m.questions = append(m.questions, Question{Text: q.Text, History: q.History, Channel: q.Channel})
	m.qmu.Unlock()
	a, err := m.Answer(ctx, q.Text, q.History)
	if err != nil || !a.Grounded {
		return a, err
	}
	a.Mode, a.Notes = "model", nil
	a.Sentences = []answer.Sentence{
		{Text: "The council approved a £4.2m budget on Tuesday.", Citations: []int{1}},
		{Text: "Library spending rises by 4%.", Citations: []int{2}},
	}
	a.Answer = "The council approved a £4.2m budget on Tuesday. [1] Library spending rises by 4%. [2]"
	if q.Progress.Writing != nil {
		q.Progress.Writing(8)
	}
	if m.failWriting {
		return answer.Answer{}, errFake
	}
	if q.Progress.Checking != nil {
		q.Progress.Checking(len(a.Citations))
	}
	if m.diverge {
		q.Progress.Verified(a.Sentences[1], a.Citations[1:])
		a.Sentences = a.Sentences[:1]
		a.Answer = "The council approved a £4.2m budget on Tuesday. [1]"
		a.Notes = []string{answer.NoteUnverified}
		return a, nil
	}
	for _, s := range a.Sentences {
		if q.Progress.Verified != nil {
			q.Progress.Verified(s, []citation.Citation{a.Citations[s.Citations[0]-1]})
		}
	}
	return a, nil
}

func (m *modelService) ArticleCount() int { return m.articles }

func (m *modelService) NewestHeadlines(n int) []string {
	return m.headlines[:min(n, len(m.headlines))]
}

func (m *modelService) Questions() []Question {
	m.qmu.Lock()
	defer m.qmu.Unlock()
	return slices.Clone(m.questions)
}

// mode starts a bot in Socket Mode or behind the HTTP Events API, and
// sends it events the way that mode receives them.
type mode struct {
	name  string
	start func(t *testing.T, svc fakeBased, edit func(*Config)) (*harness, func(eventID string, inner map[string]any))
}

func modes() []mode {
	return []mode{
		{"socket", func(t *testing.T, svc fakeBased, edit func(*Config)) (*harness, func(string, map[string]any)) {
			h := startSocket(t, svc, edit)
			return h, func(id string, inner map[string]any) {
				env := "env-" + id
				h.sock.Send(eventsEnvelope(env, id, 0, inner))
				h.sock.WaitAck(t, env)
			}
		}},
		{"http", func(t *testing.T, svc fakeBased, edit func(*Config)) (*harness, func(string, map[string]any)) {
			h, srv := startHTTP(t, svc, edit)
			return h, func(id string, inner map[string]any) {
				resp := signedPost(t, srv, "/slack/events", "application/json", mustJSON(t, eventCallback(id, inner)), nil)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("event %s: got status %d, want 200", id, resp.StatusCode)
				}
				readBody(t, resp)
			}
		}},
	}
}

// assistantEvent is an assistant_thread_started or
// assistant_thread_context_changed event, as Slack sends it.
func assistantEvent(typ, channel, threadTS, user, contextChannel string) map[string]any {
	return map[string]any{"type": typ, "event_ts": threadTS, "assistant_thread": map[string]any{
		"user_id": user, "channel_id": channel, "thread_ts": threadTS,
		"context": map[string]any{"channel_id": contextChannel, "team_id": "T1", "enterprise_id": nil},
	}}
}

const (
	assistantDM = "D7"
	assistantTS = "1700000100.000100"
)

// TestAssistantThread: a started assistant thread gets suggested prompts
// drawn from what is indexed; a question in it gets the thread's title,
// the "Searching…" and "Checking…" statuses, then the answer in the
// thread, scoped to the context channel; the context channel follows the
// user and survives a restart.
func TestAssistantThread(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			dir := t.TempDir()
			st := openTestStore(t, dir)
			shared := func(c *Config) { c.DataDir, c.State = dir, st }
			svc := newModelService()
			h, send := m.start(t, svc, shared)

			send("EvA1", assistantEvent("assistant_thread_started", assistantDM, assistantTS, "U1", "C5"))
			p := h.fake.WaitCalls(t, "assistant.threads.setSuggestedPrompts", 1)[0]
			var prompts []struct{ Title, Message string }
			if err := json.Unmarshal([]byte(p.Form.Get("prompts")), &prompts); err != nil {
				t.Fatal(err)
			}
			var titles []string
			for _, pr := range prompts {
				titles = append(titles, pr.Title+" → "+pr.Message)
			}
			want := []string{
				"Brief me on today's stories → Brief me on today's stories",
				"Where do the outlets disagree? → Where do the outlets disagree?",
				"The newest story: Council approves £4.2m budget → What is the latest on Council approves £4.2m budget?",
				"What can you do? → help",
			}
			if !slices.Equal(titles, want) || p.Form.Get("thread_ts") != assistantTS || p.Form.Get("channel_id") != assistantDM {
				t.Errorf("got prompts %q in %s/%s, want %q in %s/%s", titles, p.Form.Get("channel_id"), p.Form.Get("thread_ts"), want, assistantDM, assistantTS)
			}
			if got := p.Form.Get("title"); !strings.Contains(got, "609 articles") {
				t.Errorf("got prompts title %q, want the article count", got)
			}

			const q1TS = "1700000101.000100"
			send("EvA2", messageEvent("im", assistantDM, "U1", q1TS, assistantTS, "What did the council approve?"))
			start := h.fake.WaitCalls(t, "chat.startStream", 1)[0]
			stop := h.fake.WaitCalls(t, "chat.stopStream", 1)[0]
			h.settle(t)
			streamed, _ := h.fake.Stream(assistantDM, stop.Form.Get("ts"))
			if start.Form.Get("thread_ts") != assistantTS || !streamed.Stopped ||
				streamed.Markdown != "The council approved a £4.2m budget on Tuesday. [1] Library spending rises by 4%. [2]" {
				t.Errorf("got stream in thread %q: %+v, want the answer in the thread %s", start.Form.Get("thread_ts"), streamed, assistantTS)
			}
			if n := len(h.fake.Calls("chat.postMessage")); n != 0 {
				t.Errorf("got %d chat.postMessage, want the streamed answer alone", n)
			}
			title := h.fake.Calls("assistant.threads.setTitle")
			if len(title) != 1 || title[0].Form.Get("title") != "What did the council approve?" {
				t.Errorf("got titles %+v, want the first question", title)
			}
			var statuses []string
			for _, c := range h.fake.Calls("assistant.threads.setStatus") {
				statuses = append(statuses, c.Form.Get("status"))
			}
			if want := []string{"Searching 609 articles…", "Writing from 8 passages…", "Checking 2 quotes…"}; !slices.Equal(statuses, want) {
				t.Errorf("got statuses %q, want %q", statuses, want)
			}
			if r := h.fake.Calls("reactions.add"); len(r) != 0 {
				t.Errorf("got reactions %+v in an assistant thread, want the status instead", r)
			}

			send("EvA3", assistantEvent("assistant_thread_context_changed", assistantDM, assistantTS, "U1", "C6"))
			h.settle(t)
			if h.sock != nil {
				h.stop(t)
			} else if err := h.bot.Wait(context.Background()); err != nil {
				t.Fatalf("Wait: %v", err)
			}

			// After a restart on the same store, the thread keeps its
			// context channel and its title.
			svc2 := newModelService()
			h2, send2 := m.start(t, svc2, shared)
			send2("EvA4", messageEvent("im", assistantDM, "U1", "1700000102.000100", assistantTS, "And the libraries?"))
			h2.fake.WaitCalls(t, "chat.stopStream", 1)
			h2.settle(t)
			qs := append(svc.Questions(), svc2.Questions()...)
			if len(qs) != 2 || qs[0].Channel != "C5" || qs[1].Channel != "C6" {
				t.Errorf("got questions %+v, want the first scoped to C5, the second (after the context change and a restart) to C6", qs)
			}
			if n := len(h2.fake.Calls("assistant.threads.setTitle")); n != 0 {
				t.Errorf("the thread got %d more titles after the restart, want 0", n)
			}
			transcript(t, "Assistant thread ("+m.name+")",
				"user opens the assistant beside #C5",
				"  → assistant.threads.setSuggestedPrompts: "+p.Form.Get("title"),
				"      "+strings.Join(titles, "\n      "),
				"user: What did the council approve?",
				"  → assistant.threads.setTitle: "+title[0].Form.Get("title"),
				"  → assistant.threads.setStatus: "+strings.Join(statuses, ", then "),
				"  → chat.startStream / appendStream / stopStream in the thread:", indent(streamed.Markdown), indent(screen(streamed.Blocks)),
				"user moves to #C6; after a restart: And the libraries? → answered scoped to "+qs[1].Channel)
		})
	}
}

// TestAssistantPromptsWithNothingIndexed: with no article the thread
// opens with one prompt and the advice to add articles first.
func TestAssistantPromptsWithNothingIndexed(t *testing.T) {
	svc := newModelService()
	svc.articles, svc.headlines = 0, nil
	h, send := modes()[0].start(t, svc, nil)
	send("EvE1", assistantEvent("assistant_thread_started", assistantDM, assistantTS, "U1", ""))
	p := h.fake.WaitCalls(t, "assistant.threads.setSuggestedPrompts", 1)[0]
	if got := p.Form.Get("title"); !strings.Contains(got, "add some first") {
		t.Errorf("got title %q, want the advice to add articles", got)
	}
	if got := p.Form.Get("prompts"); got != `[{"title":"What can you do?","message":"help"}]` {
		t.Errorf("got prompts %s, want the help prompt alone", got)
	}
}

// TestBriefingPrompt: the suggested "Brief me on today's stories" gets
// the briefing, not an answer.
func TestBriefingPrompt(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			h, send := m.start(t, nil, nil)
			send("EvB1", messageEvent("im", "D1", "U1", "1700000200.000100", "", briefingPrompt))
			p := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			h.settle(t)
			if got := len(h.svc.Briefings()); got != 1 || len(h.svc.Asks()) != 0 {
				t.Errorf("got %d briefings and %d questions, want the briefing alone", got, len(h.svc.Asks()))
			}
			if !strings.Contains(screen(p.Blocks), "Council passes budget") {
				t.Errorf("the reply is not the briefing:\n%s", screen(p.Blocks))
			}
		})
	}
}

// TestDirectMessageIndicator: a direct message gets :eyes: while the bot
// works, replaced by :white_check_mark: once the answer is posted; a
// failed answer only loses its :eyes:.
func TestDirectMessageIndicator(t *testing.T) {
	for _, m := range modes() {
		for _, fail := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/fail=%v", m.name, fail), func(t *testing.T) {
				svc := &fakeService{}
				if fail {
					svc.fail = errFake
				}
				h, send := m.start(t, svc, nil)
				const ts = "1700000300.000100"
				send("EvD1", messageEvent("im", "D1", "U1", ts, "", "Who approved the budget?"))
				h.fake.WaitCalls(t, "chat.postMessage", 1)
				h.settle(t)
				var adds []string
				for _, c := range h.fake.Calls("reactions.add") {
					adds = append(adds, c.Form.Get("name"))
				}
				wantAdds, wantNow := []string{"eyes", "white_check_mark"}, []string{"white_check_mark"}
				if fail {
					wantAdds, wantNow = []string{"eyes"}, nil
				}
				if !slices.Equal(adds, wantAdds) || !slices.Equal(h.fake.Reactions("D1", ts), wantNow) {
					t.Errorf("got reactions added %v, now %v; want %v, now %v", adds, h.fake.Reactions("D1", ts), wantAdds, wantNow)
				}
				var calls []string
				for _, c := range h.fake.Sequence("reactions.add", "reactions.remove", "chat.postMessage") {
					calls = append(calls, c.Method+" "+c.Form.Get("name"))
				}
				transcript(t, fmt.Sprintf("DM indicator (%s, answer fails: %v)", m.name, fail),
					"DM ana: Who approved the budget?",
					"  → "+strings.Join(calls, "\n  → "),
					fmt.Sprintf("  reactions on the message now: %v", h.fake.Reactions("D1", ts)))
			})
		}
	}
}

// TestAssistantThreadWithoutCatalog: with a Service that neither streams
// nor knows what is indexed, the prompts are the generic ones, the status
// says "Searching the articles…", and the answer is posted in the thread.
func TestAssistantThreadWithoutCatalog(t *testing.T) {
	for _, m := range modes() {
		t.Run(m.name, func(t *testing.T) {
			h, send := m.start(t, nil, nil)
			send("EvW1", assistantEvent("assistant_thread_started", assistantDM, assistantTS, "U1", "C5"))
			p := h.fake.WaitCalls(t, "assistant.threads.setSuggestedPrompts", 1)[0]
			if got := p.Form.Get("prompts"); strings.Contains(got, "newest") || !strings.Contains(got, "Where do the outlets disagree?") {
				t.Errorf("got prompts %s, want the generic ones", got)
			}
			send("EvW2", messageEvent("im", assistantDM, "U1", "1700000101.000100", assistantTS, "What did the council approve?"))
			post := h.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			h.settle(t)
			if post.Form.Get("thread_ts") != assistantTS || !strings.Contains(screen(post.Blocks), "> "+citeBudget.Quote) {
				t.Errorf("got answer in thread %q:\n%s", post.Form.Get("thread_ts"), screen(post.Blocks))
			}
			var seq []string
			for _, c := range h.fake.Sequence("assistant.threads.setStatus", "chat.postMessage", "chat.startStream") {
				seq = append(seq, c.Method+" "+c.Form.Get("status"))
			}
			if want := []string{"assistant.threads.setStatus Searching the articles…", "chat.postMessage "}; !slices.Equal(seq, want) {
				t.Errorf("got %q, want %q", seq, want)
			}
		})
	}
}
