package answer

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
)

func TestParseQuestion(t *testing.T) {
	tests := []struct {
		q           string
		kind        Kind
		want        AnswerType
		contentLack string // a type word that must not be content
	}{
		{"How long has the war in Ukraine lasted?", KindFact, TypeDuration, "long"},
		{"How long did the talks go on in Alaska?", KindFact, TypeDuration, "go"},
		{"How long did it take Ukraine to respond?", KindFact, TypeDuration, "take"},
		{"For how long has the war dragged on so far?", KindFact, TypeDuration, "dragged"},
		{"How quickly did the minister say the bridge would be rebuilt?", KindFact, TypeDuration, "quickly"},
		{"How fast can the new plant be built?", KindFact, TypeDuration, "fast"},
		{"In how many days will the ceasefire start?", KindFact, TypeDuration, "days"},
		{"Which city did the White House consider for the summit?", KindFact, TypePlace, "city"},
		{"When would Putin and Zelenskyy meet?", KindFact, TypeTime, ""},
		{"How much did Ukraine offer to spend on US arms?", KindFact, TypeNumber, "much"},
		{"Who will lead the talks for the US?", KindFact, TypePerson, ""},
		{"Who is Karoline Leavitt?", KindFact, TypeAny, ""},
		{"Which company makes ChatGPT?", KindFact, TypeOrganisation, "company"},
		{"Will American soldiers be deployed to Ukraine?", KindYesNo, TypeAny, ""},
		{"Which European leaders came to Washington?", KindList, TypeAny, ""},
		{"Which countries might host the peace talks?", KindList, TypePlace, "countries"},
		{"Summarize the meeting at the White House.", KindOverview, TypeAny, "Summarize"},
		{"What happened in Alaska?", KindOverview, TypeAny, "happened"},
		{"Where do the reports disagree?", KindDisagreement, TypePlace, "disagree"},
		{"Do the reports agree on the weapons deal?", KindDisagreement, TypeAny, "agree"},
		{`Who said "you don't have to come"?`, KindQuote, TypePerson, ""},
		{"Apart from troops, what kinds of help are on offer?", KindList, TypeAny, "kinds"},
		{"Given the talks, which ministers spoke?", KindList, TypePerson, ""},
		{"Apart from troops, what is on offer?", KindFact, TypeAny, ""},
		{"Quick one: who is Mark Rutte?", KindFact, TypeAny, ""},
		{"Is there any dispute between outlets over the arms deal?", KindDisagreement, TypeAny, "dispute"},
		{"Did the mayor agree to the council's new budget?", KindYesNo, TypeAny, ""},
		{"What protections did the president agree to give the region?", KindList, TypeAny, ""},
		{"What did the minister say about the conflict in the east?", KindFact, TypeAny, ""},
		{"Are the accounts of the strike in conflict?", KindDisagreement, TypeAny, ""},
		{"List what the plan offers Washington.", KindList, TypeAny, ""},
		{"My editor wants the Hungarian angle: according to the coverage, why might Budapest be awkward?", KindFact, TypeAny, "editor"},
		{"Could you please tell me who chairs the coalition?", KindFact, TypePerson, "please"},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			got := parseQuestion(tc.q)
			if got.Kind != tc.kind {
				t.Errorf("kind = %q, want %q", got.Kind, tc.kind)
			}
			if got.Want != tc.want {
				t.Errorf("answer type = %q, want %q", got.Want, tc.want)
			}
			if tc.contentLack != "" && slices.Contains(strings.Fields(got.Content), tc.contentLack) {
				t.Errorf("content %q keeps the type word %q", got.Content, tc.contentLack)
			}
		})
	}
}

