package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/llm/llmtest"
	"github.com/briefbot/briefbot/prompts"
	"github.com/briefbot/briefbot/sentence"
)

// modelAnswer is the part of `ask --json` these tests read beyond
// jsonAnswer.
type modelAnswer struct {
	Mode  string   `json:"mode"`
	Notes []string `json:"notes"`
}

func decodeModelAnswers(tb testing.TB, out string) []modelAnswer {
	tb.Helper()
	var answers []modelAnswer
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var a modelAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			tb.Fatalf("line is not a JSON answer: %v", err)
		}
		answers = append(answers, a)
	}
	return answers
}

var passageRE = regexp.MustCompile(`(?s)<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>`)

// quotingModel answers every answer prompt with the first sentence of
// eight words or more of passage 1, quoted verbatim.
func quotingModel(r llmtest.Request) llmtest.Reply {
	if r.Kind != llmtest.KindChat {
		return llmtest.Reply{}
	}
	if text, ok := firstLongSentence(r); ok {
		return llmtest.JSON(prompts.AnswerReply{Grounded: true, Disagreements: []prompts.ReplyDisagreement{},
			Sentences: []prompts.ReplySentence{{Text: "The first passage says so.", Citations: []int{1},
				Quotes: []prompts.ReplyQuote{{Citation: 1, Text: text}}}}})
	}
	return llmtest.JSON(prompts.AnswerReply{Sentences: []prompts.ReplySentence{}, Disagreements: []prompts.ReplyDisagreement{}})
}

// firstLongSentence returns the first sentence of eight words or more of
// passage 1 of an answer prompt.
func firstLongSentence(r llmtest.Request) (string, bool) {
	user := ""
	for _, m := range r.Messages {
		if m.Role == "user" {
			user = m.Content
		}
	}
	for _, m := range passageRE.FindAllStringSubmatch(user, -1) {
		if n, _ := strconv.Atoi(m[1]); n != 1 {
			continue
		}
		for _, s := range sentence.Split(m[2]) {
			if text := m[2][s.Start:s.End]; len(strings.Fields(text)) >= 8 {
				return text, true
			}
		}
	}
	return "", false
}

func modelEnv(srv *llmtest.Server) env {
	return env{"OPENAI_BASE_URL": srv.URL, "OPENAI_API_KEY": srv.APIKey}
}

func TestAskWithModel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		env                  func(srv *llmtest.Server) env
		wantLists, wantChats int // requests the server sees: the check, then the answer
	}{
		{"OpenAI-compatible", modelEnv, 1, 1},
		{"Azure OpenAI", func(srv *llmtest.Server) env {
			return env{"AZURE_OPENAI_ENDPOINT": srv.AzureEndpoint, "AZURE_OPENAI_DEPLOYMENT": "briefbot-chat", "OPENAI_API_KEY": srv.APIKey}
		}, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.WithHandler(quotingModel))
			out, errOut, code := runBot(t, tt.env(srv), "", "ask", "--json", "What did the White House say about US troops in Ukraine?")
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			answers := decodeAnswers(t, out)
			extra := decodeModelAnswers(t, out)
			if len(answers) != 1 {
				t.Fatalf("got %d answers, want 1", len(answers))
			}
			a, m := answers[0], extra[0]
			if m.Mode != "model" || len(m.Notes) != 0 {
				t.Errorf("mode %q with notes %q, want model without notes", m.Mode, m.Notes)
			}
			if a.Grounded == nil || !*a.Grounded || len(a.Citations) != 1 {
				t.Fatalf("want a grounded answer with one citation: %+v", a)
			}
			for _, c := range a.Citations {
				text := seedText(t, c.Source)
				if c.Start < 0 || c.End > len(text) || text[c.Start:c.End] != c.Quote {
					t.Errorf("citation [%d] quote %q is not %s[%d:%d]", c.N, c.Quote, c.Source, c.Start, c.End)
				}
			}
			if !strings.HasSuffix(a.Answer, "[1]") {
				t.Errorf("answer = %q, want it to cite [1]", a.Answer)
			}
			var lists, chats int
			for _, r := range srv.Requests() {
				switch r.Kind {
				case llmtest.KindModels:
					lists++
				case llmtest.KindChat:
					chats++
					if r.Azure && r.Deployment != "briefbot-chat" {
						t.Errorf("Azure deployment %q, want briefbot-chat", r.Deployment)
					}
				case llmtest.KindEmbeddings:
					t.Errorf("an embeddings request without BOT_MODEL_EMBEDDINGS")
				}
			}
			if lists != tt.wantLists || chats != tt.wantChats {
				t.Errorf("the server saw %d model lists and %d chats, want %d and %d", lists, chats, tt.wantLists, tt.wantChats)
			}
		})
	}
}

