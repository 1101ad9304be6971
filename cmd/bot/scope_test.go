package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/internal/benchdata"
	"github.com/briefbot/briefbot/slackbot"
)

// TestAnswerScoped: an answer scoped to what a channel follows cites only
// the articles in scope, on the seeds; a scope with no articles declines.
func TestAnswerScoped(t *testing.T) {
	t.Parallel()
	eng := testEngine(t, engineOptions{k: 8, memory: true})
	svc := service{eng: eng}
	const weapons = "How much in American weapons did Ukraine propose to buy?"
	tests := []struct {
		name      string
		q         string
		scope     slackbot.Scope
		inScope   map[string]bool // articles that may be cited; nil: any
		grounded  bool
		wantOther bool // cites an article outside the Independent's
	}{
		{"everything", weapons, slackbot.Scope{}, nil, true, true},
		{"one outlet", "What protections did Putin agree to allow Ukraine?", slackbot.Scope{Outlets: []string{"independent"}}, map[string]bool{"000_eb41a836ae9ed63e.txt": true}, true, false},
		{"one outlet, a question it does not answer", weapons, slackbot.Scope{Outlets: []string{"independent"}}, map[string]bool{"000_eb41a836ae9ed63e.txt": true}, false, false},
		{"a topic", "Who ruled out American boots on the ground?", slackbot.Scope{Topic: "boots on the ground"}, map[string]bool{"002_398d37f08a9e19b1.txt": true}, true, false},
		{"an outlet none comes from", weapons, slackbot.Scope{Outlets: []string{"Reuters"}}, map[string]bool{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := svc.AnswerScoped(context.Background(), tt.q, nil, tt.scope)
			if err != nil {
				t.Fatal(err)
			}
			other := false
			for _, c := range a.Citations {
				if tt.inScope != nil && !tt.inScope[c.Source] {
					t.Errorf("cites %s, outside the scope %+v", c.Source, tt.scope)
				}
				if c.Source != "000_eb41a836ae9ed63e.txt" {
					other = true
				}
			}
			if tt.inScope == nil && other != tt.wantOther {
				t.Errorf("got citations of other outlets %v, want %v", other, tt.wantOther)
			}
			if len(tt.inScope) == 0 && tt.inScope != nil && (a.Grounded || !strings.Contains(strings.Join(a.Notes, " "), "No articles are in this channel's scope")) {
				t.Errorf("got grounded %v, notes %q; want a decline saying nothing is in scope", a.Grounded, a.Notes)
			}
			if a.Grounded != tt.grounded {
				t.Errorf("got grounded %v, want %v: %q", a.Grounded, tt.grounded, a.Answer)
			}
			t.Logf("%s: grounded=%v answer=%.160q", tt.name, a.Grounded, a.Answer)
		})
	}
	if got := len(eng.scopes.about); got != 1 {
		t.Errorf("remembered the articles of %d topics, want 1", got)
	}
}

// BenchmarkScopeArticles: finding the articles of a channel's scope over
// the MultiHop-RAG corpus (609 articles), the first time a topic is seen
// (every article analysed) and after (remembered per article).
func BenchmarkScopeArticles(b *testing.B) {
	eng := testEngine(b, engineOptions{k: 8, corpus: benchdata.Path(b, "multihop-rag", "corpus.json")})
	scope := slackbot.Scope{Outlets: []string{"the verge", "techcrunch"}, Topic: "artificial intelligence"}
	b.Run("first", func(b *testing.B) {
		n := 0
		for b.Loop() {
			var s scopes
			n = len(s.articles(eng.index, scope))
		}
		b.ReportMetric(float64(n), "articles")
	})
	b.Run("remembered", func(b *testing.B) {
		var s scopes
		s.articles(eng.index, scope)
		for b.Loop() {
			s.articles(eng.index, scope)
		}
	})
	b.Run("outlets only", func(b *testing.B) {
		var s scopes
		for b.Loop() {
			s.articles(eng.index, slackbot.Scope{Outlets: scope.Outlets})
		}
	})
}

// TestMentionsAllPrefilter: ruling articles out by the start of each stem
// gives the same answer as analysing every article, on the seeds.
func TestMentionsAllPrefilter(t *testing.T) {
	t.Parallel()
	eng := testEngine(t, engineOptions{k: 8, memory: true})
	for _, topic := range []string{"ukraine", "Ukrainian security guarantees", "boots on the ground", "weapons purchases", "co-ordinate", "$100bn", "Olympic games", "countries", "agreed"} {
		t.Run(topic, func(t *testing.T) {
			terms := eng.index.Analyze(topic)
			for _, a := range eng.index.Articles() {
				have := map[string]bool{}
				for _, tm := range eng.index.Analyze(a.Title) {
					have[tm] = true
				}
				for _, sp := range a.Body {
					for _, tm := range eng.index.Analyze(a.Text[sp.Start:sp.End]) {
						have[tm] = true
					}
				}
				want := true
				for _, tm := range terms {
					want = want && have[tm]
				}
				if got := mentionsAll(eng.index, a, terms); got != want {
					t.Errorf("%s: got %v, want %v (terms %q)", a.ID, got, want, terms)
				}
			}
		})
	}
}

// testEngine opens the engine on a fresh data directory, closed when the
// test ends.
func testEngine(tb testing.TB, opts engineOptions) *engine {
	tb.Helper()
	cfg, err := loadConfig(env{"BOT_DATA_DIR": tb.TempDir()}.get)
	if err != nil {
		tb.Fatal(err)
	}
	eng, err := openEngine(context.Background(), cfg, opts, slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { eng.close() })
	return eng
}