func TestQuestionNames(t *testing.T) {
	got := questionNames("What did Friedrich Merz say to Putin about the Olympic Games?")
	want := [][]string{{"Friedrich", "Merz"}, {"Putin"}, {"Olympic", "Games"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("got names %q, want %q", got, want)
	}
}

func TestHoldsType(t *testing.T) {
	asked := termSet("war ukraine summit zelenskyy")
	tests := []struct {
		text string
		want AnswerType
		ok   bool
	}{
		{"The three-year-long war in Ukraine goes on.", TypeDuration, true},
		{"The war in Ukraine goes on.", TypeDuration, false},
		{"The summit could be held before month’s end.", TypeTime, true},
		{"The summit was a success.", TypeTime, false},
		{"Ukraine offered to buy $100bn of weapons.", TypeNumber, true},
		{"The summit could be held in Budapest.", TypePlace, true},
		{"The summit is about Ukraine.", TypePlace, false},
		{"Then Karoline Leavitt spoke about the summit.", TypePerson, true},
		{"Then the summit ended.", TypePerson, false},
		// A name after "the" is a thing or a place, not a person.
		{"Then the United States spoke about the summit.", TypePerson, false},
		// The full name of someone the question names by surname is no
		// new person.
		{"Then Volodymyr Zelenskyy spoke about the summit.", TypePerson, false},
		{"The summit club belonged to Kostiantyn Kartavtsev, a soldier.", TypePerson, true},
	}
	for _, tc := range tests {
		if got := holdsType(tc.text, tc.want, asked); got != tc.ok {
			t.Errorf("holdsType(%q, %s) = %v, want %v", tc.text, tc.want, got, tc.ok)
		}
	}
}

// TestNamesAndWords checks the composer's handling of names and words:
// a name absent from the articles declines, a surname stands for the full
// name, a paraphrase matches and a near spelling matches.
func TestNamesAndWords(t *testing.T) {
	c := seedComposer(t, Options{})
	tests := []struct {
		q        string
		grounded bool
		evidence string // a phrase the quotes must hold
	}{
		{"What did Putin say about the Olympic Games?", false, ""},
		{"What did Friedrich Merz say about a ceasefire?", true, "Merz"},
		{"Will American soldiers be deployed to Ukraine?", true, "troops"},
		{"What did Steve Witkof tell CNN?", true, "Witkoff"},
		{"Which city did the White House consider for the summit?", true, "Budapest"},
		{"Who was tasked with setting up the Putin-Zelenskyy summit?", true, "Rubio"},
		{"Which Ukrainian regions does Moscow want?", true, "Luhansk"},
		{"What city is the White House looking at for the peace talks?", true, "Budapest"},
		{"Where did Macron say the Putin-Zelenskyy summit ought to be held?", true, "Geneva"},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			ans, err := c.Answer(context.Background(), tc.q, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkVerbatim(t, c.index, ans)
			if ans.Grounded != tc.grounded {
				t.Fatalf("grounded = %v (support %.2f), want %v; answer: %s", ans.Grounded, ans.Support, tc.grounded, ans.Answer)
			}
			if !tc.grounded && ans.Support != 0 {
				t.Errorf("declined with support %.2f, want 0 for a hard decline", ans.Support)
			}
			var quotes []string
			for _, ct := range ans.Citations {
				quotes = append(quotes, ct.Quote)
			}
			if tc.evidence != "" && !strings.Contains(strings.Join(quotes, " "), tc.evidence) {
				t.Errorf("quotes lack %q: %q", tc.evidence, quotes)
			}
		})
	}
}

// TestKindsAnswered checks the answers to overview, disagreement and quote
// lookup questions and the replies to input that is no question.
func TestKindsAnswered(t *testing.T) {
	c := seedComposer(t, Options{})
	tests := []struct {
		q          string
		grounded   bool
		minCites   int
		minArts    int
		replyHas   string // the answer's text must hold this
		noQuotes   bool   // a reply, not quotes
		disagreeOn []string
	}{
		{q: "Summarize the meeting at the White House.", grounded: true, minCites: 3, minArts: 2},
		{q: "What are the main points?", grounded: true, minCites: 3, minArts: 2},
		{q: "What happened in Alaska?", grounded: true, minCites: 3, minArts: 2, replyHas: "Alaska"},
		{q: "Where do the reports disagree?", grounded: true, minCites: 2, minArts: 2, disagreeOn: []string{"$90bn", "$100bn"}},
		{q: "Do the sources agree on Friedrich Merz's title?", grounded: true, minCites: 2, minArts: 2, disagreeOn: []string{"German Chancellor", "German opposition leader"}},
		{q: `Who said "You don’t have to come"?`, grounded: true, minCites: 1, minArts: 1, replyHas: "Putin said it"},
		{q: `Who said "I just want to see what happens at the meeting"?`, grounded: true, minCites: 1, minArts: 1, replyHas: "Trump also said"},
		{q: "thanks!", replyHas: "welcome", noQuotes: true},
		{q: "why?", replyHas: "Could you", noQuotes: true},
		{q: "x", replyHas: "Could you", noQuotes: true},
		{q: "qwzx vbnmq", replyHas: "couldn't match", noQuotes: true},
		{q: "troops", replyHas: "What would you like to know about troops?", noQuotes: true},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			ans, err := c.Answer(context.Background(), tc.q, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkVerbatim(t, c.index, ans)
			if ans.Grounded != tc.grounded {
				t.Fatalf("grounded = %v, want %v; answer: %s", ans.Grounded, tc.grounded, ans.Answer)
			}
			if tc.noQuotes && len(ans.Citations) > 0 {
				t.Errorf("got %d citations, want a reply without quotes", len(ans.Citations))
			}
			if len(ans.Citations) < tc.minCites {
				t.Errorf("got %d citations, want at least %d", len(ans.Citations), tc.minCites)
			}
			arts := map[string]bool{}
			for _, ct := range ans.Citations {
				arts[ct.Source] = true
			}
			if len(arts) < tc.minArts {
				t.Errorf("cites %d articles, want at least %d", len(arts), tc.minArts)
			}
			if tc.replyHas != "" && !strings.Contains(ans.Answer, tc.replyHas) {
				t.Errorf("answer lacks %q: %s", tc.replyHas, ans.Answer)
			}
			if tc.disagreeOn != nil {
				var says []string
				for _, d := range ans.Disagreements {
					for _, s := range d.Sides {
						says = append(says, s.Says)
					}
				}
				for _, w := range tc.disagreeOn {
					if !slices.Contains(says, w) {
						t.Errorf("disagreement sides %q lack %q", says, w)
					}
				}
			}
		})
	}
}

