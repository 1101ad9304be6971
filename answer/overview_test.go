package answer

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/retrieval"
)

func TestOverviewQuestions(t *testing.T) {
	tests := []struct {
		q     string
		kind  Kind
		topic string // the topic's analysed terms
	}{
		{"Give me the main points on the security guarantees.", KindOverview, "secur guarante"},
		{"key takeaways about the territory question", KindOverview, "territori"},
		{"highlights on the weapons offer?", KindOverview, "weapon offer"},
		{"Could you list the key developments in the troops debate?", KindOverview, "troop"},
		{"Brief me on the summit plans", KindOverview, "summit plan"},
		{"What happened today?", KindOverview, ""},
		{"Which points did Leavitt make?", KindList, ""},
	}
	for _, tt := range tests {
		q := parseQuestion(tt.q)
		if q.Kind != tt.kind {
			t.Errorf("parseQuestion(%q).Kind = %q, want %q", tt.q, q.Kind, tt.kind)
			continue
		}
		if tt.kind != KindOverview {
			continue
		}
		topic := overviewTopic(q.Content)
		if got := strings.Join(retrieval.Analyze(topic), " "); got != tt.topic {
			t.Errorf("%q: topic terms %q, want %q", tt.q, got, tt.topic)
		}
		if hasTopic(topic) != (tt.topic != "") {
			t.Errorf("%q: hasTopic(%q) = %v, want %v", tt.q, topic, !(tt.topic != ""), tt.topic != "")
		}
	}
}

// TestOverviewPointsOnTopic checks that every point of an overview on a
// topic is about it: each cited quote holds a word of the topic or one of
// its paraphrases, and there are 3-5 points from at least two articles.
func TestOverviewPointsOnTopic(t *testing.T) {
	c := seedComposer(t, Options{})
	tests := []struct {
		q         string
		about     []string // every quote holds one of these (lower case)
		minPoints int      // 0: 3
	}{
		{"Give me the main points on the security guarantees.", []string{"guarantee", "protection", "article 5", "security"}, 0},
		{"key takeaways about the territory question", []string{"territor", "donbas", "donetsk", "luhansk", "land"}, 0},
		{"brief me on the troops question", []string{"troop", "boots", "soldier", "forces", "force", "military"}, 0},
		{"What are the highlights on the weapons purchase?", []string{"weapon", "arms", "purchase", "buy", "bought"}, 0},
		// The retrieved passages hold two sentences on air support: two
		// points, none only on "support".
		{"give me the highlights about air support", []string{"air"}, 2},
		{"What happened today?", nil, 0}, // no topic: a general overview
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			ans := askVerified(t, c, tt.q)
			if !ans.Grounded {
				t.Fatalf("declined: %s", ans.Answer)
			}
			least := tt.minPoints
			if least == 0 {
				least = 3
			}
			if n := len(ans.Citations); n < least || n > overviewPoints {
				t.Errorf("got %d points, want %d to %d", n, least, overviewPoints)
			}
			arts := map[string]bool{}
			for _, ct := range ans.Citations {
				arts[ct.Source] = true
				quote := strings.ToLower(ct.Quote)
				on := len(tt.about) == 0
				for _, w := range tt.about {
					on = on || strings.Contains(quote, w)
				}
				if !on {
					t.Errorf("point [%d] is not about the topic (none of %q): %s", ct.N, tt.about, ct.Quote)
				}
			}
			if len(arts) < 2 {
				t.Errorf("points from %d articles, want at least 2", len(arts))
			}
		})
	}
}

// TestOverviewFramingWords checks that words about the news rather than
// the topic ("the coverage of", "the latest on", "what the outlets say
// about") are no topic words, however the request is framed, while the
// same words naming a topic ("press conference", "social media") stay.
func TestOverviewFramingWords(t *testing.T) {
	const call = "trump phone call putin"
	tests := []struct {
		q     string
		topic string // the topic's analysed terms
	}{
		{"Summarize Trump's phone call with Putin.", call},
		{"Summarize the coverage of Trump's phone call with Putin.", call},
		{"Summarise the press coverage of Trump's phone call with Putin", call},
		{"Give me the latest on Trump's phone call with Putin", call},
		{"What's the latest on Trump's phone call with Putin?", call},
		{"Give me everything on Trump's phone call with Putin", call},
		{"Tell me everything we know about Trump's phone call with Putin", call},
		{"What do the outlets say about Trump's phone call with Putin?", call},
		{"How are the papers covering Trump's phone call with Putin?", call},
		{"Recap the reporting on Trump's phone call with Putin", call},
		{"Brief me on the news stories about Trump's phone call with Putin", call},
		{"Sum up the articles on Trump's phone call with Putin", call},
		{"Catch me up on the reports about Trump's phone call with Putin", call},
		{"What's the coverage of Trump's phone call with Putin?", call},
		{"Give me a summary of the media reports on Trump's phone call with Putin", call},
		{"Summarize what the sources say about Trump's phone call with Putin", call},
		{"Summarize the press conference on Monday", "press confer monday"},
		{"Brief me on the social media posts", "social media post"},
	}
	for _, tt := range tests {
		q := parseQuestion(tt.q)
		if q.Kind != KindOverview {
			t.Errorf("parseQuestion(%q).Kind = %q, want %q", tt.q, q.Kind, KindOverview)
			continue
		}
		if got := strings.Join(retrieval.Analyze(overviewTopic(q.Content)), " "); got != tt.topic {
			t.Errorf("%q: topic terms %q, want %q", tt.q, got, tt.topic)
		}
	}
}

