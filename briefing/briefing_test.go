package briefing

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/internal/benchdata"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/seeds"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// indexOnce builds an in-memory index once per test binary.
type indexOnce struct {
	once sync.Once
	ix   *retrieval.Index
	err  error
}

func (o *indexOnce) get(tb testing.TB, load func() ([]article.Article, error)) *retrieval.Index {
	tb.Helper()
	o.once.Do(func() {
		arts, err := load()
		if err != nil {
			o.err = err
			return
		}
		ix, err := retrieval.New(context.Background(), retrieval.Config{})
		if err != nil {
			o.err = err
			return
		}
		if _, err := ix.Add(context.Background(), arts); err != nil {
			o.err = err
			return
		}
		o.ix = ix
	})
	if o.err != nil {
		tb.Fatal(o.err)
	}
	return o.ix
}

var seedIx, multihopIx indexOnce

// seedIndex is an index of the five seed articles.
func seedIndex(tb testing.TB) *retrieval.Index {
	tb.Helper()
	return seedIx.get(tb, func() ([]article.Article, error) {
		arts, _, err := article.LoadFS(seeds.FS)
		return arts, err
	})
}

// multihopIndex is an index of the MultiHop-RAG corpus (609 articles over
// three months), loaded with article.Load.
func multihopIndex(tb testing.TB) *retrieval.Index {
	tb.Helper()
	// Found (or skipped) outside the once: a skip inside it would leave
	// the index nil for the next test.
	corpus := benchdata.Path(tb, "multihop-rag", "corpus.json")
	return multihopIx.get(tb, func() ([]article.Article, error) {
		arts, _, err := article.Load(corpus)
		if err == nil && len(arts) != 609 {
			tb.Errorf("article.Load(%s): got %d articles, want 609", corpus, len(arts))
		}
		return arts, err
	})
}

// articlesByDay counts the index's articles per publication day.
func articlesByDay(ix Index) map[string][]string {
	out := map[string][]string{}
	for _, a := range ix.Articles() {
		if d := a.Date(); d != "" {
			out[d] = append(out[d], a.ID)
		}
	}
	return out
}

// busiestDay and typicalDay pick days of the corpus: the one with the most
// articles, and the one with the median count (earliest on ties).
func busiestDay(ix Index) string {
	days := articlesByDay(ix)
	best := ""
	for d, ids := range days {
		if best == "" || len(ids) > len(days[best]) || len(ids) == len(days[best]) && d < best {
			best = d
		}
	}
	return best
}

func typicalDay(ix Index) string {
	days := articlesByDay(ix)
	var keys []string
	for d := range days {
		keys = append(keys, d)
	}
	sort.Slice(keys, func(i, j int) bool {
		if len(days[keys[i]]) != len(days[keys[j]]) {
			return len(days[keys[i]]) < len(days[keys[j]])
		}
		return keys[i] < keys[j]
	})
	return keys[len(keys)/2]
}