func TestStandAloneQuestionsNotMerged(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		{"Who is Karoline Leavitt?", false},
		{"What happened in Geneva?", false},
		{"Where is Budapest?", false},
		{"air support?", true},
		{"and Russia?", true},
	}
	for _, tc := range tests {
		if got := looksLikeFollowUp(tc.q); got != tc.want {
			t.Errorf("looksLikeFollowUp(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestAbsentOutlet(t *testing.T) {
	c := seedComposer(t, Options{})
	tests := []struct {
		q    string
		want bool
	}{
		{"What did an article from The Independent UK say about troops?", false},
		{"What did the report published by Bloomberg say about troops?", true},
		{"What did Leavitt say about troops?", false},
	}
	for _, tc := range tests {
		if got := c.absentOutlet(tc.q); got != tc.want {
			t.Errorf("absentOutlet(%q) = %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestCorrectTypos(t *testing.T) {
	c := seedComposer(t, Options{})
	tests := []struct{ in, want string }{
		{"how long did trumps call with putn last", "how long did trumps call with putin last"},
		{"how mcuh did ukriane offer", "how much did ukraine offer"},
		{"What is the price of oil today?", "What is the price of oil today?"}, // common words are no typos
		{"Who is Zelenskyy?", "Who is Zelenskyy?"},
		// Forms of words the articles use are no typos either: "sent"
		// is not "set" misspelt.
		{"will ground troops be sent to ukraine", "will ground troops be sent to ukraine"},
		{"who brought the golf club", "who brought the golf club"},
	}
	for _, tc := range tests {
		hits, err := c.index.Search(context.Background(), retrieval.Query{Text: tc.in, K: 8, Diverse: true})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := c.correctTypos(tc.in, hits)
		if got != tc.want {
			t.Errorf("correctTypos(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCloseSpelling(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"ukriane", "ukraine", true},
		{"putn", "putin", true},
		{"mcuh", "much", true},
		{"price", "prime", true},
		{"summit", "summit", false},
		{"oil", "all", false},
	}
	for _, tc := range tests {
		if got := closeSpelling(tc.a, tc.b); got != tc.want {
			t.Errorf("closeSpelling(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestListEnd(t *testing.T) {
	text := "Intro line.\nThe meeting included:\n\n  • Keir Starmer\n  • Emmanuel Macron\n\nThe talks ended."
	a := &article.Article{ID: "a", Text: text, Body: []article.Span{{Start: 0, End: len(text)}}}
	start := strings.Index(text, "The meeting")
	end := start + len("The meeting included:")
	got := text[start:listEnd(a, start, end)]
	if !strings.HasSuffix(got, "Emmanuel Macron") || !strings.Contains(got, "Keir Starmer") {
		t.Errorf("got %q, want the sentence with both bullet items", got)
	}
	plain := strings.Index(text, "Intro")
	if e := listEnd(a, plain, plain+len("Intro line.")); e != plain+len("Intro line.") {
		t.Errorf("a sentence without a colon was extended to %q", text[plain:e])
	}
}

// TestListsGatherItems checks that a list question quotes enough of the
// items the articles give, across sentences and bullet lists, and still shows
// only the top k passages although it retrieves deeper.
func TestListsGatherItems(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "lists.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Question string     `json:"question"`
		Items    [][]string `json:"items"`
		Min      int        `json:"min"`
	}
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	c := seedComposer(t, Options{})
	for _, tc := range cases {
		t.Run(tc.Question, func(t *testing.T) {
			if got := parseQuestion(tc.Question).Kind; got != KindList {
				t.Fatalf("kind: got %q, want %q", got, KindList)
			}
			ans, err := c.Answer(context.Background(), tc.Question, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !ans.Grounded {
				t.Fatalf("declined: %s", ans.Answer)
			}
			if len(ans.Passages) > c.opts.K {
				t.Errorf("passages: got %d, want at most %d", len(ans.Passages), c.opts.K)
			}
			var quotes []string
			for _, cit := range ans.Citations {
				quotes = append(quotes, strings.ToLower(cit.Quote))
			}
			joined := strings.Join(quotes, " ")
			found := 0
			for _, group := range tc.Items {
				for _, item := range group {
					if strings.Contains(joined, item) {
						found++
						break
					}
				}
			}
			if found < tc.Min {
				t.Errorf("items quoted: got %d of %d, want at least %d; answer: %s", found, len(tc.Items), tc.Min, ans.Answer)
			}
		})
	}
}

func TestYesNoPredicate(t *testing.T) {
	tests := []struct{ q, want string }{
		{"Did Trump accept the golf club?", "accept"},
		{"Will American soldiers be deployed to Ukraine?", "deploy"},
		{"Is Trump going to sit in on the meeting?", "sit"},
		{"Has the Kremlin confirmed the summit?", "confirm"},
		{"Who will lead the talks?", ""},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			if got := yesNoPredicate(tc.q); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestYesNoLeadsWithDecidingSentence checks that a yes/no answer opens with
// the sentence holding the question's predicate.
func TestYesNoLeadsWithDecidingSentence(t *testing.T) {
	tests := []struct{ q, lead string }{
		{"Has Trump accepted the club from Zelenskyy?", "accepted"},
	}
	c := seedComposer(t, Options{})
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			ans, err := c.Answer(context.Background(), tc.q, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(ans.Sentences) == 0 {
				t.Fatalf("no sentences: %s", ans.Answer)
			}
			if got := ans.Sentences[0].Text; !strings.Contains(got, tc.lead) {
				t.Errorf("lead: got %q, want a sentence with %q", got, tc.lead)
			}
		})
	}
}

func TestHoldsItems(t *testing.T) {
	asked := termSet("lavrov guarantors")
	tests := []struct {
		text string
		ok   bool
	}{
		{"That is, Russia, the People’s Republic of China, the United States, France, and the United Kingdom, Lavrov said.", true},
		{"Then Russia and China spoke.", false},
		{"Lavrov, the Russian minister, said so.", false},
	}
	for _, tc := range tests {
		if got := holdsItems(tc.text, asked); got != tc.ok {
			t.Errorf("holdsItems(%q) = %v, want %v", tc.text, got, tc.ok)
		}
	}
}

func TestDropCompounds(t *testing.T) {
	tests := []struct {
		terms []string
		want  []string
	}{
		{[]string{"putinzelenskyy", "putin", "zelenskyy", "summit"}, []string{"putin", "zelenskyy", "summit"}},
		{[]string{"ceasefire", "fire"}, []string{"ceasefire", "fire"}}, // "cease" is no term of the question
	}
	for _, tc := range tests {
		var qt []weightedTerm
		for _, term := range tc.terms {
			qt = append(qt, weightedTerm{term: term, weight: 1})
		}
		var got []string
		for _, w := range dropCompounds(qt) {
			got = append(got, w.term)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("dropCompounds(%q) = %q, want %q", tc.terms, got, tc.want)
		}
	}
}

func TestSplitJoined(t *testing.T) {
	vocab := map[string]int{"white": 5, "house": 7, "white house": 3, "whit": 1, "ehouse": 1, "nano": 4, "particles": 4}
	tests := []struct{ word, want string }{
		{"whitehouse", "white house"},
		{"Whitehouse", "white house"},
		{"greenhouse", ""},
		// Both words are in the passages, but never side by side.
		{"nanoparticles", ""},
	}
	for _, tc := range tests {
		if got := splitJoined(tc.word, vocab); got != tc.want {
			t.Errorf("splitJoined(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestWithoutFraming(t *testing.T) {
	tests := []struct{ q, want string }{
		{"I'm writing up the talks for tomorrow's brief: can you tell me what the White House actually said about troops?", "what the White House said about troops?"},
		{"For a piece on the alliance I need to know how Rutte reacted, please.", "how Rutte reacted, ."},
		{"My editor wants the Hungarian angle: according to the coverage, why might Budapest be awkward?", "why might Budapest be awkward?"},
		{"Who is Mark Rutte?", "Who is Mark Rutte?"},
		// A colon inside a question that does not follow it stays.
		{"What did Leavitt say: yes or no?", "What did Leavitt say: yes or no?"},
	}
	for _, tc := range tests {
		if got := withoutFraming(tc.q); got != tc.want {
			t.Errorf("withoutFraming(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
}