func TestModelStartUp(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(nil)
	closedURL := closed.URL + "/v1"
	closed.Close()
	tests := []struct {
		name       string
		env        func(srv *llmtest.Server) env
		wantCode   int
		wantStderr string // one line, after "bot: "
		wantNote   string // for an answer that falls back
	}{
		{
			name: "wrong key",
			env: func(srv *llmtest.Server) env {
				return env{"OPENAI_BASE_URL": srv.URL, "OPENAI_API_KEY": "sk-wrong-key-1234"}
			},
			wantCode:   1,
			wantStderr: "the model server at %s rejected the API key (401): check OPENAI_API_KEY",
		},
		{
			name: "unknown chat model",
			env: func(srv *llmtest.Server) env {
				e := modelEnv(srv)
				e["OPENAI_CHAT_MODEL"] = "gpt-nonexistent"
				return e
			},
			wantCode:   1,
			wantStderr: `the model server at %s does not serve the model "gpt-nonexistent" (404): check OPENAI_CHAT_MODEL (it offers gpt-4o-mini, text-embedding-3-small)`,
		},
		{
			name: "unknown embedding model",
			env: func(srv *llmtest.Server) env {
				e := modelEnv(srv)
				e["BOT_MODEL_EMBEDDINGS"] = "true"
				e["OPENAI_EMBED_MODEL"] = "embed-nonexistent"
				return e
			},
			wantCode:   1,
			wantStderr: `the model server refused to embed with "embed-nonexistent" (not_found 404): check OPENAI_EMBED_MODEL, or set BOT_MODEL_EMBEDDINGS=false to embed locally`,
		},
		{
			name:       "malformed base URL",
			env:        func(srv *llmtest.Server) env { return env{"OPENAI_BASE_URL": "localhost:11434", "OPENAI_API_KEY": "k"} },
			wantCode:   1,
			wantStderr: "OPENAI_BASE_URL must be an http:// or https:// URL such as http://localhost:11434/v1",
		},
		{
			name:     "server down: answers are extracted",
			env:      func(srv *llmtest.Server) env { return env{"OPENAI_BASE_URL": closedURL, "BOT_ANSWER_TIMEOUT": "1s"} },
			wantNote: answer.NoteUnavailable,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t)
			out, errOut, code := runBot(t, tt.env(srv), "", "ask", "--json", "What did Sergei Lavrov say about security guarantees?")
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, errOut)
			}
			if tt.wantStderr != "" {
				want := "bot: " + strings.ReplaceAll(tt.wantStderr, "%s", srv.URL) + "\n"
				if errOut != want {
					t.Errorf("stderr:\n%q\nwant:\n%q", errOut, want)
				}
				if out != "" {
					t.Errorf("stdout = %q, want nothing", out)
				}
				if n := len(srv.Requests(llmtest.KindChat)); n > 1 {
					t.Errorf("the server saw %d chat requests, want at most the check's", n)
				}
				return
			}
			m := decodeModelAnswers(t, out)
			if len(m) != 1 || m[0].Mode != "extractive" || !strings.HasPrefix(strings.Join(m[0].Notes, " "), tt.wantNote) {
				t.Errorf("got %+v, want one extractive answer with a note starting %q", m, tt.wantNote)
			}
			if a := decodeAnswers(t, out); len(a) != 1 || !*a[0].Grounded {
				t.Errorf("want a grounded extractive answer: %+v", a)
			}
			if !strings.Contains(errOut, "model server is unavailable") {
				t.Errorf("stderr does not warn that the model server is unavailable:\n%s", errOut)
			}
		})
	}
}

