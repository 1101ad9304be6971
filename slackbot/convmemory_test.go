package slackbot

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/store"
)

// TestMemorySurvivesRestart: a bot answers a mention in a thread and a
// slash command, and stops; a new bot on the same data directory (against
// a Slack that would not give the thread's messages) answers a follow-up
// in that thread with its history, without calling conversations.replies,
// and the old answers' buttons work: Share shares, Helpful records the
// question it was about. In Socket Mode and over HTTP.
func TestMemorySurvivesRestart(t *testing.T) {
	const threadTS = "1700000001.000100"
	for _, mode := range []string{"socket", "http"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			first, err := store.Open(dir, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			useDir := func(st StateStore) func(*Config) {
				return func(c *Config) { c.DataDir, c.State = dir, st }
			}

			// Before the restart.
			h1, c1 := startMode(t, mode, nil, useDir(first))
			q1 := "<@UBOT> What did the council approve?"
			c1.Event("Ev1", mentionEvent("C1", "U1", threadTS, "", q1))
			answer1 := h1.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			if ack := c1.Command(commandPayload("/ask", "Who approved the budget?", h1.fake.ResponseURL("cmd"))); !strings.Contains(ack, "Working on it") {
				t.Errorf("got command ack %q", ack)
			}
			private := h1.fake.WaitResponses(t, 1)[0]
			h1.settle(t)
			stopBot(t, h1)
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}

			// After the restart: a new process, a new connection.
			second := openTestStore(t, dir)
			h2, c2 := startMode(t, mode, nil, useDir(second))
			const followTS = "1800000050.000200"
			follow := "And how much goes to libraries?"
			c2.Event("Ev2", messageEvent("channel", "C1", "U1", followTS, threadTS, follow))
			reply := h2.fake.WaitCalls(t, "chat.postMessage", 1)[0]
			h2.settle(t)
			asks := h2.svc.Asks()
			want := []answer.Turn{{Role: "user", Text: "What did the council approve?"}, {Role: "assistant", Text: rememberedAnswer}}
			if len(asks) != 1 || asks[0].Question != follow || !reflect.DeepEqual(asks[0].History, want) {
				t.Errorf("got questions %+v, want %q with history %+v", asks, follow, want)
			}
			if got := reply.Form.Get("thread_ts"); got != threadTS {
				t.Errorf("got the follow-up answered in thread %q, want %s", got, threadTS)
			}
			if n := len(h2.fake.Attempts("conversations.replies")); n != 0 {
				t.Errorf("got %d conversations.replies calls, want none", n)
			}

			shareRef := buttonValue(t, private.Blocks, actionShare)
			c2.Interaction(blockActionPayload("U1", "C1", "1800000000.000009", actionShare, shareRef, h2.fake.ResponseURL("share")))
			shared := h2.fake.WaitResponses(t, 1)[0]
			if shown := screen(shared.Blocks); shared.ResponseType != "in_channel" || !strings.Contains(shown, "Daily Ledger") || strings.Contains(shown, "expired") {
				t.Errorf("got Share after the restart as %q:\n%s\nwant the answer in the channel", shared.ResponseType, shown)
			}
			helpRef := buttonValue(t, answer1.Blocks, actionHelpful)
			click := blockActionPayload("U1", "C1", answer1.Form.Get("ts"), actionHelpful, helpRef, h2.fake.ResponseURL("fb"))
			click["trigger_id"] = "1.2.4"
			c2.Interaction(click)
			h2.fake.WaitResponses(t, 2)
			h2.settle(t)
			for _, r := range h2.fake.Responses() {
				if strings.Contains(r.Text, "expired") {
					t.Errorf("a button said %q after the restart", r.Text)
				}
			}
			recs, err := h2.bot.feedback.List()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 || recs[0].Question != "What did the council approve?" || len(recs[0].Citations) != 2 {
				t.Errorf("got feedback %+v, want one record about the first question with its 2 citations", recs)
			}
			transcript(t, "Conversation memory across a restart ("+mode+")",
				"#news  ana: @briefbot What did the council approve?",
				"  thread reply from briefbot:", indent(screen(answer1.Blocks)),
				"(the bot restarts on the same BOT_DATA_DIR)",
				"  ana (in thread, no mention): "+follow,
				fmt.Sprintf("  briefbot asks the composer with history %q", asks[0].History),
				"  thread reply from briefbot (no conversations.replies call):", indent(screen(reply.Blocks)),
				"ana clicks [Share in channel] on her /ask answer from before the restart:", indent(screen(shared.Blocks)))
		})
	}
}

