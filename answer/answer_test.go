package answer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/quote"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/seeds"
)

// questionSet is seeds/questions.json: questions over the seeds
// with the articles that answer them, and questions they cannot answer.
type questionSet struct {
	Answerable []struct {
		Question string   `json:"question"`
		Articles []string `json:"articles"`
	} `json:"answerable"`
	Unanswerable []string `json:"unanswerable"`
}

func loadQuestions(tb testing.TB) questionSet {
	tb.Helper()
	var qs questionSet
	if err := json.Unmarshal([]byte(seeds.Questions), &qs); err != nil {
		tb.Fatal(err)
	}
	return qs
}

var (
	seedIndexOnce sync.Once
	seedIndex     *retrieval.Index
	seedIndexErr  error
)

// seedComposer returns a composer over an in-memory index of the seeds,
// built once per test binary.
func seedComposer(tb testing.TB, opts Options) *Composer {
	tb.Helper()
	seedIndexOnce.Do(func() {
		arts, _, err := article.LoadFS(seeds.FS)
		if err != nil {
			seedIndexErr = err
			return
		}
		ix, err := retrieval.New(context.Background(), retrieval.Config{})
		if err != nil {
			seedIndexErr = err
			return
		}
		if _, err := ix.Add(context.Background(), arts); err != nil {
			seedIndexErr = err
			return
		}
		seedIndex = ix
	})
	if seedIndexErr != nil {
		tb.Fatal(seedIndexErr)
	}
	return New(seedIndex, opts, nil)
}

// checkVerbatim fails unless every citation's quote is exactly the cited
// article's text at its offsets, inside the article's body.
func checkVerbatim(tb testing.TB, ix Index, ans Answer) {
	tb.Helper()
	for _, c := range ans.Citations {
		a, ok := ix.Article(c.Source)
		if !ok {
			tb.Errorf("citation [%d] names unknown article %q", c.N, c.Source)
			continue
		}
		if c.Start < 0 || c.End > len(a.Text) || c.Start >= c.End || a.Text[c.Start:c.End] != c.Quote {
			tb.Errorf("citation [%d] quote %q is not the text of %s at [%d:%d]", c.N, c.Quote, c.Source, c.Start, c.End)
		}
		inBody := false
		for _, s := range a.Body {
			if c.Start >= s.Start && c.End <= s.End {
				inBody = true
			}
		}
		if !inBody {
			tb.Errorf("citation [%d] quote %q lies outside the article body", c.N, c.Quote)
		}
	}
	for i, c := range ans.Citations {
		if c.N != i+1 {
			tb.Errorf("citation %d is numbered %d", i+1, c.N)
		}
	}
	for _, s := range ans.Sentences {
		for _, n := range s.Citations {
			if n < 1 || n > len(ans.Citations) {
				tb.Errorf("sentence %q cites [%d], which does not exist", s.Text, n)
			}
		}
	}
}