// TestAskModelFailing checks that a model server that fails every answer
// still gets the user an answer, extracted, with a note, within the
// answer's deadline.
func TestAskModelFailing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   llmtest.Reply
		timeout time.Duration // BOT_ANSWER_TIMEOUT; the model gets two thirds
		wantLog string        // stderr (the log) must say this
	}{
		// Room for the request to reach the server on a busy machine.
		{"500", llmtest.Status(500, ""), 6 * time.Second, "server error 500"},
		{"hang", llmtest.Hang(), time.Second, "no reply within 667ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.WithHandler(func(r llmtest.Request) llmtest.Reply {
				if r.Kind != llmtest.KindChat {
					return llmtest.Reply{} // the start-up check passes
				}
				return tt.reply
			}))
			e := modelEnv(srv)
			e["BOT_ANSWER_TIMEOUT"] = tt.timeout.String()
			start := time.Now()
			out, errOut, code := runBot(t, e, "", "ask", "--json", "How long did Trump's call with Putin last?")
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, errOut)
			}
			if d := time.Since(start); d > tt.timeout+4*time.Second {
				t.Errorf("ask took %v with a %v answer deadline", d, tt.timeout)
			}
			m := decodeModelAnswers(t, out)
			if len(m) != 1 || m[0].Mode != "extractive" || strings.Join(m[0].Notes, " ") != answer.NoteUnavailable {
				t.Errorf("got %+v, want one extractive answer with the note %q", m, answer.NoteUnavailable)
			}
			if !strings.Contains(errOut, tt.wantLog) {
				t.Errorf("stderr:\n%s\nwant the log to say %q", errOut, tt.wantLog)
			}
			a := decodeAnswers(t, out)
			if len(a) != 1 || !*a[0].Grounded || len(a[0].Citations) == 0 {
				t.Errorf("want a grounded extractive answer with citations: %+v", a)
			}
			if n := len(srv.Requests(llmtest.KindChat)); n < 1 || n > 4 {
				t.Errorf("the server saw %d chat requests, want 1 to 4 (bounded retries)", n)
			}
		})
	}
}

// TestModelEmbeddings checks the index embedding through the model
// server: in batches, once per model, re-embedding when the model changes.
func TestModelEmbeddings(t *testing.T) {
	t.Parallel()
	srv := llmtest.NewServer(t, llmtest.WithHandler(quotingModel),
		llmtest.WithModels(llmtest.DefaultChatModel, llmtest.DefaultEmbedModel, "other-embed"))
	data := t.TempDir()
	const question = "What gift did Zelenskyy give Trump?"
	steps := []struct {
		name       string
		set        map[string]string
		wantChunks bool // the seeds are embedded through the server
	}{
		{"first start embeds the seeds", map[string]string{"BOT_MODEL_EMBEDDINGS": "true"}, true},
		{"second start embeds only the probe and the question", map[string]string{"BOT_MODEL_EMBEDDINGS": "true"}, false},
		{"another embedding model re-embeds", map[string]string{"BOT_MODEL_EMBEDDINGS": "true", "OPENAI_EMBED_MODEL": "other-embed"}, true},
		{"local embeddings: no request", map[string]string{"BOT_MODEL_EMBEDDINGS": "false"}, false},
	}
	for _, st := range steps {
		before := len(srv.Requests(llmtest.KindEmbeddings))
		e := modelEnv(srv)
		e["BOT_DATA_DIR"] = data
		for k, v := range st.set {
			e[k] = v
		}
		out, errOut, code := runBot(t, e, "", "ask", "--json", question)
		if code != 0 {
			t.Fatalf("%s: exit %d, stderr:\n%s", st.name, code, errOut)
		}
		if m := decodeModelAnswers(t, out); len(m) != 1 || m[0].Mode != "model" {
			t.Errorf("%s: got %+v, want a model answer", st.name, m)
		}
		reqs := srv.Requests(llmtest.KindEmbeddings)[before:]
		inputs, biggest := 0, 0
		for _, r := range reqs {
			inputs += len(r.Input)
			biggest = max(biggest, len(r.Input))
			if want := e["OPENAI_EMBED_MODEL"]; want != "" && r.Model != want {
				t.Errorf("%s: embeddings with model %q, want %q", st.name, r.Model, want)
			}
		}
		t.Logf("%s: %d embeddings requests, %d texts, at most %d in one", st.name, len(reqs), inputs, biggest)
		switch {
		case e["BOT_MODEL_EMBEDDINGS"] == "false" && len(reqs) != 0:
			t.Errorf("%s: %d embeddings requests, want none", st.name, len(reqs))
		case e["BOT_MODEL_EMBEDDINGS"] == "false":
		case st.wantChunks && (inputs < 20 || biggest < 2 || len(reqs) >= inputs):
			t.Errorf("%s: %d requests for %d texts, at most %d in one; want the seeds' chunks, batched", st.name, len(reqs), inputs, biggest)
		case !st.wantChunks && inputs != 2:
			t.Errorf("%s: %d texts embedded, want 2 (the start-up probe and the question)", st.name, inputs)
		}
	}
}

