package answer

import (
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
		{"Could you list the key developments in the troops debate?", KindOverview, "troop debat"},
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