func TestSeedQuestions(t *testing.T) {
	qs := loadQuestions(t)
	c := seedComposer(t, Options{})
	for _, tc := range qs.Answerable {
		t.Run(tc.Question, func(t *testing.T) {
			ans, err := c.Answer(context.Background(), tc.Question, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkVerbatim(t, c.index, ans)
			if !ans.Grounded {
				t.Fatalf("not grounded; want an answer citing one of %v\nanswer: %s", tc.Articles, ans.Answer)
			}
			var cited []string
			for _, ct := range ans.Citations {
				cited = append(cited, ct.Source)
			}
			hit := false
			for _, want := range tc.Articles {
				if slices.Contains(cited, want) {
					hit = true
				}
			}
			if !hit {
				t.Errorf("cited %v, want one of %v\nanswer: %s", cited, tc.Articles, ans.Answer)
			}
			if len(ans.Passages) == 0 || ans.Passages[0].Rank != 1 {
				t.Errorf("passages missing or misnumbered: %+v", ans.Passages)
			}
		})
	}
	for _, q := range qs.Unanswerable {
		t.Run("out of scope/"+q, func(t *testing.T) {
			ans, err := c.Answer(context.Background(), q, nil)
			if err != nil {
				t.Fatal(err)
			}
			if ans.Grounded || len(ans.Citations) != 0 {
				t.Errorf("grounded answer with %d citations, want it declined\nanswer: %s", len(ans.Citations), ans.Answer)
			}
			if ans.Answer != NotCovered {
				t.Errorf("answer = %q, want %q", ans.Answer, NotCovered)
			}
		})
	}
}

// TestGroundingCalibration checks that the cut-off sits in the gap between
// the support of answerable and unanswerable seed questions, and logs the
// margins so a change that narrows them is visible.
func TestGroundingCalibration(t *testing.T) {
	qs := loadQuestions(t)
	// The cut-off must hold however many passages are retrieved.
	for _, k := range []int{5, 8, 10, 20} {
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			c := seedComposer(t, Options{K: k})
			supportOf := func(q string) float64 {
				hits, err := c.index.Search(context.Background(), retrieval.Query{Text: q, K: c.opts.K, Diverse: true})
				if err != nil {
					t.Fatal(err)
				}
				_, _, _, sup := c.evidence(parseQuestion(q), q, hits)
				return sup
			}
			minIn, maxOut := 1.0, 0.0
			for _, tc := range qs.Answerable {
				minIn = min(minIn, supportOf(tc.Question))
			}
			for _, q := range qs.Unanswerable {
				maxOut = max(maxOut, supportOf(q))
			}
			t.Logf("lowest support of an answerable question %.3f, highest of an unanswerable one %.3f, cut-off %.3f", minIn, maxOut, DefaultMinCoverage)
			// Declining out-of-scope questions must hold at every k; with
			// fewer passages than the default, an answerable question's
			// evidence may simply not be retrieved.
			if maxOut >= DefaultMinCoverage {
				t.Errorf("an unanswerable question reaches support %.3f >= cut-off %.3f", maxOut, DefaultMinCoverage)
			}
			if k >= New(nil, Options{}, nil).opts.K && minIn < DefaultMinCoverage {
				t.Errorf("an answerable question has support %.3f < cut-off %.3f", minIn, DefaultMinCoverage)
			}
		})
	}
}

func TestDisagreementsShowBothSides(t *testing.T) {
	c := seedComposer(t, Options{})
	tests := []struct {
		question string
		kind     string
		sides    []string // what each side says, in any order
	}{
		{"How much in American weapons did Ukraine propose to buy?", "figure", []string{"$100bn", "$90bn"}},
		{"What is Friedrich Merz's title?", "title", []string{"German Chancellor", "German opposition leader"}},
	}
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			ans, err := c.Answer(context.Background(), tt.question, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkVerbatim(t, c.index, ans)
			var found *Disagreement
			for i, d := range ans.Disagreements {
				if d.Kind == tt.kind {
					found = &ans.Disagreements[i]
				}
			}
			if found == nil {
				t.Fatalf("no %s disagreement; got %+v\nanswer: %s", tt.kind, ans.Disagreements, ans.Answer)
			}
			var says []string
			for _, s := range found.Sides {
				says = append(says, s.Says)
				ct := ans.Citations[s.Citation-1]
				if !strings.Contains(ct.Quote, s.Says) {
					t.Errorf("side %q is not in its cited quote %q", s.Says, ct.Quote)
				}
			}
			slices.Sort(says)
			want := slices.Clone(tt.sides)
			slices.Sort(want)
			if !slices.Equal(says, want) {
				t.Errorf("sides = %q, want %q", says, want)
			}
			if found.Sides[0].Citation == found.Sides[1].Citation {
				t.Errorf("both sides cite [%d]", found.Sides[0].Citation)
			}
			if !strings.Contains(ans.Answer, tt.sides[0]) || !strings.Contains(ans.Answer, tt.sides[1]) {
				t.Errorf("answer does not state both sides: %s", ans.Answer)
			}
		})
	}
}