// vec is the fake embedding of a text: its length.
func vec(text string) []float32 { return []float32{float32(len(text)), 1} }

func TestEmbedBatcherBatches(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var sizes []int
	gate := make(chan struct{})
	b := newEmbedBatcher(func(ctx context.Context, texts []string) ([][]float32, error) {
		mu.Lock()
		first := len(sizes) == 0
		sizes = append(sizes, len(texts))
		mu.Unlock()
		if first {
			<-gate // hold the first request so that the others queue up
		}
		out := make([][]float32, len(texts))
		for i, s := range texts {
			out[i] = vec(s)
		}
		return out, nil
	}, 8)
	const n = 40
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text := strings.Repeat("x", i+1)
			v, err := b.embedOne(context.Background(), text)
			if err == nil && (len(v) != 2 || v[0] != float32(i+1)) {
				err = fmt.Errorf("text %d got vector %v", i, v)
			}
			errs[i] = err
		}()
	}
	waitQueue(t, b, n-1)
	close(gate)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range sizes {
		total += s
		if s > 8 {
			t.Errorf("a batch of %d texts, want at most 8", s)
		}
	}
	if total != n || len(sizes) != 1+(n-1+7)/8 {
		t.Errorf("batches %v: want %d texts in 1 + %d full batches", sizes, n, (n-1+7)/8)
	}
}

// waitQueue waits until n callers are queued in b.
func waitQueue(tb testing.TB, b *embedBatcher, n int) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		got := len(b.queue)
		b.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d callers queued, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestEmbedBatcherGivingUp checks that a caller who gives up fails alone:
// a sender's batch goes to the next caller, and a waiting caller leaves
// the queue.
func TestEmbedBatcherGivingUp(t *testing.T) {
	t.Parallel()
	gate := make(chan struct{})
	var mu sync.Mutex
	var sent [][]string
	b := newEmbedBatcher(func(ctx context.Context, texts []string) ([][]float32, error) {
		mu.Lock()
		sent = append(sent, texts)
		mu.Unlock()
		switch texts[0] {
		case "first":
			<-gate
		case "sender":
			<-ctx.Done() // hangs until its sender gives up
			return nil, ctx.Err()
		}
		out := make([][]float32, len(texts))
		for i, s := range texts {
			out[i] = vec(s)
		}
		return out, nil
	}, 8)
	type result struct {
		v   []float32
		err error
	}
	call := func(ctx context.Context, text string) chan result {
		ch := make(chan result, 1)
		go func() {
			v, err := b.embedOne(ctx, text)
			ch <- result{v, err}
		}()
		return ch
	}
	first := call(context.Background(), "first")
	waitQueue(t, b, 0) // "first" is being sent
	for {
		mu.Lock()
		n := len(sent)
		mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	senderCtx, cancelSender := context.WithCancel(context.Background())
	sender := call(senderCtx, "sender")
	waitQueue(t, b, 1)
	waiterCtx, cancelWaiter := context.WithCancel(context.Background())
	waiter := call(waiterCtx, "waiter")
	waitQueue(t, b, 2)
	other := call(context.Background(), "other")
	waitQueue(t, b, 3)

	cancelWaiter() // a waiting caller gives up
	if r := <-waiter; !errors.Is(r.err, context.Canceled) {
		t.Errorf("waiter: %v, want context.Canceled", r.err)
	}
	waitQueue(t, b, 2)
	close(gate) // "first" returns; "sender" sends itself and "other", and hangs
	if r := <-first; r.err != nil || r.v[0] != float32(len("first")) {
		t.Errorf("first: %v %v", r.v, r.err)
	}
	waitQueue(t, b, 0)
	cancelSender()
	if r := <-sender; !errors.Is(r.err, context.Canceled) {
		t.Errorf("sender: %v, want context.Canceled", r.err)
	}
	select {
	case r := <-other:
		if r.err != nil || r.v[0] != float32(len("other")) {
			t.Errorf("other: %v %v, want its vector", r.v, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("other never got its vector")
	}
	want := [][]string{{"first"}, {"sender", "other"}, {"other"}}
	if fmt.Sprint(sent) != fmt.Sprint(want) {
		t.Errorf("batches sent %q, want %q", sent, want)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.busy || len(b.queue) != 0 {
		t.Errorf("busy %v with %d queued after all calls, want idle", b.busy, len(b.queue))
	}
}
