package briefing

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
)

func TestOpensWithPronoun(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"She adds that Trump has directed his national security team to coordinate with Europe.", true},
		{"He wrote on Saturday on Twitter/X that security must be guaranteed.", true},
		{"They were finished two days ahead of schedule, the council added.", true},
		{"But they said the works would start in spring.", true},
		{"“He is the best,” said the mayor.", true},
		{"Their verdict: central banks won’t break their economies.", true},
		{"Theresa May spoke first.", false},
		{"Hera is a Greek goddess.", false},
		{"The council said they would meet.", false},
		{"Helsinki hosted the summit.", false},
	}
	for _, tt := range tests {
		if got := opensWithPronoun(tt.s); got != tt.want {
			t.Errorf("opensWithPronoun(%q): got %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestIsCaptionOrByline(t *testing.T) {
	tests := []struct {
		s, author string
		want      bool
	}{
		{"Photograph: Tom Reed/Coastal Courier", "", true},
		{"Photo by Nathan Ingraham / Engadget Apple MacBook Air (15-inch, M2) $1,049 The MacBook Air is the top pick.", "", true},
		{"Credit: Courtesy of the artist and Jack Shainman Gallery, New York As a 20-year-old film student, Mitchell took up photography.", "", true},
		{"Will and Jada in 2000 (Getty Images)", "", true},
		{"4 United were once again the victims of their own demise Credit: Getty", "", true},
		{"By Jane Marsh", "", true},
		{"By Jane Marsh, Political Editor", "", true},
		{"Additional reporting by Sam Hale.", "", true},
		{"Jane Marsh, 19 August 2025", "Jane Marsh", true},
		{"Jane Marsh is a reporter at the Coastal Courier.", "", true},
		{"By November 2022, the letters had arrived at the Title IX offices.", "", false},
		{"By absorbing and dissipating energy, crumple zones help to prevent injuries.", "", false},
		{"The photo shows the bridge at dawn, the council said.", "", false},
		{"Jane Marsh told the council that the bridge was safe to reopen on Tuesday.", "", false},
	}
	for _, tt := range tests {
		if got := isCaptionOrByline(tt.s, tt.author); got != tt.want {
			t.Errorf("isCaptionOrByline(%q, %q): got %v, want %v", tt.s, tt.author, got, tt.want)
		}
	}
}

func TestIsTableLine(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"Age: 26 • Experience: 5 yrs. Weekly Breakdown MATCHUP @ DET DET -10 O/U 45 OPP VS RB 5th PROJ PTS 9.9", true},
		{"MATCHUP @ DAL DAL -9 O/U 47.5 OPP VS WR 10th PROJ PTS 10.6 WR RNK 31st YTD Stats REC 54 TAR 79", true},
		{"NASA and the ESA said the launch of the probe would slip to the spring of next year.", false},
		{"The council approved a budget of £4.2m for 12 new buses and 3 ferries on Monday evening.", false},
	}
	for _, tt := range tests {
		if got := isTableLine(tt.s); got != tt.want {
			t.Errorf("isTableLine(%q): got %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestHeadlineOf(t *testing.T) {
	tests := []struct {
		name, text string
		limit      int
		want       string
		ok         bool
	}{
		{"fits whole", "Harbour bridge reopens after repairs.", 120, "Harbour bridge reopens after repairs", true},
		{"main clause before if",
			"U.S. President Donald Trump has said Washington will help “co-ordinate” European security guarantees for Ukraine if a peace agreement with Russia can be reached, while pushing for a direct meeting.",
			120, "U.S. President Donald Trump has said Washington will help “co-ordinate” European security guarantees for Ukraine", true},
		{"first sentence of a long title",
			"Sony Music’s artists aren’t involved in YouTube’s new voice-cloning AI experiment. Not unrelated: Google’s recent filing with the US Copyright Office on training data",
			120, "Sony Music’s artists aren’t involved in YouTube’s new voice-cloning AI experiment", true},
		{"not at an abbreviation",
			"Best sportsbook bonus offers for NFL Monday Night Football Eagles vs. Seahawks: Claim over $5,000 in bonuses from Bet365, BetMGM, BetRivers, Caesars and more",
			120, "Best sportsbook bonus offers for NFL Monday Night Football Eagles vs. Seahawks", true},
		{"a bare name is no headline",
			"German Chancellor Friedrich Merz, who attended the White House meetings and several other meetings in Washington on Monday, suggested a bilateral session.",
			60, "German Chancellor Friedrich Merz, who attended the White House meetings and several other meetings in Washington on Monday, suggested a bilateral session", false},
		{"no clause: whole, never cut",
			"Is the Coverage on Taylor Swift and Travis Kelce’s Romance Nothing but Hype or a Pivotal Shift in NFL’s Century-Old Game Plan Towards Global Recognition?",
			120, "Is the Coverage on Taylor Swift and Travis Kelce’s Romance Nothing but Hype or a Pivotal Shift in NFL’s Century-Old Game Plan Towards Global Recognition?", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := headlineOf(tt.text, tt.limit)
			if got != tt.want || ok != tt.ok {
				t.Errorf("headlineOf: got %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
			if strings.HasSuffix(got, "…") {
				t.Errorf("headlineOf: got %q, cut with an ellipsis", got)
			}
		})
	}
}

// fixtureIndex indexes the articles of a directory under testdata.
func fixtureIndex(tb testing.TB, dir string) *retrieval.Index {
	tb.Helper()
	arts, skips, err := article.Load("testdata/" + dir)
	if err != nil || len(skips) > 0 {
		tb.Fatalf("load testdata/%s: %v, skipped %v", dir, err, skips)
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

// TestFixturePoints: in three reports of a bridge reopening, a sentence
// that opens with "She" is a point only with the sentence before, which
// names her; "They" after a sentence that names no one is never a point;
// the photo credit, the byline and the contributor line are never points.
func TestFixturePoints(t *testing.T) {
	ix := fixtureIndex(t, "harbour")
	br, err := NewBuilder(ix, Options{}, nil).Build(context.Background(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	checkBriefing(t, ix, br)
	if breaks := ruleBreaks(br); len(breaks) > 0 {
		t.Errorf("got rule breaks %q", breaks)
	}
	if len(br.Stories) != 1 {
		t.Fatalf("got %d stories, want the three reports as one", len(br.Stories))
	}
	var points []string
	for _, s := range br.Stories {
		for _, p := range s.Points {
			points = append(points, p.Text)
		}
		for _, th := range s.Threads {
			for _, p := range th.Points {
				points = append(points, p.Text)
			}
		}
	}
	tests := []struct {
		name     string
		contains string // a point containing this
		mustHave string // must also contain this ("" for: no point may contain it)
	}{
		{"she with the sentence naming her", "She said the repairs had cost £4.2m", "Council leader Maria Okafor cut the ribbon"},
		{"she added with her name", "She added that a full inspection", "Council leader Maria Okafor told reporters"},
		{"he with the harbour master", "He said the ferry would return", "Harbour master Peter Lund welcomed"},
		{"they after no name", "They were finished two days ahead", ""},
		{"they after ferry operators", "They expect numbers to fall back", ""},
		{"photo credit", "Photograph:", ""},
		{"byline", "Jane Marsh", ""},
		{"contributor line", "Additional reporting", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range points {
				if !strings.Contains(p, tt.contains) {
					continue
				}
				if tt.mustHave == "" || !strings.Contains(p, tt.mustHave) {
					t.Errorf("got point %q, want no point with %q unless it has %q", p, tt.contains, tt.mustHave)
				}
			}
		})
	}
	if h := br.Stories[0].Headline; h != "Harbour bridge reopens after eleven weeks of repairs" {
		t.Errorf("got headline %q, want the article's title", h)
	}
}

// TestSeedsThreads: the seeds are one story filling the briefing; it is
// split into threads, found from the articles' words: the troops, the
// summit plans, territory and the weapons offer among them, each with its
// own points from more than one article, none repeating another point.
func TestSeedsThreads(t *testing.T) {
	ix := seedIndex(t)
	br, err := NewBuilder(ix, Options{}, nil).Build(context.Background(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	checkBriefing(t, ix, br)
	if breaks := ruleBreaks(br); len(breaks) > 0 {
		t.Errorf("got rule breaks %q", breaks)
	}
	if len(br.Stories) != 1 {
		t.Fatalf("got %d stories, want 1", len(br.Stories))
	}
	s := br.Stories[0]
	if n := len(s.Threads); n < 3 || n > maxThreads {
		t.Fatalf("got %d threads, want 3 to %d: %+v", n, maxThreads, s.Threads)
	}
	seen := map[string]bool{}
	for _, p := range s.Points {
		seen[p.Text] = true
	}
	byN := map[int]string{}
	for _, c := range br.Citations {
		byN[c.N] = c.Source
	}
	var all []string
	for i, th := range s.Threads {
		var text strings.Builder
		text.WriteString(th.Headline)
		from := map[string]bool{}
		for _, p := range th.Points {
			if seen[p.Text] {
				t.Errorf("thread %d repeats the point %q", i+1, p.Text)
			}
			seen[p.Text] = true
			text.WriteString(" " + p.Text)
			for _, n := range p.Citations {
				from[byN[n]] = true
				if !slices.Contains(th.Articles, byN[n]) {
					t.Errorf("thread %d cites [%d] of %s, not in its articles %v", i+1, n, byN[n], th.Articles)
				}
			}
		}
		if len(th.Points) < minThreadPoints || len(from) < 2 {
			t.Errorf("thread %d %q: got %d points from %d articles, want %d or more from 2 or more", i+1, th.Headline, len(th.Points), len(from), minThreadPoints)
		}
		if len(th.Outlets) != len(th.Articles) { // each seed article is an outlet of its own
			t.Errorf("thread %d: got outlets %q for articles %q", i+1, th.Outlets, th.Articles)
		}
		all = append(all, strings.ToLower(text.String()))
	}
	for _, want := range []struct{ thread, words string }{
		{"troops", `\b(?:troops|boots on the ground)\b`},
		{"summit plans", `\b(?:summit|trilateral|bilateral)\b`},
		{"territory", `\bterritor`},
		{"weapons offer", `\$100bn.*\$90bn|\$90bn.*\$100bn`},
	} {
		re := regexp.MustCompile(want.words)
		n := 0
		for _, th := range all {
			if re.MatchString(th) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("no thread about the %s (%s); got threads %q", want.thread, want.words, all)
		}
	}
	// The JSON form: threads under the story, each with headline, points
	// (each with text) and articles.
	data, err := json.Marshal(br)
	if err != nil {
		t.Fatal(err)
	}
	var shape struct {
		Stories []struct {
			Threads []struct {
				Headline string `json:"headline"`
				Points   []struct {
					Text string `json:"text"`
				} `json:"points"`
				Articles []string `json:"articles"`
			} `json:"threads"`
		} `json:"stories"`
	}
	if err := json.Unmarshal(data, &shape); err != nil {
		t.Fatal(err)
	}
	if got := len(shape.Stories[0].Threads); got != len(s.Threads) {
		t.Fatalf("JSON has %d threads, want %d", got, len(s.Threads))
	}
	for i, th := range shape.Stories[0].Threads {
		if th.Headline == "" || len(th.Points) == 0 || th.Points[0].Text == "" || len(th.Articles) == 0 {
			t.Errorf("JSON thread %d: got %+v, want headline, points with text and articles", i+1, th)
		}
	}
	text := br.Text()
	if first := strings.Fields(s.Threads[0].Headline); !strings.Contains(text, "1.1 "+strings.Join(first[:min(3, len(first))], " ")) {
		t.Errorf("Text() lacks the first thread's headline %q:\n%s", s.Threads[0].Headline, text)
	}
}

func TestNamesSomeone(t *testing.T) {
	known := newNames([]string{"White House press secretary Karoline Leavitt confirmed the plan on Tuesday."})
	tests := []struct {
		s    string
		want bool
	}{
		{"Council leader Maria Okafor cut the ribbon at eight o'clock.", true},
		{"Leavitt was pressed further on Tuesday to confirm the meeting.", true}, // a surname the article gives
		{"“Karoline Leavitt” was the answer.", true},
		{"The president has definitely stated US boots will not be on the ground in Ukraine.", false},
		{"The county council said the repairs cost £4.5m.", false},
		{"Ferry operators said passenger numbers had tripled.", false},
		{"Trump’s Alaska summit failed.", false}, // a possessive ends a name
	}
	for _, tt := range tests {
		if got := known.namesSomeone(tt.s); got != tt.want {
			t.Errorf("namesSomeone(%q): got %v, want %v (runs %q)", tt.s, got, tt.want, nameRuns(tt.s))
		}
	}
}