func TestFollowUpUsesHistory(t *testing.T) {
	c := seedComposer(t, Options{})
	history := []Turn{
		{Role: "user", Text: "What did Karoline Leavitt say about US troops?"},
		{Role: "assistant", Text: "She said US boots will not be on the ground."},
	}
	ans, err := c.Answer(context.Background(), "and what about air support?", history)
	if err != nil {
		t.Fatal(err)
	}
	checkVerbatim(t, c.index, ans)
	if !ans.Grounded {
		t.Fatalf("follow-up not grounded: %s", ans.Answer)
	}
	if !strings.Contains(strings.ToLower(ans.Answer), "air") {
		t.Errorf("follow-up answer does not speak of air support: %s", ans.Answer)
	}
}

// TestFollowUpPointingBack checks that a follow-up made only of words
// that point back ("why there?") is answered on the question before, and
// that the same words with no question before get a reply, not quotes.
func TestFollowUpPointingBack(t *testing.T) {
	c := seedComposer(t, Options{})
	history := []Turn{
		{Role: "user", Text: "Which city did Macron push for the summit?"},
		{Role: "assistant", Text: "Geneva."},
	}
	tests := []struct {
		history  []Turn
		grounded bool
		evidence string
	}{
		{history, true, "neutral country"},
		{nil, false, ""},
	}
	for _, tc := range tests {
		ans, err := c.Answer(context.Background(), "why there?", tc.history)
		if err != nil {
			t.Fatal(err)
		}
		if ans.Grounded != tc.grounded {
			t.Fatalf("with %d turns before: got grounded %v, want %v: %s", len(tc.history), ans.Grounded, tc.grounded, ans.Answer)
		}
		if tc.evidence != "" && !slices.ContainsFunc(ans.Citations, func(ct citation.Citation) bool { return strings.Contains(ct.Quote, tc.evidence) }) {
			t.Errorf("got quotes without %q: %s", tc.evidence, ans.Answer)
		}
		if !tc.grounded && len(ans.Citations) > 0 {
			t.Errorf("got %d quotes for a bare follow-up, want none", len(ans.Citations))
		}
	}
}

func TestQuestionInput(t *testing.T) {
	c := seedComposer(t, Options{MaxQuestion: 200})
	tests := []struct {
		name      string
		q         string
		wantErr   error
		wantNote  string
		wantQuery string
	}{
		{"empty", "   \n\t ", ErrEmptyQuestion, "", ""},
		{"white space collapsed", "  What did   Leavitt\nsay? ", nil, "", "What did Leavitt say?"},
		{"overlong is cut with a note", "What did Leavitt say about troops? " + strings.Repeat("very ", 100), nil, "only its first 200 were used", ""},
		{"invalid UTF-8", "What did \xff Leavitt say?", nil, "", "What did Leavitt say?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans, err := c.Answer(context.Background(), tt.q, nil)
			if err != tt.wantErr {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if tt.wantQuery != "" && ans.Question != tt.wantQuery {
				t.Errorf("question = %q, want %q", ans.Question, tt.wantQuery)
			}
			if tt.wantNote != "" && !strings.Contains(strings.Join(ans.Notes, " "), tt.wantNote) {
				t.Errorf("notes = %q, want one containing %q", ans.Notes, tt.wantNote)
			}
			if len([]rune(ans.Question)) > 200 {
				t.Errorf("question kept %d characters, want at most 200", len([]rune(ans.Question)))
			}
		})
	}
}