// TestOverviewTopicRecall checks that an overview of a topic the articles
// cover from several sides gets 3-5 points from at least two articles,
// holding the sentences about the topic's names and key noun and not one
// that shares only a modifier with it ("a phone interview" is no point on
// a phone call), however the request is framed.
func TestOverviewTopicRecall(t *testing.T) {
	c := seedComposer(t, Options{})
	tests := []struct {
		q     string
		want  []string // each is in some point (lower case)
		never []string // none is in any point
	}{
		{"Summarize Trump's phone call with Putin.", []string{"40 minutes", "breaking away"}, []string{"phone interview"}},
		{"Summarize the coverage of Trump's phone call with Putin.", []string{"40 minutes", "breaking away"}, []string{"phone interview"}},
		{"What do the outlets say about Trump's call with Putin?", []string{"40 minutes", "breaking away"}, []string{"phone interview"}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			ans := askVerified(t, c, tt.q)
			if !ans.Grounded {
				t.Fatalf("declined: %s", ans.Answer)
			}
			if n := len(ans.Citations); n < 3 || n > overviewPoints {
				t.Errorf("got %d points, want 3 to %d", n, overviewPoints)
			}
			if n := citedArticles(ans.Citations); n < 2 {
				t.Errorf("points from %d articles, want at least 2", n)
			}
			var quotes []string
			for _, ct := range ans.Citations {
				quotes = append(quotes, strings.ToLower(ct.Quote))
			}
			all := strings.Join(quotes, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("no point holds %q; points:\n%s", w, all)
				}
			}
			for _, w := range tt.never {
				if strings.Contains(all, w) {
					t.Errorf("a point holds %q; points:\n%s", w, all)
				}
			}
		})
	}
}

// TestOverviewGivesWhatThereIs checks that an overview is never declined
// when a sentence is on the topic, and is declined when the topic's name
// is nowhere in the articles.
func TestOverviewGivesWhatThereIs(t *testing.T) {
	c := seedComposer(t, Options{})
	tests := []struct {
		q        string
		grounded bool
		about    string // in every point (lower case)
	}{
		{"Brief me on the drones Ukraine would sell to the US", true, "drones"},
		{"Summarize the Budapest summit plan", true, "budapest"},
		{"Recap the Olympic Games", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			ans := askVerified(t, c, tt.q)
			if ans.Grounded != tt.grounded {
				t.Fatalf("grounded = %v, want %v: %s", ans.Grounded, tt.grounded, ans.Answer)
			}
			if tt.grounded && len(ans.Citations) == 0 {
				t.Fatalf("grounded with no points: %s", ans.Answer)
			}
			for _, ct := range ans.Citations {
				if !strings.Contains(strings.ToLower(ct.Quote), tt.about) {
					t.Errorf("point [%d] is not about %q: %s", ct.N, tt.about, ct.Quote)
				}
			}
		})
	}
}

func TestTopicTerms(t *testing.T) {
	qt := []weightedTerm{{term: "trump", weight: 0.01}, {term: "phone", weight: 2.4}, {term: "call", weight: 1.4}, {term: "putin", weight: 0.2}}
	got, common, compounds := topicTerms("Trump's phone call with Putin.", [][]string{{"Trump's"}, {"Putin"}}, qt)
	want := map[string]float64{"trump": 2.4, "phone": 2.4, "call": 1.4, "putin": 2.4}
	for _, t2 := range got {
		if t2.weight != want[t2.term] {
			t.Errorf("weight of %q = %v, want %v", t2.term, t2.weight, want[t2.term])
		}
	}
	if !common["phone"] || !common["call"] || common["trump"] || common["putin"] || len(common) != 2 {
		t.Errorf("common = %v, want phone and call", common)
	}
	if compounds["phone"] != "call" || len(compounds) != 1 {
		t.Errorf("compounds = %v, want phone -> call", compounds)
	}
	// An acronym is a name though "us" is a common word.
	if _, common, _ := topicTerms("drones Ukraine would sell to the US", nil, nil); common["us"] {
		t.Errorf("common = %v, want no us", common)
	}
}

func TestInOtherCompound(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"In a phone interview with a talk show host, Trump said so.", true},
		{"Trump held a phone call with Putin.", false},
		{"Trump spoke to Putin by phone.", false},
		{"Trump spoke by phone with Putin.", false},
		{"A phone interview, then a phone call.", false},
		{"Nothing about it here.", false},
	}
	for _, tt := range tests {
		if got := inOtherCompound(tt.text, "phone", "call"); got != tt.want {
			t.Errorf("inOtherCompound(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestTopicTermsNamesAndHeadlines(t *testing.T) {
	tests := []struct {
		topic  string
		common string // the topic's common words, analysed, sorted
	}{
		{"European Commission President Ursula von der Leyen", ""},         // "von der" is part of the name
		{"Territorial Concessions on the Table", "concess tabl territori"}, // a headline: capitals mark no names
		{"Trump's phone call with Putin", "call phone"},
		{"the drones Ukraine would sell to the US", "drone sell"},
	}
	for _, tt := range tests {
		_, common, _ := topicTerms(tt.topic, questionNames("Summarize "+tt.topic), nil)
		got := slices.Sorted(maps.Keys(common))
		if strings.Join(got, " ") != tt.common {
			t.Errorf("topicTerms(%q): common words %q, want %q", tt.topic, strings.Join(got, " "), tt.common)
		}
	}
}
