package evaluation_test

import (
	"strings"
	"testing"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/evaluation"
	"github.com/briefbot/briefbot/seeds"
)

func cite(src, quote string, start int) citation.Citation {
	return citation.Citation{Source: src, Quote: quote, Start: start, End: start + len(quote)}
}

func grounded(cs ...citation.Citation) answer.Answer {
	for i := range cs {
		cs[i].N = i + 1
	}
	return answer.Answer{Grounded: true, Answer: "an answer", Citations: cs}
}

func TestScoreDesk(t *testing.T) {
	call := cite("a", "Trump spoke to Putin on a call that lasted around 40 minutes.", 10)
	boots := cite("b", "“U.S. boots will not be on the ground in Ukraine,” Leavitt said.", 0)
	ninety := cite("a", "a plan to purchase $90bn in American weapons", 100)
	hundred := cite("c", "a proposal to purchase $100bn worth of U.S. weapons", 50)
	tests := []struct {
		name string
		q    evaluation.DeskQuestion
		a    answer.Answer
		want bool
		why  string
	}{
		{"evidence in the quote", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"40 minutes"}}}, grounded(call), true, ""},
		{"evidence only in the answer text is not enough",
			evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"40 minutes"}}},
			answer.Answer{Grounded: true, Answer: "It lasted 40 minutes.", Citations: []citation.Citation{boots}}, false, "evidence 0/1 groups, want 1"},
		{"declined", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"40 minutes"}}}, answer.Answer{Answer: answer.NotCovered}, false, "declined"},
		{"grounded without citations is a decline", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"x"}}}, answer.Answer{Grounded: true}, false, "declined"},
		{"curly quotes, dashes and case folded", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{`"U.S. BOOTS will not`}}}, grounded(boots), true, ""},
		{"one alternative of a group is enough", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"$100bn", "$90bn"}}}, grounded(ninety), true, ""},
		{"both sides of a disagreement", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"$90bn"}, {"$100bn"}}, MinArticles: 2}, grounded(ninety, hundred), true, ""},
		{"one side only", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"$90bn"}, {"$100bn"}}}, grounded(ninety), false, "evidence 1/2 groups, want 2"},
		{"list with enough items", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"putin"}, {"leavitt"}, {"meloni"}}, MinGroups: 2}, grounded(call, boots), true, ""},
		{"list with too few items", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"putin"}, {"leavitt"}, {"meloni"}}, MinGroups: 3}, grounded(call, boots), false, "evidence 2/3 groups, want 3"},
		{"overview with enough points and articles", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"weapons"}}, MinPoints: 3, MinArticles: 2}, grounded(call, ninety, hundred), true, ""},
		{"overview: a quote cited twice is one point", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"weapons"}}, MinPoints: 3, MinArticles: 2}, grounded(ninety, hundred, hundred), false, "2 points, want 3"},
		{"overview from one article", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"weapons"}}, MinPoints: 2, MinArticles: 2}, grounded(call, ninety), false, "1 articles, want 2"},
		{"overview with every point on the topic", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"weapons"}}, EveryPoint: []string{"weapons", "BOOTS"}}, grounded(boots, ninety, hundred), true, ""},
		{"overview with a point off the topic", evaluation.DeskQuestion{Expect: "answer", Evidence: [][]string{{"weapons"}}, EveryPoint: []string{"weapons"}}, grounded(call, ninety, hundred), false, "1 of 3 points off the topic"},
		{"quote lookup cites the right article", evaluation.DeskQuestion{Expect: "answer", Articles: []string{"c", "d"}}, grounded(ninety, hundred), true, ""},
		{"quote lookup cites another article", evaluation.DeskQuestion{Expect: "answer", Articles: []string{"c"}}, grounded(call), false, "expected article not cited"},
		{"decline", evaluation.DeskQuestion{Expect: "decline"}, answer.Answer{Answer: answer.NotCovered, Citations: []citation.Citation{}}, true, ""},
		{"decline with quotes", evaluation.DeskQuestion{Expect: "decline"}, grounded(call), false, "answered with 1 quotes, want a decline"},
		{"help", evaluation.DeskQuestion{Expect: "help"}, answer.Answer{Answer: "You're welcome. Ask me about the articles."}, true, ""},
		{"help with random quotes", evaluation.DeskQuestion{Expect: "help"}, grounded(call), false, "1 quotes, want a reply with none"},
		{"help answered by the decline sentence", evaluation.DeskQuestion{Expect: "help"}, answer.Answer{Answer: answer.NotCovered}, false, "declined, want a helpful reply"},
		{"help with no reply", evaluation.DeskQuestion{Expect: "help"}, answer.Answer{}, false, "no reply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.ID, tt.q.Kind = "q1", "test"
			got := evaluation.ScoreDesk(tt.q, tt.a)
			if got.Right != tt.want || got.Why != tt.why {
				t.Errorf("got right=%v why=%q, want right=%v why=%q", got.Right, got.Why, tt.want, tt.why)
			}
		})
	}
}

func TestParseDeskQuestions(t *testing.T) {
	tests := []struct {
		name, json, err string
	}{
		{"valid", `{"questions":[{"id":"a","kind":"who","question":"Who?","expect":"answer","evidence":[["x"]]},{"id":"b","kind":"help","question":"x","expect":"help"}]}`, ""},
		{"empty set", `{"questions":[]}`, "none"},
		{"no id", `{"questions":[{"kind":"who","question":"Who?","expect":"decline"}]}`, "no id"},
		{"id twice", `{"questions":[{"id":"a","kind":"k","question":"q","expect":"decline"},{"id":"a","kind":"k","question":"q","expect":"decline"}]}`, "id used twice"},
		{"unknown expect", `{"questions":[{"id":"a","kind":"k","question":"q","expect":"maybe"}]}`, `expect "maybe"`},
		{"answer with nothing to check", `{"questions":[{"id":"a","kind":"k","question":"q","expect":"answer"}]}`, "needs evidence or articles"},
		{"empty phrase", `{"questions":[{"id":"a","kind":"k","question":"q","expect":"answer","evidence":[["x",""]]}]}`, "empty evidence"},
		{"min_groups too high", `{"questions":[{"id":"a","kind":"k","question":"q","expect":"answer","evidence":[["x"]],"min_groups":2}]}`, "min_groups 2"},
		{"empty every_point phrase", `{"questions":[{"id":"a","kind":"k","question":"q","expect":"answer","evidence":[["x"]],"every_point":[""]}]}`, "empty every_point"},
		{"help with every_point", `{"questions":[{"id":"a","kind":"k","question":"q","expect":"help","every_point":["x"]}]}`, "takes no evidence"},
		{"decline with evidence", `{"questions":[{"id":"a","kind":"k","question":"q","expect":"decline","evidence":[["x"]]}]}`, "takes no evidence"},
		{"standalone without history", `{"questions":[{"id":"a","kind":"k","question":"q","expect":"answer","evidence":[["x"]],"standalone":true}]}`, "standalone without a history"},
		{"not JSON", `[`, "desk questions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := evaluation.ParseDeskQuestions([]byte(tt.json))
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("got error %v, want none", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("got error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

// TestDeskQuestionSet checks the shipped desk question set: it parses, it
// is large and varied enough, and every evidence phrase, folded as the
// scorer folds it, is in the body of some seed article, so that every
// question can be answered right.
func TestDeskQuestionSet(t *testing.T) {
	qs, err := evaluation.ParseDeskQuestions([]byte(seeds.DeskQuestions))
	if err != nil {
		t.Fatal(err)
	}
	arts, _, err := article.LoadFS(seeds.FS)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	var bodies []string
	for _, a := range arts {
		ids[a.ID] = true
		var b strings.Builder
		for _, s := range a.Body {
			b.WriteString(a.Text[s.Start:s.End] + " ")
		}
		bodies = append(bodies, strings.Join(strings.Fields(evaluation.FoldText(b.String())), " "))
	}
	if len(qs) < 70 {
		t.Errorf("got %d questions, want at least 70", len(qs))
	}
	kinds := map[string]int{}
	expects := map[string]int{}
	for _, q := range qs {
		kinds[q.Kind]++
		expects[q.Expect]++
		for _, id := range q.Articles {
			if !ids[id] {
				t.Errorf("%s: article %q is not a seed", q.ID, id)
			}
		}
		for _, g := range q.Evidence {
			for _, alt := range g {
				p := strings.Join(strings.Fields(evaluation.FoldText(alt)), " ")
				found := false
				for _, b := range bodies {
					found = found || strings.Contains(b, p)
				}
				if !found {
					t.Errorf("%s: evidence %q is in no seed article's body", q.ID, alt)
				}
			}
		}
	}
	for _, k := range []string{"who", "where", "when", "duration", "count", "yesno", "list", "overview", "disagreement", "quote", "typo", "followup", "standalone", "decline", "help"} {
		if kinds[k] < 2 {
			t.Errorf("kind %s: got %d questions, want at least 2", k, kinds[k])
		}
	}
	for _, e := range []string{evaluation.ExpectAnswer, evaluation.ExpectDecline, evaluation.ExpectHelp} {
		if expects[e] == 0 {
			t.Errorf("no question expects %s", e)
		}
	}
}

func TestUnbalancedQuotes(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"No quotes at all.", false},
		{"He said “yes” and “no”.", false},
		{`He said "yes".`, false},
		{"““I just want to see what happens.", true},
		{"He said “yes.", true},
		{"He said yes” then.", true},
		{"“a ”” b", true},
		{`He said "yes.`, true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := evaluation.UnbalancedQuotes(tt.text); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAnswerHygiene(t *testing.T) {
	c1 := cite("000_a.txt", "one", 0)
	var h evaluation.AnswerHygiene
	h.Add(grounded(c1, cite("000_a.txt", "two", 10)))                                                       // clean
	h.Add(grounded(c1, c1))                                                                                 // repeated
	h.Add(answer.Answer{Grounded: true, Answer: "““Broken [1]", Citations: []citation.Citation{c1}})        // unbalanced
	h.Add(answer.Answer{Grounded: true, Answer: "One [1] (000_a.txt)", Citations: []citation.Citation{c1}}) // file name
	h.Add(answer.Answer{Answer: answer.NotCovered})                                                         // decline
	want := evaluation.AnswerHygiene{Answers: 5, RepeatedQuote: 1, Unbalanced: 1, FileNames: 1}
	if h != want {
		t.Errorf("got %+v, want %+v", h, want)
	}
}

func TestScoreAlone(t *testing.T) {
	one, two := cite("a", "Rutte is the secretary general.", 0), cite("b", "The call lasted 40 minutes.", 5)
	tests := []struct {
		name     string
		r        evaluation.DeskResult
		a, alone answer.Answer
		want     bool
		why      string
	}{
		{"same quotes", evaluation.DeskResult{Right: true}, grounded(one), grounded(one), true, ""},
		{"same quotes, other order", evaluation.DeskResult{Right: true}, grounded(one, two), grounded(two, one), true, ""},
		{"merged: a quote of the earlier question added", evaluation.DeskResult{Right: true}, grounded(one, two), grounded(one), false, "merged with the earlier question (quotes differ from the question asked alone)"},
		{"merged and wrong", evaluation.DeskResult{Why: "declined"}, answer.Answer{}, grounded(one), false, "declined; merged with the earlier question (quotes differ from the question asked alone)"},
		{"both declined", evaluation.DeskResult{Right: true}, answer.Answer{}, answer.Answer{}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := evaluation.ScoreAlone(tt.r, tt.a, tt.alone)
			if got.Right != tt.want || got.Why != tt.why {
				t.Errorf("got right=%v why=%q, want right=%v why=%q", got.Right, got.Why, tt.want, tt.why)
			}
		})
	}
}
