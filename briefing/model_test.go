package briefing

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/prompts"
	"github.com/briefbot/briefbot/sentence"
)

var passageRE = regexp.MustCompile(`(?s)<passage n="(\d+)" source="([^"]*)"[^>]*>\n(.*?)\n</passage>`)

// promptPassages returns the passages of a briefing prompt by number.
func promptPassages(tb testing.TB, p prompts.Prompt) map[int]string {
	tb.Helper()
	out := map[int]string{}
	for _, m := range passageRE.FindAllStringSubmatch(p.User, -1) {
		n, _ := strconv.Atoi(m[1])
		out[n] = m[3]
	}
	if len(out) == 0 {
		tb.Fatalf("no passages in the prompt:\n%s", p.User)
	}
	return out
}

// firstSentence is the first sentence of a passage, verbatim.
func firstSentence(text string) string {
	ss := sentence.Split(text)
	return text[ss[0].Start:ss[0].End]
}

type replyPoint struct {
	Text      string       `json:"text"`
	Citations []int        `json:"citations"`
	Quotes    []replyQuote `json:"quotes"`
}

type replyQuote struct {
	Citation int    `json:"citation"`
	Text     string `json:"text"`
}

func TestModelBriefing(t *testing.T) {
	ix := seedIndex(t)
	var prompt prompts.Prompt
	write := func(ctx context.Context, p prompts.Prompt) (string, error) {
		prompt = p
		ps := promptPassages(t, p)
		points := []replyPoint{
			{Text: "Outlets report the talks [1].", Citations: []int{1}, Quotes: []replyQuote{{1, firstSentence(ps[1])}}},
			{Text: "A second outlet adds detail.", Citations: []int{2}, Quotes: []replyQuote{{2, firstSentence(ps[2])}}},
			{Text: "Putin resigned on Tuesday.", Citations: []int{1}, Quotes: []replyQuote{{1, "Putin resigned on Tuesday."}}},
			{Text: "A quote from a passage that does not exist.", Citations: []int{99}, Quotes: []replyQuote{{99, firstSentence(ps[1])}}},
		}
		reply := map[string]any{"stories": []any{map[string]any{
			"story": 1, "headline": "Leaders meet on Ukraine security guarantees", "points": points, "disagreements": []any{},
		}}}
		data, err := json.Marshal(reply)
		return "```json\n" + string(data) + "\n```", err
	}
	br, err := NewBuilder(ix, Options{Write: write}, nil).Build(context.Background(), Request{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	checkBriefing(t, ix, br)
	if !strings.Contains(prompt.System, "verbatim") && !strings.Contains(prompt.System, "character for character") {
		t.Errorf("system prompt does not ask for verbatim quotes:\n%s", prompt.System)
	}
	if br.Mode != ModeModel {
		t.Fatalf("got mode %q, want model", br.Mode)
	}
	s := br.Stories[0]
	if s.Headline != "Leaders meet on Ukraine security guarantees" {
		t.Errorf("got headline %q, want the model's", s.Headline)
	}
	var texts []string
	for _, p := range s.Points {
		texts = append(texts, p.Text)
	}
	if want := []string{"Outlets report the talks.", "A second outlet adds detail."}; !slices.Equal(texts, want) {
		t.Errorf("got points %q, want the two with verified quotes %q (markers stripped)", texts, want)
	}
	for _, c := range br.Citations {
		if strings.Contains(c.Quote, "Putin resigned") {
			t.Errorf("an unverified quote was cited: %q", c.Quote)
		}
	}
	if !slices.ContainsFunc(br.Notes, func(n string) bool { return strings.Contains(n, "2 points whose quotes could not be found verbatim") }) {
		t.Errorf("got notes %q, want one about the 2 dropped points", br.Notes)
	}
	// The disagreements the finder sees are kept in a model briefing.
	kinds := map[string]bool{}
	for _, d := range s.Disagreements {
		kinds[d.Kind] = true
	}
	if !kinds["figure"] || !kinds["title"] {
		t.Errorf("got disagreements %+v, want the figure and title ones too", s.Disagreements)
	}
	// The story fills the briefing: its threads are extracted, as without
	// a model.
	if len(s.Threads) < 2 {
		t.Errorf("got %d threads, want the seeds' story split into threads in a model briefing too", len(s.Threads))
	}
	if breaks := ruleBreaks(br); len(breaks) > 0 {
		t.Errorf("got rule breaks %q", breaks)
	}
}

func TestModelBriefingDisagreement(t *testing.T) {
	ix := seedIndex(t)
	write := func(ctx context.Context, p prompts.Prompt) (string, error) {
		ps := promptPassages(t, p)
		var a, b int // passages with the two weapons figures
		for n, text := range ps {
			if strings.Contains(text, "$100bn worth of U.S. weapons") {
				a = n
			}
			if strings.Contains(text, "$90bn in American weapons") {
				b = n
			}
		}
		if a == 0 || b == 0 {
			t.Fatalf("prompt lacks the weapons passages:\n%s", p.User)
		}
		reply := map[string]any{"stories": []any{map[string]any{
			"story": 1, "headline": "Weapons deal",
			"points": []replyPoint{
				{Text: "Ukraine offered to buy US weapons.", Citations: []int{a}, Quotes: []replyQuote{{a, "a proposal to purchase $100bn worth of U.S. weapons"}}},
				{Text: "Another outlet gives a lower figure.", Citations: []int{b}, Quotes: []replyQuote{{b, "a plan to purchase $90bn in American weapons"}}},
			},
			"disagreements": []any{
				map[string]any{"kind": "figure", "about": "the weapons purchase", "sides": []any{
					map[string]any{"says": "$100bn", "citation": a, "quote": "a proposal to purchase $100bn worth of U.S. weapons"},
					map[string]any{"says": "$90bn", "citation": b, "quote": "a plan to purchase $90bn in American weapons"},
				}},
				map[string]any{"kind": "name", "about": "invented", "sides": []any{
					map[string]any{"says": "Boris", "citation": a, "quote": "Boris said so"},
					map[string]any{"says": "Ivan", "citation": b, "quote": "Ivan said so"},
				}},
			},
		}}}
		data, err := json.Marshal(reply)
		return string(data), err
	}
	br, err := NewBuilder(ix, Options{Write: write}, nil).Build(context.Background(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	checkBriefing(t, ix, br)
	ds := br.Stories[0].Disagreements
	if len(ds) == 0 || ds[0].About != "the weapons purchase" {
		t.Fatalf("got disagreements %+v, want the model's verified one first", ds)
	}
	for _, d := range ds {
		if d.About == "invented" {
			t.Errorf("got the unverifiable disagreement %+v", d)
		}
	}
}

func TestModelBriefingFallback(t *testing.T) {
	ix := seedIndex(t)
	tests := []struct {
		name  string
		write WriteFunc
		note  string
	}{
		{"model error", func(context.Context, prompts.Prompt) (string, error) { return "", errors.New("503 from the model") },
			"The model could not write this briefing"},
		{"not JSON", func(context.Context, prompts.Prompt) (string, error) { return "Here is your briefing: all good.", nil },
			"The model could not write this briefing"},
		{"nothing verifiable", func(context.Context, prompts.Prompt) (string, error) {
			return `{"stories":[{"story":1,"headline":"Made up","points":[{"text":"Invented.","citations":[1],"quotes":[{"citation":1,"text":"Nothing like this is in the articles."}]},{"text":"Also invented.","citations":[1],"quotes":[{"citation":1,"text":"Nor this."}]}],"disagreements":[]}]}`, nil
		}, "could not be verified against the articles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br, err := NewBuilder(ix, Options{Write: tt.write}, nil).Build(context.Background(), Request{})
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			checkBriefing(t, ix, br)
			if br.Mode != ModeExtractive {
				t.Errorf("got mode %q, want extractive", br.Mode)
			}
			if !slices.ContainsFunc(br.Notes, func(n string) bool { return strings.Contains(n, tt.note) }) {
				t.Errorf("got notes %q, want one containing %q", br.Notes, tt.note)
			}
			if len(br.Stories) == 0 || br.Stories[0].Headline == "Made up" {
				t.Errorf("got stories %+v, want the extractive ones", br.Stories)
			}
		})
	}
}