func mustDay(tb testing.TB, s string) time.Time {
	tb.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// checkBriefing fails unless the briefing is well formed: every citation's
// quote is exactly its article's text at its offsets, inside the body;
// citations are numbered 1..n; every point and disagreement side cites
// existing citations, of the story's own articles; every story has two to
// four points; no article is in two stories.
func checkBriefing(tb testing.TB, ix Index, b Briefing) {
	tb.Helper()
	byN := map[int]citation.Citation{}
	for i, c := range b.Citations {
		if c.N != i+1 {
			tb.Errorf("citation %d: got number %d, want %d", i, c.N, i+1)
		}
		byN[c.N] = c
		a, ok := ix.Article(c.Source)
		if !ok {
			tb.Errorf("citation [%d]: article %q not in the index", c.N, c.Source)
			continue
		}
		if c.Start < 0 || c.End > len(a.Text) || c.Start >= c.End || a.Text[c.Start:c.End] != c.Quote {
			tb.Errorf("citation [%d]: quote %q is not the article's text at %d:%d", c.N, c.Quote, c.Start, c.End)
			continue
		}
		inBody := false
		for _, s := range a.Body {
			if c.Start >= s.Start && c.End <= s.End {
				inBody = true
			}
		}
		if !inBody {
			tb.Errorf("citation [%d]: %d:%d is outside the body of %s", c.N, c.Start, c.End, c.Source)
		}
		if c.PublishedAt != a.Date() || c.Outlet != a.Outlet || c.Title != a.DisplayTitle() {
			tb.Errorf("citation [%d]: got date %q outlet %q title %q, want the article's %q %q %q", c.N, c.PublishedAt, c.Outlet, c.Title, a.Date(), a.Outlet, a.DisplayTitle())
		}
	}
	seen := map[string]bool{}
	for i, s := range b.Stories {
		own := map[string]bool{}
		for _, id := range s.Articles {
			if seen[id] {
				tb.Errorf("story %d: article %s is in two stories", i+1, id)
			}
			seen[id], own[id] = true, true
		}
		if n := len(s.Points); n < 2 || n > 4 {
			tb.Errorf("story %d %q: got %d points, want 2 to 4", i+1, s.Headline, n)
		}
		if s.Headline == "" || strings.Contains(s.Headline, "\n") {
			tb.Errorf("story %d: headline %q is not one line", i+1, s.Headline)
		}
		cites := func(where string, ns ...int) {
			for _, n := range ns {
				c, ok := byN[n]
				switch {
				case !ok:
					tb.Errorf("story %d %s: cites [%d], which does not exist", i+1, where, n)
				case !own[c.Source]:
					tb.Errorf("story %d %s: cites [%d] from %s, not one of the story's articles", i+1, where, n, c.Source)
				}
			}
		}
		for j, p := range s.Points {
			if len(p.Citations) == 0 {
				tb.Errorf("story %d point %d %q has no citation", i+1, j+1, p.Text)
			}
			cites("point", p.Citations...)
		}
		for k, th := range s.Threads {
			if th.Headline == "" || strings.Contains(th.Headline, "\n") {
				tb.Errorf("story %d thread %d: headline %q is not one line", i+1, k+1, th.Headline)
			}
			if len(th.Points) == 0 || len(th.Articles) == 0 {
				tb.Errorf("story %d thread %d %q: got %d points, %d articles; want some of each", i+1, k+1, th.Headline, len(th.Points), len(th.Articles))
			}
			for _, id := range th.Articles {
				if !own[id] {
					tb.Errorf("story %d thread %d: article %s is not the story's", i+1, k+1, id)
				}
			}
			for _, p := range th.Points {
				if len(p.Citations) == 0 {
					tb.Errorf("story %d thread %d point %q has no citation", i+1, k+1, p.Text)
				}
				cites("thread point", p.Citations...)
			}
		}
		for _, d := range s.Disagreements {
			if len(d.Sides) < 2 {
				tb.Errorf("story %d: disagreement %+v has fewer than two sides", i+1, d)
			}
			for _, side := range d.Sides {
				cites("disagreement", side.Citation)
				if c, ok := byN[side.Citation]; ok && !strings.Contains(c.Quote, side.Says) {
					tb.Errorf("story %d: side %q is not in its quote %q", i+1, side.Says, c.Quote)
				}
			}
		}
	}
}

func TestSeedsBriefing(t *testing.T) {
	ix := seedIndex(t)
	b, err := NewBuilder(ix, Options{}, nil).Build(context.Background(), Request{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	checkBriefing(t, ix, b)
	if b.Date != "" || b.Articles != 5 || b.Mode != ModeExtractive {
		t.Errorf("got date %q, %d articles, mode %q; want no date, 5 articles, extractive", b.Date, b.Articles, b.Mode)
	}
	var ids []string
	for _, s := range b.Stories {
		ids = append(ids, s.Articles...)
	}
	slices.Sort(ids)
	var want []string
	for _, a := range ix.Articles() {
		want = append(want, a.ID)
	}
	if !slices.Equal(ids, want) {
		t.Errorf("got articles %v in the stories, want all five %v", ids, want)
	}
	if len(b.Stories) == 0 || len(b.Stories) > 2 {
		t.Errorf("got %d stories, want the one event as one or two stories", len(b.Stories))
	}
	if !slices.ContainsFunc(b.Notes, func(n string) bool { return strings.Contains(n, "dates of these 5 articles are unknown") }) {
		t.Errorf("got notes %q, want one saying the dates are unknown", b.Notes)
	}
	byN := map[int]citation.Citation{}
	for _, c := range b.Citations {
		byN[c.N] = c
	}
	// The facts the seeds give differently (see ../shared/seeds/README.md).
	wantDis := []struct {
		kind string
		says []string
		from []string // article ID prefixes, in side order
	}{
		{"figure", []string{"$100bn", "$90bn"}, []string{"001_", "004_"}},
		{"title", []string{"German Chancellor", "German opposition leader"}, []string{"001_", "003_"}},
		{"timing", []string{"within two weeks", "before month’s end"}, []string{"001_", "003_"}},
	}
	for _, w := range wantDis {
		t.Run(w.kind, func(t *testing.T) {
			for _, s := range b.Stories {
				for _, d := range s.Disagreements {
					if d.Kind != w.kind || len(d.Sides) != 2 {
						continue
					}
					a, c := byN[d.Sides[0].Citation], byN[d.Sides[1].Citation]
					if d.Sides[0].Says == w.says[0] && d.Sides[1].Says == w.says[1] &&
						strings.HasPrefix(a.Source, w.from[0]) && strings.HasPrefix(c.Source, w.from[1]) {
						if a.N == c.N || a.Source == c.Source {
							t.Errorf("disagreement %+v: both sides cite one article", d)
						}
						return
					}
				}
			}
			t.Errorf("no %s disagreement %q (%v); got stories %+v", w.kind, w.says, w.from, b.Stories)
		})
	}
	// Points are drawn from several articles.
	for i, s := range b.Stories {
		if len(s.Articles) < 2 {
			continue
		}
		from := map[string]bool{}
		for _, p := range s.Points {
			from[byN[p.Citations[0]].Source] = true
		}
		if len(from) < 2 {
			t.Errorf("story %d: points all come from %v, want several articles", i+1, from)
		}
	}
	text := b.Text()
	flat := strings.Join(strings.Fields(text), " ") // the text is wrapped
	for _, want := range []string{"Outlets differ on a figure", "“$100bn” [", "“$90bn” [", "Sources [1] “", "date unknown", "Note: The publication dates"} {
		if !strings.Contains(flat, want) {
			t.Errorf("Text() lacks %q:\n%s", want, text)
		}
	}
}

// TestSeedsBriefingDeterministic: the same articles give the same briefing.
func TestSeedsBriefingDeterministic(t *testing.T) {
	ix := seedIndex(t)
	b := NewBuilder(ix, Options{}, nil)
	first, err := b.Build(context.Background(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		again, err := b.Build(context.Background(), Request{})
		if err != nil {
			t.Fatal(err)
		}
		x, _ := json.Marshal(first)
		y, _ := json.Marshal(again)
		if string(x) != string(y) {
			t.Fatalf("build %d differs:\n%s\nwant\n%s", i+2, y, x)
		}
	}
}

func TestMultiHopDateFilter(t *testing.T) {
	ix := multihopIndex(t)
	days := articlesByDay(ix)
	b := NewBuilder(ix, Options{MaxStories: 100}, nil)
	for _, day := range []string{busiestDay(ix), typicalDay(ix), "2023-09-26", "2023-12-11"} {
		t.Run(day, func(t *testing.T) {
			br, err := b.Build(context.Background(), Request{Date: mustDay(t, day)})
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			checkBriefing(t, ix, br)
			if br.Date != day {
				t.Errorf("got date %q, want %q", br.Date, day)
			}
			var got []string
			for _, s := range br.Stories {
				got = append(got, s.Articles...)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(days[day]))
			if !slices.Equal(got, want) || br.Articles != len(want) {
				t.Errorf("got %d articles %v (count %d), want that day's %d %v", len(got), got, br.Articles, len(want), want)
			}
			for _, c := range br.Citations {
				if c.PublishedAt != day {
					t.Errorf("citation [%d] of %s is dated %q, want %s", c.N, c.Source, c.PublishedAt, day)
				}
			}
			for i := 1; i < len(br.Stories); i++ {
				if len(br.Stories[i].Outlets) > len(br.Stories[i-1].Outlets) {
					t.Errorf("story %d has %d outlets, more than story %d's %d: want most outlets first",
						i+1, len(br.Stories[i].Outlets), i, len(br.Stories[i-1].Outlets))
				}
			}
		})
	}
}

// TestBusiestDayHasMultiOutletStory: the busiest day (2023-10-10, Prime Day)
// has one event covered by several outlets, and it comes first.
func TestBusiestDayHasMultiOutletStory(t *testing.T) {
	ix := multihopIndex(t)
	day := busiestDay(ix)
	br, err := NewBuilder(ix, Options{}, nil).Build(context.Background(), Request{Date: mustDay(t, day)})
	if err != nil {
		t.Fatal(err)
	}
	if len(br.Stories) == 0 || len(br.Stories[0].Outlets) < 3 {
		t.Fatalf("got stories %+v, want the first carried by three or more outlets", br.Stories)
	}
	for _, id := range br.Stories[0].Articles {
		a, _ := ix.Article(id)
		if !strings.Contains(strings.ToLower(a.Title), "deal") {
			t.Errorf("first story has %q, want only Prime Day deal articles", a.Title)
		}
	}
	if len(br.Stories) > DefaultMaxStories {
		t.Errorf("got %d stories, want at most %d", len(br.Stories), DefaultMaxStories)
	}
}

func TestDateSelection(t *testing.T) {
	ix := multihopIndex(t)
	newest := ""
	for d := range articlesByDay(ix) {
		newest = max(newest, d)
	}
	tests := []struct {
		name     string
		date     time.Time
		wantDate string
		empty    bool
		note     string
	}{
		{"zero date is the newest day", time.Time{}, newest, false, "the newest day with articles"},
		{"day without articles", mustDay(t, "2023-11-20"), "2023-11-20", true, "No articles were published on 2023-11-20 (the dated articles run from 2023-09-26 to " + newest + ")."},
		{"day before the corpus", mustDay(t, "2020-01-01"), "2020-01-01", true, "No articles were published on 2020-01-01"},
		{"date in another zone keeps its calendar day", time.Date(2023, 10, 10, 23, 30, 0, 0, time.FixedZone("UTC-5", -5*3600)), "2023-10-10", false, ""},
	}
	b := NewBuilder(ix, Options{}, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			br, err := b.Build(context.Background(), Request{Date: tt.date})
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			if br.Date != tt.wantDate {
				t.Errorf("got date %q, want %q", br.Date, tt.wantDate)
			}
			if got := len(br.Stories) == 0; got != tt.empty {
				t.Errorf("got %d stories, want empty %v", len(br.Stories), tt.empty)
			}
			if tt.note != "" && !slices.ContainsFunc(br.Notes, func(n string) bool { return strings.Contains(n, tt.note) }) {
				t.Errorf("got notes %q, want one containing %q", br.Notes, tt.note)
			}
			if br.Stories == nil || br.Citations == nil {
				t.Errorf("got nil stories or citations; want empty lists for a stable JSON shape")
			}
		})
	}
}

func TestTopicBriefing(t *testing.T) {
	tests := []struct {
		name    string
		ix      func(testing.TB) *retrieval.Index
		topic   string
		date    string
		mention string // every briefed article mentions this
		all     bool   // and every article that mentions it is briefed
		min     int
	}{
		{"seeds", seedIndex, "Friedrich Merz", "", "Merz", true, 2},
		{"multihop", multihopIndex, "Sam Altman OpenAI board", "", "OpenAI", false, 4},
		{"multihop on a day", multihopIndex, "OpenAI board Altman", "2023-11-18", "OpenAI", false, 2},
		{"nothing matches", seedIndex, "quantum chromodynamics", "", "", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := tt.ix(t)
			req := Request{Topic: tt.topic}
			if tt.date != "" {
				req.Date = mustDay(t, tt.date)
			}
			br, err := NewBuilder(ix, Options{}, nil).Build(context.Background(), req)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			checkBriefing(t, ix, br)
			if br.Topic != tt.topic || br.Date != tt.date {
				t.Errorf("got topic %q date %q, want %q %q", br.Topic, br.Date, tt.topic, tt.date)
			}
			got := map[string]bool{}
			for _, s := range br.Stories {
				for _, id := range s.Articles {
					got[id] = true
					a, _ := ix.Article(id)
					if !strings.Contains(a.Title+" "+a.BodyText(), tt.mention) {
						t.Errorf("article %s (%q) does not mention %q", id, a.Title, tt.mention)
					}
					if tt.date != "" && a.Date() != tt.date {
						t.Errorf("article %s is dated %s, want %s", id, a.Date(), tt.date)
					}
				}
			}
			if len(got) < tt.min || br.Articles != len(got) {
				t.Errorf("got %d articles (count %d), want at least %d", len(got), br.Articles, tt.min)
			}
			if tt.all {
				for _, a := range ix.Articles() {
					if strings.Contains(a.BodyText(), tt.mention) && !got[a.ID] {
						t.Errorf("article %s mentions %q but is not briefed", a.ID, tt.mention)
					}
				}
			}
			if tt.min == 0 && !slices.ContainsFunc(br.Notes, func(n string) bool { return strings.Contains(n, "match the topic") }) {
				t.Errorf("got notes %q, want one saying nothing matches", br.Notes)
			}
		})
	}
}

func TestBuildCancelled(t *testing.T) {
	ix := seedIndex(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewBuilder(ix, Options{}, nil).Build(ctx, Request{}); err == nil {
		t.Error("Build with a cancelled context: got no error")
	}
}

// TestUnknownOutlet: an article without an outlet is named by its title
// (never its file name), and counts as an outlet of its own.
func TestUnknownOutlet(t *testing.T) {
	text := "The council approved the harbour budget of 4 million pounds on Monday after a long debate in the chamber.\n\nCouncillors said the harbour works would start in spring and last two years, with the quay closed for repairs.\n"
	arts := []article.Article{
		{ID: "a.txt", Title: "Harbour budget approved", Text: text, Body: []article.Span{{Start: 0, End: len(text)}}},
		{ID: "b.txt", Outlet: "Harbour News", Text: text, Body: []article.Span{{Start: 0, End: len(text)}}},
	}
	ix, err := retrieval.New(context.Background(), retrieval.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(context.Background(), arts); err != nil {
		t.Fatal(err)
	}
	br, err := NewBuilder(ix, Options{}, nil).Build(context.Background(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	if len(br.Stories) != 1 {
		t.Fatalf("got %d stories, want the two copies as one", len(br.Stories))
	}
	want := []string{"Harbour News", "“Harbour budget approved”"}
	if got := br.Stories[0].Outlets; !slices.Equal(got, want) {
		t.Errorf("got outlets %q, want %q", got, want)
	}
}

// goldenBriefing is a fixed briefing for the rendering and JSON tests.
func goldenBriefing() Briefing {
	return Briefing{
		Date: "2025-08-19", Articles: 3, Mode: ModeExtractive, Since: "2025-08-18T08:00:00Z",
		Stories: []Story{{
			Key: "a.txt", Headline: "Harbour bridge reopens after repairs",
			Outlets: []string{"The Coastal Courier", "unknown outlet (b.txt)"}, Articles: []string{"a.txt", "b.txt"},
			Points: []answer.Sentence{
				{Text: "The harbour bridge reopened on Tuesday after eleven weeks of repairs.", Citations: []int{1, 2}},
				{Text: "Bus routes 7 and 12 return to their usual timetable from Wednesday.", Citations: []int{3}},
			},
			Disagreements: []answer.Disagreement{{Kind: "figure", About: "repairs, cost", Sides: []answer.Side{{Says: "£4.2m", Citation: 1}, {Says: "£4.5m", Citation: 4}}}},
			Threads: []Thread{
				{Headline: "Repairs cost more than planned", Points: []answer.Sentence{{Text: "The repairs cost £4.5m.", Citations: []int{4}}},
					Outlets: []string{"unknown outlet (b.txt)"}, Articles: []string{"b.txt"}},
				{Headline: "Buses return", Points: []answer.Sentence{{Text: "Bus routes 7 and 12 return to their usual timetable from Wednesday.", Citations: []int{3}}},
					Outlets: []string{"The Coastal Courier"}, Articles: []string{"a.txt"}},
			},
			Updated: true, NewArticles: []string{"b.txt"},
		}, {
			Key: "c.txt", Headline: "Ferry fares to rise", Outlets: []string{"Island Post"}, Articles: []string{"c.txt"},
			Points: []answer.Sentence{{Text: "Ferry fares rise by 5% in May.", Citations: []int{5}}, {Text: "The operator blames fuel costs.", Citations: []int{5}}},
			New:    true,
		}},
		Citations: []citation.Citation{
			{N: 1, Source: "a.txt", Title: "Harbour bridge reopens", Outlet: "The Coastal Courier", PublishedAt: "2025-08-19", URL: "https://courier.example/bridge", Quote: "The harbour bridge reopened on Tuesday after eleven weeks of repairs costing £4.2m.", Start: 0, End: 84},
			{N: 2, Source: "b.txt", Title: "Bridge open", Quote: "The bridge reopened on Tuesday after eleven weeks of repairs.", Start: 10, End: 71},
			{N: 3, Source: "a.txt", Title: "Harbour bridge reopens", Outlet: "The Coastal Courier", PublishedAt: "2025-08-19", URL: "https://courier.example/bridge", Quote: "Bus routes 7 and 12 return to their usual timetable from Wednesday.", Start: 200, End: 267},
			{N: 4, Source: "b.txt", Title: "Bridge open", Quote: "The repairs cost £4.5m.", Start: 80, End: 104},
			{N: 5, Source: "c.txt", Title: "Ferry fares to rise", Outlet: "Island Post", PublishedAt: "2025-08-19", Author: "J. Smith", Quote: "Ferry fares rise by 5% in May, the operator said, blaming fuel costs.", Start: 0, End: 69},
		},
		Notes: []string{"1 article with an unknown publication date is not in a dated briefing."},
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

func TestTextGolden(t *testing.T) {
	checkGolden(t, "briefing.txt.golden", []byte(goldenBriefing().Text()))
}

// TestJSONGolden pins the documented JSON shape (README.md).
func TestJSONGolden(t *testing.T) {
	data, err := json.MarshalIndent(goldenBriefing(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "briefing.json.golden", append(data, '\n'))
	var back Briefing
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.MarshalIndent(back, "", "  ")
	if string(again) != string(data) {
		t.Errorf("JSON does not round-trip:\n%s\nwant\n%s", again, data)
	}
}
