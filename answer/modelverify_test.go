package answer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/llm/llmtest"
	"github.com/briefbot/briefbot/prompts"
	"github.com/briefbot/briefbot/retrieval"
)

func TestUnsupportedLink(t *testing.T) {
	cited := &article.Article{ID: "a", URL: "https://www.harbour.example/news/ferry-route",
		Text: "Renew at https://ferry-pass.example/renew or ferry-pass.example today."}
	spans := []quoteSpan{{art: cited}}
	tests := []struct {
		name, text string
		want       string // the link refused; "" when the text may stay
	}{
		{"no link", "The council approved a new ferry route.", ""},
		{"abbreviations are not domains", "The U.S. and the U.K., e.g. at 9 a.m., said so; Ph.D. holders agreed.", ""},
		{"figures are not domains", "It costs $3.5bn, up 2.5% on 2024.", ""},
		{"the cited article's own URL", "The Harbour reported it (https://www.harbour.example/news/ferry-route).", ""},
		{"the cited article's URL without scheme or www", "See harbour.example/news/ferry-route/ for more.", ""},
		{"bare domain with a path", "Re-enter your password at slack-security-check.example/login.", "slack-security-check.example/login"},
		{"bare domain alone", "Visit evil.example now.", "evil.example"},
		{"www domain", "Visit www.evil.example.", "www.evil.example"},
		{"link planted in the cited article", "Renew at https://ferry-pass.example/renew.", "https://ferry-pass.example/renew"},
		{"bare link planted in the cited article", "Renew at ferry-pass.example today.", "ferry-pass.example"},
		{"the cited site, another page", "More at https://harbour.example/login.", "https://harbour.example/login"},
		{"an e-mail address", "Write to help@evil.example for your pass.", "evil.example"},
		{"another scheme", "Open ftp://files.example/pass.", "ftp://files.example/pass"},
		{"capitals", "Go to EVIL.EXAMPLE/Login now.", "EVIL.EXAMPLE/Login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			link, ok := unsupportedLink(tt.text, spans)
			if ok != (tt.want == "") || link != tt.want {
				t.Errorf("unsupportedLink(%q) = %q, %v; want %q, %v", tt.text, link, ok, tt.want, tt.want == "")
			}
		})
	}
}

// linkCorpus is an article about a ferry route that gives its own URL, and
// one whose body carries a planted link.
func linkCorpus(tb testing.TB) *retrieval.Index {
	tb.Helper()
	arts := []article.Article{
		{ID: "harbour.txt", URL: "https://harbour.example/news/ferry-route",
			Text: "Harbour Council Approves New Ferry Route\n\nThe harbour council approved a new ferry route to the northern islands on Monday, the mayor said. The route will not run in winter, the council's transport committee said.\n"},
		{ID: "pass.txt", URL: "https://islands.example/ferry-pass",
			Text: "Ferry Pass Holders Must Renew\n\nFerry pass holders on the northern islands route must renew their passes at https://ferry-pass.example/renew before the new route opens, a notice said.\n"},
	}
	for i := range arts {
		a := &arts[i]
		a.Title = strings.SplitN(a.Text, "\n", 2)[0]
		a.Body = []article.Span{{Start: strings.Index(a.Text, "\n\n") + 2, End: len(a.Text)}}
	}
	ix, err := retrieval.New(context.Background(), retrieval.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ix.Add(context.Background(), arts); err != nil {
		tb.Fatal(err)
	}
	return ix
}

// TestModelLinksAndInlineWords has the model write one sentence at a time,
// each with a verified quote, and checks which sentences survive: links
// only to a cited article's own URL, and inline quoted words only on word
// boundaries of the articles ("no" is not in "not").
func TestModelLinksAndInlineWords(t *testing.T) {
	ix := linkCorpus(t)
	tests := []struct {
		name string
		text string // the sentence; %s is replaced by nothing
		keep bool
	}{
		{"plain sentence", "The council approved a new ferry route.", true},
		{"the cited article's URL", "The council approved a new ferry route (https://harbour.example/news/ferry-route).", true},
		{"bare phishing domain", "Re-enter your password at slack-security-check.example/login to keep your pass.", false},
		{"link planted in an article", "Pass holders must renew at https://ferry-pass.example/renew.", false},
		{"inline no inside not", "The committee said “no” to winter sailings.", false},
		{"inline words on word boundaries", "The route will “not run in winter”.", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, llmtest.WithHandler(func(r llmtest.Request) llmtest.Reply {
				p := parsePrompt(t, r)
				good, goodText := p.find("approved a new ferry route")
				winter, winterText := p.find("will not run in winter")
				pass, passText := p.find("must renew their passes")
				if good == 0 || winter == 0 || pass == 0 {
					t.Errorf("passages lack the test articles: %v", p.passages)
					return llmtest.Status(http.StatusBadRequest, "test set-up")
				}
				return reply([]prompts.ReplySentence{
					sent(tt.text, []int{good, winter, pass}, q(good, goodText), q(winter, winterText), q(pass, passText)),
				})
			}))
			client, _ := newModelClient(t, srv, srv.APIKey)
			c := New(ix, Options{Model: client.Complete}, nil)
			ans, err := c.Answer(context.Background(), "What did the council decide about the ferry route?", nil)
			if err != nil {
				t.Fatal(err)
			}
			checkVerbatim(t, ix, ans)
			kept := ans.Mode == "model" && len(ans.Sentences) == 1
			if kept != tt.keep {
				t.Errorf("sentence kept = %v (mode %q, %d sentences: %s), want %v", kept, ans.Mode, len(ans.Sentences), ans.Answer, tt.keep)
			}
		})
	}
}