// stopBot stops a harness's bot as a shutdown does: Run returns (Socket
// Mode) or Wait (HTTP), saving what it keeps.
func stopBot(t testing.TB, h *harness) {
	t.Helper()
	if h.cancel != nil {
		h.stop(t)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := h.bot.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
}

// TestKeptMapBounded: past its bound the oldest entries go, from memory
// and from the store, and a new process loads only the live ones.
func TestKeptMapBounded(t *testing.T) {
	st := openTestStore(t, t.TempDir())
	now := time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	m, err := newKeptMap(st, threadsBucket, 3, time.Hour, time.Hour, clock, testLogger(t), threadCodec)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		m.Put(fmt.Sprintf("C1/%d", i), threadMemory{turns: []answer.Turn{{Role: "user", Text: fmt.Sprint(i)}}})
		now = now.Add(time.Minute)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	saved := 0
	if err := st.EachLive(threadsBucket, now, func(string, []byte, time.Time) error { saved++; return nil }); err != nil {
		t.Fatal(err)
	}
	if saved != 3 {
		t.Errorf("got %d entries live in the store, want 3", saved)
	}
	tests := []struct {
		name  string
		after time.Duration
		key   string
		found bool
	}{
		{"newest", 0, "C1/4", true},
		{"oldest kept", 0, "C1/2", true},
		{"pushed out", 0, "C1/1", false},
		{"expired", 2 * time.Hour, "C1/4", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := now.Add(tt.after)
			again, err := newKeptMap(st, threadsBucket, 3, time.Hour, time.Hour, func() time.Time { return at }, testLogger(t), threadCodec)
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			got, ok := again.Get(tt.key)
			if ok != tt.found {
				t.Fatalf("got %s found=%v, want %v", tt.key, ok, tt.found)
			}
			if ok && got.turns[0].Text != strings.TrimPrefix(tt.key, "C1/") {
				t.Errorf("got %+v for %s", got, tt.key)
			}
		})
	}
}

// TestAnswerCodec: a kept answer comes back whole, with its citations; one
// too large to keep whole keeps its question and sources.
func TestAnswerCodec(t *testing.T) {
	a := answer.Answer{Question: "q", Answer: "The council approved it [1].", Grounded: true, Citations: []citation.Citation{citeBudget}}
	big := a
	big.Answer = strings.Repeat("long ", maxKeptAnswerBytes/4)
	lookup := answer.SourceResult{Text: "x", Matches: []answer.SourceMatch{{Citation: citeSpending, Exact: true}}}
	tests := []struct {
		name      string
		in        storedAnswer
		wantWhole bool
	}{
		{"answer", storedAnswer{kind: kindAsk, question: "q", answer: a.Answer, citations: a.Citations, result: &a, threadTS: "1.2"}, true},
		{"source lookup", storedAnswer{kind: kindSource, question: "x", answer: "Found", citations: []citation.Citation{citeSpending}, lookup: &lookup}, true},
		{"too large", storedAnswer{kind: kindAsk, question: "q", answer: big.Answer, citations: a.Citations, result: &big}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := answerCodec.encode(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(raw) > maxKeptAnswerBytes {
				t.Errorf("got %d bytes kept, want at most %d", len(raw), maxKeptAnswerBytes)
			}
			got, err := answerCodec.decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			if got.whole() != tt.wantWhole || got.question != tt.in.question || got.kind != tt.in.kind || got.threadTS != tt.in.threadTS ||
				!reflect.DeepEqual(got.citations, tt.in.citations) {
				t.Errorf("got %+v (whole %v), want %+v (whole %v)", got, got.whole(), tt.in, tt.wantWhole)
			}
		})
	}
}

// TestThreadMemoryBounded: a thread keeps its latest turns only, each cut
// to maxTurnRunes, and names at most maxTurnSources articles per answer.
func TestThreadMemoryBounded(t *testing.T) {
	h := newHarness(t, nil, nil)
	defer stopBot(t, h) // stops the memory's writer
	long := strings.Repeat("word ", maxTurnRunes)
	for i := range 3 * maxHistoryTurns {
		h.bot.rememberTurns("C1", "1.0", fmt.Sprintf("question %d %s", i, long), "answer")
	}
	mem, ok := h.bot.threads.Get("C1/1.0")
	if !ok {
		t.Fatal("the thread is not remembered")
	}
	if len(mem.turns) != 2*maxHistoryTurns {
		t.Errorf("got %d turns kept, want %d", len(mem.turns), 2*maxHistoryTurns)
	}
	if first := mem.turns[0].Text; !strings.HasPrefix(first, fmt.Sprintf("question %d ", 2*maxHistoryTurns)) || len([]rune(first)) > maxTurnRunes {
		t.Errorf("got first kept turn %.40q… (%d runes), want question %d cut to %d runes", first, len([]rune(first)), 2*maxHistoryTurns, maxTurnRunes)
	}
	var cites []citation.Citation
	for i := range 8 {
		cites = append(cites, citation.Citation{N: i + 1, Outlet: fmt.Sprintf("Outlet %d", i), Title: "T"})
	}
	text := turnText(storedAnswer{answer: "A [1].", citations: cites})
	if want := "A [1].\nSources: [1] Outlet 0 · T; [2] Outlet 1 · T; [3] Outlet 2 · T; [4] Outlet 3 · T; [5] Outlet 4 · T; …"; text != want {
		t.Errorf("got %q, want %q", text, want)
	}
}