func TestSource(t *testing.T) {
	c := seedComposer(t, Options{})
	tests := []struct {
		name        string
		text        string
		wantExact   []string // article IDs with exact matches
		wantNear    string   // an article expected among the near-matches ("" for none required)
		wantAltered string   // Altered of the first match
		wantSpeaker string
	}{
		{"phrase in two articles, near-match in a third", `"Article 5-like"`, []string{"000_eb41a836ae9ed63e.txt", "004_dedf0fca571aeefe.txt"}, "003_8289c1f155d94d1b.txt", "trimmed", ""},
		{"whole sentence", "“We were able to win the following concession: that the United States could offer Article 5-like protection, which is one of the real reasons why Ukraine wants to be in Nato,” Witkoff said.", []string{"004_dedf0fca571aeefe.txt"}, "", "", "Witkoff"},
		{"altered quote", "US boots will never be on the ground in Ukraine", nil, "002_398d37f08a9e19b1.txt", "altered", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Source(context.Background(), tt.text)
			if err != nil {
				t.Fatal(err)
			}
			var exact, near []string
			for _, m := range res.Matches {
				a, _ := c.index.Article(m.Source)
				if a.Text[m.Start:m.End] != m.Quote {
					t.Errorf("match quote %q is not the article text", m.Quote)
				}
				if !strings.Contains(m.Sentence, m.Quote) && m.Exact {
					t.Errorf("sentence %q does not contain the match %q", m.Sentence, m.Quote)
				}
				if m.Exact {
					exact = append(exact, m.Source)
					if !quote.Equal(m.Quote, trimQuotes(tt.text)) {
						t.Errorf("exact match %q differs from %q", m.Quote, tt.text)
					}
				} else {
					near = append(near, m.Source)
				}
			}
			for _, id := range tt.wantExact {
				if !slices.Contains(exact, id) {
					t.Errorf("exact matches in %v, want one in %s", exact, id)
				}
			}
			if tt.wantNear != "" && !slices.Contains(near, tt.wantNear) {
				t.Errorf("near matches in %v, want one in %s", near, tt.wantNear)
			}
			if len(res.Matches) == 0 {
				t.Fatal("no matches")
			}
			if got := res.Matches[0].Altered; got != tt.wantAltered {
				t.Errorf("first match altered = %q, want %q", got, tt.wantAltered)
			}
			if tt.wantSpeaker != "" && res.Matches[0].Speaker != tt.wantSpeaker {
				t.Errorf("speaker = %q, want %q", res.Matches[0].Speaker, tt.wantSpeaker)
			}
		})
	}
}

func TestSourceNotFound(t *testing.T) {
	c := seedComposer(t, Options{})
	res, err := c.Source(context.Background(), "the quarterly earnings of a software company beat expectations")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Matches) != 0 {
		t.Errorf("got %d matches for text that is not in the articles: %+v", len(res.Matches), res.Matches[0])
	}
	if len(res.Notes) == 0 {
		t.Error("no note saying the text was not found")
	}
}

// TestHistoryDoesNotGroundAnUnrelatedQuestion guards against a follow-up
// being grounded by the evidence of the question before it.
func TestHistoryDoesNotGroundAnUnrelatedQuestion(t *testing.T) {
	c := seedComposer(t, Options{})
	history := []Turn{
		{Role: "user", Text: "How much in American weapons did Ukraine propose to buy?"},
		{Role: "assistant", Text: "Reports differ: $90bn or $100bn."},
	}
	for _, q := range loadQuestions(t).Unanswerable {
		t.Run(q, func(t *testing.T) {
			ans, err := c.Answer(context.Background(), q, history)
			if err != nil {
				t.Fatal(err)
			}
			if ans.Grounded {
				t.Errorf("answered after an unrelated question: %s", ans.Answer)
			}
		})
	}
}

func TestLooksLikeFollowUp(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		{"and what did Russia say?", true},
		{"What about air support?", true},
		{"what did she say next?", true},
		{"Why?", true},
		{"Did they agree?", true},
		{"What did Putin say about the Olympic Games?", false},
		{"Who attended the White House meeting with Zelenskyy?", false},
		{"How long did Trump's call with Putin last?", false},
	}
	for _, tt := range tests {
		if got := looksLikeFollowUp(tt.q); got != tt.want {
			t.Errorf("looksLikeFollowUp(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}