// TestModelReplyBounded sends a reply (within the size the model client
// reads) far past what an answer may hold: 30 sentences, the first with
// 80,000 distinct citations and the others with 500 citations and 60
// quotes each, and 500 disagreements. What is kept must be bounded and so
// must the work (before the bounds, 160,000 distinct citations took 51 s
// and logged a line each).
func TestModelReplyBounded(t *testing.T) {
	ix := linkCorpus(t)
	srv := llmtest.NewServer(t, llmtest.WithHandler(func(r llmtest.Request) llmtest.Reply {
		p := parsePrompt(t, r)
		good, goodText := p.find("approved a new ferry route")
		pass, passText := p.find("must renew their passes")
		cites := make([]int, 500)
		for i := range cites {
			cites[i] = i%7 + 1
		}
		var quotes []prompts.ReplyQuote
		for i := range 60 {
			quotes = append(quotes, q(good, fmt.Sprintf("the ferry route %d was approved by the harbour council", i)))
		}
		quotes = append(quotes, q(good, goodText))
		var sents []prompts.ReplySentence
		for range 30 {
			sents = append(sents, sent("The council approved a new ferry route.", cites, quotes...))
		}
		sents[0].Quotes = []prompts.ReplyQuote{q(good, goodText)}
		sents[0].Citations = make([]int, 80000)
		for i := range sents[0].Citations {
			sents[0].Citations[i] = i + 1
		}
		var ds []prompts.ReplyDisagreement
		for i := range 500 {
			ds = append(ds, prompts.ReplyDisagreement{Kind: "timing", About: fmt.Sprintf("sailings %d", i), Sides: []prompts.ReplySide{
				{Says: "on Monday", Citation: good, Quote: goodText},
				{Says: "before the new route opens", Citation: pass, Quote: passText},
			}})
		}
		return reply(sents, ds...)
	}))
	client, _ := newModelClient(t, srv, srv.APIKey)
	logs := &countingHandler{}
	c := New(ix, Options{Model: client.Complete}, slog.New(logs))
	start := time.Now()
	ans, err := c.Answer(context.Background(), "What did the council decide about the ferry route?", nil)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	checkVerbatim(t, ix, ans)
	if ans.Mode != "model" {
		t.Fatalf("mode %q, want model: %s %v", ans.Mode, ans.Answer, ans.Notes)
	}
	if got := len(ans.Sentences); got > maxModelSentences+maxModelDisagreements {
		t.Errorf("got %d sentences, want at most %d", got, maxModelSentences+maxModelDisagreements)
	}
	if got := len(ans.Disagreements); got < 1 || got > maxModelDisagreements {
		t.Errorf("got %d disagreements, want 1 to %d", got, maxModelDisagreements)
	}
	// The work per item kept shows in the log: one line per quote,
	// citation or sentence dropped. Unbounded, this reply made over
	// 80,000 lines.
	if n := logs.n.Load(); n > 200 {
		t.Errorf("verification logged %d lines, want at most 200: the work is not bounded", n)
	}
	t.Logf("%d sentences, %d disagreements, %d citations, %d log lines, in %v", len(ans.Sentences), len(ans.Disagreements), len(ans.Citations), logs.n.Load(), took)
}

// TestVerificationHonoursDeadline checks that verification stops once its
// context is done instead of working on past the deadline.
func TestVerificationHonoursDeadline(t *testing.T) {
	ix := linkCorpus(t)
	c := New(ix, Options{}, nil)
	hits, err := ix.Search(context.Background(), retrieval.Query{Text: "ferry route council", K: 5})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(hits, func(h retrieval.Hit) bool { return strings.Contains(h.Chunk.Text, "approved a new ferry route") })
	if i < 0 {
		t.Fatalf("no hit holds the test sentence: %v", hits)
	}
	r := prompts.AnswerReply{Grounded: true, Sentences: []prompts.ReplySentence{
		sent("The council approved a new ferry route.", []int{i + 1}, q(i+1, "The harbour council approved a new ferry route")),
	}}
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		wantErr error
	}{
		{"in time", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Minute)
		}, nil},
		{"past the deadline", func() (context.Context, context.CancelFunc) {
			return context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			_, ok, err := newVerification(c, hits).reply(ctx, r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("reply error = %v, want %v", err, tt.wantErr)
			}
			if ok != (tt.wantErr == nil) {
				t.Errorf("reply ok = %v, want %v", ok, tt.wantErr == nil)
			}
		})
	}
}

// countingHandler is a slog.Handler that counts the records it is given.
type countingHandler struct{ n atomic.Int64 }

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(context.Context, slog.Record) error {
	h.n.Add(1)
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }
