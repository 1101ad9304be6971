package briefing

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/answer"
)

// The rules every point and headline of a briefing follows, checked here
// independently of the code that makes them.
var (
	// A point that opens with a bare third-person pronoun ("She adds
	// that…", "But they said…") leaves the reader asking who.
	checkPronounRE = regexp.MustCompile(`^[\s“"‘'(\[]*(?:(?:But|And|Yet|So|Still|However|Now|Then|Instead|Meanwhile|Later|Also),?\s+)?(?:He|She|They|His|Her|Their|Him|Them|he|she|they|his|her|their)\b`)
	// Photo captions and credits.
	checkCaptionRE = regexp.MustCompile(`(?i)(?:\b(?:photograph|photo|picture|image|illustration|credit|video|gif)s?\s*:|^(?:photo|image|picture|illustration|gif|video)\s+by\b|getty\s+images|via\s+getty|\(getty\)|/getty|\bap\s+photo\b|shutterstock|courtesy\s+of\b.*\bgallery|\bimage\s+credit)`)
	// Bylines and contributor lines.
	checkBylineRE = regexp.MustCompile(`(?:^By\s+[A-Z][\p{L}.'’-]+(?:\s+[A-Z][\p{L}.'’-]+){0,3}\s*(?:$|[,|/•]|and\s+[A-Z])|(?i)^(?:additional\s+)?reporting\s+by\b|(?i)^(?:written|edited|compiled|produced)\s+by\b|(?i)^follow\s+\S+\s+on\s+(?:twitter|x|instagram)\b|^[A-Z][\p{L}'’-]+\s+[A-Z][\p{L}'’-]+\s+is\s+an?\s+(?:\w+\s+)?(?:reporter|writer|journalist|columnist|correspondent|editor)\b)`)
	// Words a phrase does not end on.
	checkDanglingRE = regexp.MustCompile(`(?i)\b(?:the|a|an|of|for|to|and|or|with|from|at|that|his|her|their|its)$`)
)

// ruleBreaks lists how the points and headlines of b break the rules: a
// point opening with a bare pronoun, a point that is a caption or a byline,
// a headline cut off or ending on a dangling word, or with unbalanced
// quotation marks.
func ruleBreaks(b Briefing) []string {
	var out []string
	point := func(where, text, author string) {
		switch {
		case checkPronounRE.MatchString(text):
			out = append(out, fmt.Sprintf("pronoun: %s %q", where, text))
		case checkCaptionRE.MatchString(text):
			out = append(out, fmt.Sprintf("caption: %s %q", where, text))
		case checkBylineRE.MatchString(text) || author != "" && strings.EqualFold(strings.TrimSpace(text), author):
			out = append(out, fmt.Sprintf("byline: %s %q", where, text))
		}
	}
	headline := func(where, h string) {
		h = strings.TrimSpace(h)
		trimmed := strings.TrimRight(h, ` .!?"”’'`)
		switch {
		case strings.HasSuffix(h, "…") || strings.HasSuffix(h, "..."):
			out = append(out, fmt.Sprintf("truncated: %s %q", where, h))
		case h == "" || checkDanglingRE.MatchString(trimmed):
			out = append(out, fmt.Sprintf("dangling: %s %q", where, h))
		case strings.Count(h, "“") != strings.Count(h, "”") || strings.Count(h, "(") != strings.Count(h, ")"):
			out = append(out, fmt.Sprintf("unbalanced: %s %q", where, h))
		}
	}
	authors := map[int]string{}
	for _, c := range b.Citations {
		authors[c.N] = c.Author
	}
	for i, s := range b.Stories {
		headline(fmt.Sprintf("story %d headline", i+1), s.Headline)
		for j, p := range s.Points {
			point(fmt.Sprintf("story %d point %d", i+1, j+1), p.Text, authors[firstOr0(p.Citations)])
		}
		for k, th := range s.Threads {
			headline(fmt.Sprintf("story %d thread %d headline", i+1, k+1), th.Headline)
			for j, p := range th.Points {
				point(fmt.Sprintf("story %d thread %d point %d", i+1, k+1, j+1), p.Text, authors[firstOr0(p.Citations)])
			}
		}
	}
	return out
}

func firstOr0(ns []int) int {
	if len(ns) == 0 {
		return 0
	}
	return ns[0]
}

// breakKinds counts rule breaks by kind ("pronoun", "caption", ...).
func breakKinds(breaks []string) map[string]int {
	out := map[string]int{}
	for _, b := range breaks {
		kind, _, _ := strings.Cut(b, ":")
		out[kind]++
	}
	return out
}

// TestRuleChecker: the checker itself catches what it must and lets pass
// what it must.
func TestRuleChecker(t *testing.T) {
	tests := []struct {
		name     string
		headline string
		point    string
		want     string // kind of break, "" for none
	}{
		{"plain point", "Council approves harbour budget", "The council approved the harbour budget on Monday.", ""},
		{"she adds", "Council approves harbour budget", "She adds that Trump has directed his team to coordinate with Europe.", "pronoun"},
		{"but they", "Council approves harbour budget", "But they said the works would start in spring.", "pronoun"},
		{"quoted he", "Council approves harbour budget", "“He is the best,” said the mayor.", "pronoun"},
		{"the word then", "Council approves harbour budget", "Theresa May spoke first.", ""},
		{"photo credit", "Council approves harbour budget", "Photo by Nathan Ingraham / Engadget The MacBook Air is on sale.", "caption"},
		{"photograph", "Council approves harbour budget", "The quay at dawn. Photograph: Jane Doe/Reuters", "caption"},
		{"getty", "Council approves harbour budget", "Will and Jada in 2000 (Getty Images)", "caption"},
		{"byline", "Council approves harbour budget", "By John Smith", "byline"},
		{"by a date", "Council approves harbour budget", "By November 2022, the letters had arrived at the offices.", ""},
		{"reporting by", "Council approves harbour budget", "Additional reporting by Zack Whittaker.", "byline"},
		{"cut headline", "U.S. President Donald Trump has said Washington will help “co-ordinate” European security guarantees for…", "The council approved the budget.", "truncated"},
		{"dangling headline", "Trump says security guarantees for", "The council approved the budget.", "dangling"},
		{"unbalanced headline", "Trump will help “co-ordinate European guarantees", "The council approved the budget.", "unbalanced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Briefing{Stories: []Story{{Headline: tt.headline, Points: []answer.Sentence{{Text: tt.point, Citations: []int{1}}}}}}
			got := ruleBreaks(b)
			kinds := breakKinds(got)
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("got breaks %q, want none", got)
			case tt.want != "" && (kinds[tt.want] != 1 || len(got) != 1):
				t.Errorf("got breaks %q, want one %s", got, tt.want)
			}
		})
	}
}

// TestMultiHopDaysFollowRules briefs every day of the MultiHop-RAG corpus
// and checks every point and headline: none opens with a bare pronoun, is
// a caption or a byline, or is cut off.
func TestMultiHopDaysFollowRules(t *testing.T) {
	ix := multihopIndex(t)
	days := slices.Sorted(func(yield func(string) bool) {
		for d := range articlesByDay(ix) {
			if !yield(d) {
				return
			}
		}
	})
	b := NewBuilder(ix, Options{}, nil)
	total := map[string]int{}
	points, headlines, threads := 0, 0, 0
	for _, day := range days {
		br, err := b.Build(context.Background(), Request{Date: mustDay(t, day)})
		if err != nil {
			t.Fatalf("Build %s: %v", day, err)
		}
		checkBriefing(t, ix, br)
		for _, s := range br.Stories {
			headlines += 1 + len(s.Threads)
			points += len(s.Points)
			threads += len(s.Threads)
			for _, th := range s.Threads {
				points += len(th.Points)
			}
		}
		breaks := ruleBreaks(br)
		for k, n := range breakKinds(breaks) {
			total[k] += n
		}
		for _, br := range breaks {
			t.Errorf("%s: %s", day, br)
		}
	}
	// Topic briefings over all days: one story fills them, so they are
	// told in threads, which follow the same rules.
	for _, topic := range []string{"Sam Altman OpenAI board", "Israel Hamas war Gaza", "Sam Bankman-Fried FTX trial"} {
		br, err := b.Build(context.Background(), Request{Topic: topic})
		if err != nil {
			t.Fatalf("Build %q: %v", topic, err)
		}
		checkBriefing(t, ix, br)
		for _, s := range br.Stories {
			headlines += 1 + len(s.Threads)
			points += len(s.Points)
			threads += len(s.Threads)
			for _, th := range s.Threads {
				points += len(th.Points)
			}
		}
		breaks := ruleBreaks(br)
		for k, n := range breakKinds(breaks) {
			total[k] += n
		}
		for _, br := range breaks {
			t.Errorf("topic %q: %s", topic, br)
		}
	}
	if threads == 0 {
		t.Errorf("got no threads: want the topic briefings told in threads")
	}
	t.Logf("%d days and 3 topics: %d headlines, %d points, %d threads; breaks: pronoun %d, caption %d, byline %d, truncated %d, dangling %d, unbalanced %d",
		len(days), headlines, points, threads, total["pronoun"], total["caption"], total["byline"], total["truncated"], total["dangling"], total["unbalanced"])
}
