package briefing

import (
	"strings"
	"testing"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/citation"
)

// sentenceOf makes a one-sentence article and returns the sentence.
func sentenceOf(id, outlet, text string) answer.ArticleSentence {
	a := &article.Article{ID: id, Outlet: outlet, Text: text, Body: []article.Span{{Start: 0, End: len(text)}}}
	return answer.ArticleSentence{Article: a, Start: 0, End: len(text)}
}

func TestFindConflicts(t *testing.T) {
	tests := []struct {
		name string
		a, b answer.ArticleSentence
		want []string // kind: side A says | side B says
	}{
		{
			"different figures for the same purchase",
			sentenceOf("a", "Alpha", "Zelenskyy’s delegation also presented Trump with a proposal to purchase $100bn worth of U.S. weapons, aiming to win American backing for Ukraine’s defense."),
			sentenceOf("b", "Beta", "After the White House meetings, Zelenskyy also outlined a plan to purchase $90bn in American weapons through Europe to win security guarantees, and for the US to buy drones from Ukraine."),
			[]string{"figure: $100bn | $90bn"},
		},
		{
			"the same outlet is not a disagreement between outlets",
			sentenceOf("a", "Alpha", "Zelenskyy’s delegation also presented Trump with a proposal to purchase $100bn worth of U.S. weapons, aiming to win American backing for Ukraine’s defense."),
			sentenceOf("b", "alpha", "After the White House meetings, Zelenskyy also outlined a plan to purchase $90bn in American weapons through Europe to win security guarantees, and for the US to buy drones from Ukraine."),
			nil,
		},
		{
			"figures about different things, no name in common",
			sentenceOf("a", "Alpha", "You'll get 8 hours of battery life and up to 30 hours in the case."),
			sentenceOf("b", "Beta", "They’re fairly comfy and get up to 10 hours of battery life beyond that."),
			nil,
		},
		{
			"different titles for one person",
			sentenceOf("a", "", "German Chancellor Friedrich Merz, who attended the White House meetings, suggested a bilateral session."),
			sentenceOf("b", "", "German opposition leader Merz challenged Trump’s suggestion that peace could be achieved without a ceasefire."),
			[]string{"title: German Chancellor | German opposition leader"},
		},
		{
			"a former title is no conflict",
			sentenceOf("a", "Alpha", "OpenAI said Friday it has pushed out its co-founder and CEO Sam Altman after a review by the board."),
			sentenceOf("b", "Beta", "In a dramatic turn of events, ex-Y Combinator president Sam Altman was fired as CEO of OpenAI."),
			nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := answer.FindConflicts([]answer.ArticleSentence{tt.a, tt.b}, conflictOverlap)
			var gotS []string
			for _, c := range got {
				gotS = append(gotS, c.Kind+": "+c.Sides[0].Says+" | "+c.Sides[1].Says)
			}
			if strings.Join(gotS, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got %q, want %q", gotS, tt.want)
			}
		})
	}
}

func TestCiteConflict(t *testing.T) {
	a := sentenceOf("a", "Alpha", "The council says the repairs cost £4.2m in total.")
	b := sentenceOf("b", "Beta", "The repairs cost £4.5m, the contractor said.")
	set := citation.NewSet(nil)
	if _, _, ok := answer.CiteConflict(set, answer.Conflict{Kind: "figure", Sides: []answer.ConflictSide{{Sentence: a, Says: "£4.2m"}, {Sentence: b, Says: "£9m"}}}); ok {
		t.Error("a side that its sentence does not say was accepted")
	}
	if n := len(set.List()); n != 0 {
		t.Errorf("a refused disagreement left %d citations, want none", n)
	}
	d, text, ok := answer.CiteConflict(set, answer.Conflict{Kind: "figure", About: "repairs, cost", Sides: []answer.ConflictSide{{Sentence: a, Says: "£4.2m"}, {Sentence: b, Says: "£4.5m"}}})
	if !ok || len(d.Sides) != 2 || d.Sides[0].Citation != 1 || d.Sides[1].Citation != 2 {
		t.Fatalf("got %+v, %v; want two sides citing [1] and [2]", d, ok)
	}
	if !strings.Contains(text.Text, "Alpha: “£4.2m” [1] versus Beta: “£4.5m” [2]") {
		t.Errorf("got sentence %q", text.Text)
	}
	if n, ok := set.Cite(a.Article, "The council says the repairs cost nothing."); ok || n != 0 {
		t.Errorf("Cite of an altered quote: got %d, %v; want refused", n, ok)
	}
	if set.Dropped() != 1 {
		t.Errorf("got %d dropped quotes, want 1", set.Dropped())
	}
	if n, ok := set.Cite(a.Article, "the repairs cost £4.2m"); !ok || n != 3 {
		t.Errorf("Cite of a verbatim part: got %d, %v; want 3, true", n, ok)
	}
}

func TestTimingValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"within two weeks", "14d"},
		{"in the next couple of weeks", "14d"},
		{"within 10 days", "10d"},
		{"in 24 hours", "24h"},
		{"within weeks", "some:week"},
		{"within a few days", "few:day"},
		{"before month’s end", "end:month"},
		{"by the end of the month", "end:month"},
		{"by the end of next week", "end:next-week"},
		{"next month", "next:month"},
	}
	for _, tt := range tests {
		if got := timingValue(tt.in); got != tt.want {
			t.Errorf("timingValue(%q): got %q, want %q", tt.in, got, tt.want)
		}
		if m := timingRE.FindString("They said it would happen " + tt.in + ", officials added."); m != tt.in {
			t.Errorf("timingRE in a sentence: got %q, want %q", m, tt.in)
		}
	}
	for _, s := range []string{"for the first time in years", "over the past two weeks", "last month"} {
		if m := timingRE.FindString(s); m != "" {
			t.Errorf("timingRE(%q): got %q, want no timing", s, m)
		}
	}
}
