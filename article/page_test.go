package article_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/seeds"
)

// checkBody fails unless every body span of a is non-empty, trimmed of white
// space (the no-break space included), on rune boundaries, in order, not
// overlapping and inside a.Text.
func checkBody(tb testing.TB, a article.Article) {
	tb.Helper()
	prev := 0
	for i, s := range a.Body {
		if s.Start < prev || s.End <= s.Start || s.End > len(a.Text) {
			tb.Fatalf("%s: span %d = %+v: empty, out of order or outside the text of %d bytes (previous end %d)", a.ID, i, s, len(a.Text), prev)
		}
		t := a.Text[s.Start:s.End]
		if !utf8.RuneStart(a.Text[s.Start]) || (s.End < len(a.Text) && !utf8.RuneStart(a.Text[s.End])) {
			tb.Fatalf("%s: span %d = %+v: not on rune boundaries", a.ID, i, s)
		}
		first, _ := utf8.DecodeRuneInString(t)
		last, _ := utf8.DecodeLastRuneInString(t)
		if unicode.IsSpace(first) || unicode.IsSpace(last) {
			tb.Fatalf("%s: span %d = %q: not trimmed", a.ID, i, t)
		}
		prev = s.End
	}
}

// inBody reports whether the byte range [start, end) of a.Text overlaps a
// body span.
func inBody(a article.Article, start, end int) bool {
	for _, s := range a.Body {
		if start < s.End && s.Start < end {
			return true
		}
	}
	return false
}

func loadSeeds(tb testing.TB) map[string]article.Article {
	tb.Helper()
	arts, skips, err := article.LoadFS(seeds.FS)
	if err != nil {
		tb.Fatalf("LoadFS(seeds.FS): %v", err)
	}
	if len(skips) != 0 {
		tb.Fatalf("LoadFS(seeds.FS): got skips %v, want none", skips)
	}
	byPrefix := make(map[string]article.Article)
	for _, a := range arts {
		byPrefix[a.ID[:3]] = a
	}
	if len(byPrefix) != 5 {
		tb.Fatalf("LoadFS(seeds.FS): got %d articles, want 5", len(byPrefix))
	}
	return byPrefix
}

// chromePhrases must never be inside a body span of a seed.
var chromePhrases = []string{
	"Sign up", "Sign in", "Related Stories", "Leave a Reply", "Leave a Comment", "Key events",
	"Download the app", "Your email address", "Get all your news", "Start reading", "Our Picks",
	"Opening summary", "No comments yet", "trusted global sources",
}

func TestParseTextSeeds(t *testing.T) {
	arts := loadSeeds(t)
	tests := []struct {
		seed                  string
		title, outlet, author string
		// bodyStarts is the start of the first body line.
		bodyStarts string
		// inBody must be in the body; notInBody must not (as whole lines).
		inBody, notInBody []string
	}{
		{
			seed:       "000",
			title:      "White House just watered down the only concession it can claim Trump won from Putin — Ukraine security",
			outlet:     "The Independent UK",
			author:     "John Bowden",
			bodyStarts: "After a whirlwind of a weekend",
			inBody:     []string{`"It's possible that he doesn't want to make a deal."`, "Leavitt said on Tuesday."},
			notInBody:  []string{"The Independent UK", "John Bowden", "One app.", "100+ trusted global sources."},
		},
		{
			seed:       "001",
			bodyStarts: "U.S. President Donald Trump has said Washington",
			inBody:     []string{"Trump’s Position on Security Guarantees", "\nOutlook\n", "Push for a Putin-Zelenskyy Meeting"},
		},
		{
			seed:       "002",
			title:      "Trump has ‘definitively’ ruled out American boots on the ground but US to help coordinate security guarantees for Ukraine, White House confirms",
			bodyStarts: "Asked for the current status of talks",
			inBody: []string{
				"The US president, Donald Trump, has ruled out the deployment of American troops in Ukraine, but appeared to hint at possibility of US air security guarantees.",
				"Geneva is emerging as a potential location for a peace summit",
				"Summary\nI’m now handing the blog over to Lucy Campbell",
			},
			notInBody: []string{"Geneva emerges as potential location for Putin-Zelenskyy summit", "Opening summary"},
		},
		{
			seed:       "003",
			title:      "Trump Brokers Ukraine Peace Talks as Putin Signals Willingness for Security Deal.",
			bodyStarts: "President Donald Trump announced",
			inBody:     []string{"Ukrainian President Volodymyr Zelenskyy", "European Commission President Ursula von der Leyen", "White House Summit Brings Together Key Players"},
			notInBody:  []string{"Trump Brokers Ukraine Peace Talks as Putin Signals Willingness for Security Deal.", "Comments"},
		},
		{
			seed:       "004",
			bodyStarts: "Donald Trump intends to leave Russia",
			inBody:     []string{"It was not immediately clear whether that was part of the Ukraine weapons deal Trump announced last month."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.seed, func(t *testing.T) {
			a := arts[tt.seed]
			checkBody(t, a)
			if a.Title != tt.title || a.Outlet != tt.outlet || a.Author != tt.author {
				t.Errorf("got title %q, outlet %q, author %q; want %q, %q, %q", a.Title, a.Outlet, a.Author, tt.title, tt.outlet, tt.author)
			}
			if !a.PublishedAt.IsZero() || a.DateSource != "" {
				t.Errorf("got date %v from %q, want none", a.PublishedAt, a.DateSource)
			}
			if len(a.Body) == 0 {
				t.Fatalf("got no body")
			}
			if got := a.Text[a.Body[0].Start:]; !strings.HasPrefix(got, tt.bodyStarts) {
				t.Errorf("got body starting %q, want %q", got[:min(len(got), 60)], tt.bodyStarts)
			}
			body := a.BodyText()
			for _, s := range a.Body {
				span := a.Text[s.Start:s.End]
				for _, p := range chromePhrases {
					if strings.Contains(span, p) {
						t.Errorf("got chrome %q in body span %d-%d", p, s.Start, s.End)
					}
				}
			}
			for _, w := range tt.inBody {
				if !strings.Contains(body, w) {
					t.Errorf("got no %q in the body", w)
				}
			}
			for _, nw := range tt.notInBody {
				for off := 0; ; {
					k := strings.Index(a.Text[off:], nw)
					if k < 0 {
						break
					}
					if start := off + k; inBody(a, start, start+len(nw)) {
						t.Errorf("got %q (at byte %d) in the body, want it left out", nw, start)
					}
					off += k + len(nw)
				}
			}
		})
	}
}

// TestParseTextLiveBlogList checks, line by line, that 002's key-events list
// is out of the body where its headlines repeat as the posts' headings or
// are restated by the Summary post, and in it where they do not (the page
// holds only some of the posts), and that the Summary post's bullets are in
// the body.
func TestParseTextLiveBlogList(t *testing.T) {
	a := loadSeeds(t)["002"]
	head := strings.Index(a.Text, "Key events\n")
	tail := strings.Index(a.Text, "Opening summary\n")
	if head < 0 || tail < head {
		t.Fatalf("seed 002 has no key-events list")
	}
	for _, tc := range []struct {
		item   string
		inBody bool
	}{
		{"White House eyeing Budapest for peace talks with Zelenskyy and Putin – report", false}, // a post's heading further down
		{"US air support for Ukraine ‘an option and possibility’, says White House", false},
		{"Geneva emerges as potential location for Putin-Zelenskyy summit", false}, // restated by a Summary bullet
		{"Military planners to meet in US to discuss security guarantees for Ukraine, UK says", false},
		{"Trump appears to hint at possibility of US air security guarantees for Ukraine", false},
		{"‘Takes two to tango,’ Trump says as he discusses Putin-Zelenskyy talks", true}, // its post is not on the page
		{"‘Dynamics have accelerated,’ Poland’s defence minister says as ‘Coalition of the Willing’ call gets under way", true},
		{"Trump rules out US ground troops in Ukraine, says Europe to ‘front load’ security", true},
		{"Nato military leaders to discuss Ukraine on Wednesday", true}, // close to a repeated heading, not a restatement
		{"Starmer says ‘real progress’ made at Trump summit", true},
	} {
		k := strings.Index(a.Text[head:tail], tc.item)
		if k < 0 {
			t.Fatalf("seed 002's key-events list lacks %q", tc.item)
		}
		start := head + k
		if got := inBody(a, start, start+len(tc.item)); got != tc.inBody {
			t.Errorf("key-events item %q in body = %v, want %v", tc.item, got, tc.inBody)
		}
	}
	for _, chrome := range []string{"Key events", "Opening summary"} {
		at := strings.Index(a.Text, chrome+"\n")
		if inBody(a, at, at+len(chrome)) {
			t.Errorf("got the list's %q in the body", chrome)
		}
	}
	summary := strings.Index(a.Text, "\nSummary\nI’m now handing")
	if summary < 0 {
		t.Fatalf("seed 002 has no Summary post")
	}
	items := 0
	for off := summary; ; {
		k := strings.Index(a.Text[off:], "-\n")
		if k < 0 || off+k > summary+4000 {
			break
		}
		item := off + k + 2
		end := item + strings.IndexByte(a.Text[item:], '\n')
		if !inBody(a, item, end) {
			t.Errorf("got Summary bullet %q out of the body", a.Text[item:end])
		}
		items++
		off = end
	}
	if items < 10 {
		t.Errorf("got %d Summary bullets, want at least 10", items)
	}
	teaser := "Asked for the current status of talks regarding security guarantees for Ukraine"
	if n := strings.Count(a.Text, teaser); n != 2 {
		t.Fatalf("seed 002 has the teaser %d times, want 2", n)
	}
	if n := strings.Count(a.BodyText(), teaser); n != 1 {
		t.Errorf("got the teaser %d times in the body, want 1", n)
	}
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "pages", name))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func TestParseTextShapes(t *testing.T) {
	tests := []struct {
		file                  string
		title, outlet, author string
		url                   string
		date                  time.Time // zero: none
		dateSource            string    // "text" when empty and date is set
		inBody, notInBody     []string
		spans                 int
	}{
		{
			file:       "front_matter.md",
			title:      "Harbour bridge to close for six weeks of repairs",
			outlet:     "The Daily Ledger",
			author:     "Sam Whitfield and Priya Natarajan",
			url:        "https://ledger.example/news/harbour-bridge-repairs",
			date:       time.Date(2025, 8, 19, 7, 30, 0, 0, time.UTC),
			dateSource: "metadata",
			inBody:     []string{"The harbour bridge will close to traffic", "## Diversions\n\nBuses will run", "during the day."},
			notInBody:  []string{"---", "title:", "publisher:", "- Sam Whitfield", "published_at", "https://", "tags:", "# Harbour bridge", "By Sam Whitfield"},
			spans:      1,
		},
		{
			file:      "ledger_byline.txt",
			title:     "Council approves late-night bus trial across the city",
			outlet:    "The Daily Ledger",
			author:    "Priya Natarajan",
			date:      time.Date(2025, 8, 19, 0, 0, 0, 0, time.UTC),
			inBody:    []string{"The city council on Tuesday approved", "the transport committee chair said."},
			notInBody: []string{"Council approves late-night", "The Daily Ledger", "Priya Natarajan", "19 August 2025"},
			spans:     1,
		},
		{
			file:      "sam_byline.md",
			title:     "Library opens on Sundays from next month",
			author:    "Sam Whitfield",
			inBody:    []string{"The central library will open on Sundays", "rose by a third."},
			notInBody: []string{"# Library", "By Sam Whitfield"},
			spans:     1,
		},
		{
			file:      "byline_date.txt",
			title:     "EU leaders back new sanctions package against Russia",
			outlet:    "Reuters",
			author:    "Jane Doe",
			date:      time.Date(2025, 8, 19, 19, 4, 0, 0, time.UTC),
			inBody:    []string{"BRUSSELS, Aug 19 (Reuters) - European Union leaders", "Hungary and Slovakia have held up earlier packages"},
			notInBody: []string{"Skip to main content", "World", "By Jane Doe", "Published", "Updated", "Advertisement", "Reporting by", "Share this article", "Related Stories", "EU to unveil", "Most Read", "All rights reserved"},
			spans:     2,
		},
		{
			file:      "markdown_headline.md",
			title:     "Zelenskyy and Trump agree to talks on security guarantees",
			author:    "Maria Lopez",
			date:      time.Date(2025, 8, 19, 0, 0, 0, 0, time.UTC),
			inBody:    []string{"## What comes next\n\nNegotiators are expected", "European leaders will hold a call"},
			notInBody: []string{"# Zelenskyy", "By Maria Lopez", "Sign up to our newsletter"},
			spans:     2,
		},
		{
			file:      "advert_midbody.txt",
			title:     "Europe scrambles to define security guarantees for Ukraine",
			date:      time.Date(2025, 8, 19, 13, 5, 0, 0, time.UTC),
			inBody:    []string{"Leaders have two weeks to agree", "The question of who would command such a force remains open.", "Germany has said it will take part"},
			notInBody: []string{"Advertisement", "Skip advertisement", "Sign up to our newsletter", "Tue 19 Aug 2025"},
			spans:     5,
		},
		{
			file:      "hardwrapped.md",
			title:     "Kremlin cool on Putin-Zelenskyy summit",
			author:    "Anna Petrova",
			inBody:    []string{"would need to be \"prepared extremely carefully\",\ncasting doubt", "a venue. Geneva and Budapest have both been floated as possible hosts."},
			notInBody: []string{"By Anna Petrova"},
			spans:     1,
		},
		{
			file:      "inkl_guardian.txt",
			title:     "Kremlin keeps Washington guessing over Putin-Zelenskyy meeting",
			outlet:    "The Guardian",
			author:    "Pjotr Sauer",
			inBody:    []string{"The Kremlin has declined to confirm", "told state television."},
			notInBody: []string{"Start reading", "Pjotr Sauer\n", "Sign up", "Already a member", "Our Picks"},
			spans:     1,
		},
		{
			file:      "blog_comments.txt",
			title:     "Why Europe's security guarantees matter.",
			inBody:    []string{"What was agreed", "over the coming weeks."},
			notInBody: []string{"Share this:", "Facebook", "Like Loading", "Leave a Reply", "Your email address", "Name *", "Email *"},
			spans:     1,
		},
		{
			file:      "liveblog.txt",
			title:     "Ukraine war live: Zelenskyy says allies working on guarantees",
			inBody:    []string{"Volodymyr Zelenskyy has said Ukraine's allies", "must be prepared extremely carefully."},
			notInBody: []string{"Key events", "Show key events only", "Please turn on JavaScript"},
			spans:     1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a, err := article.ParseText(tt.file, readFixture(t, tt.file))
			if err != nil {
				t.Fatalf("ParseText: %v", err)
			}
			checkBody(t, a)
			if a.ID != tt.file {
				t.Errorf("got ID %q, want %q", a.ID, tt.file)
			}
			if a.Title != tt.title || a.Outlet != tt.outlet || a.Author != tt.author || a.URL != tt.url {
				t.Errorf("got title %q, outlet %q, author %q, url %q; want %q, %q, %q, %q", a.Title, a.Outlet, a.Author, a.URL, tt.title, tt.outlet, tt.author, tt.url)
			}
			wantSource := tt.dateSource
			if wantSource == "" && !tt.date.IsZero() {
				wantSource = "text"
			}
			if !a.PublishedAt.Equal(tt.date) || a.DateSource != wantSource {
				t.Errorf("got date %v from %q, want %v from %q", a.PublishedAt, a.DateSource, tt.date, wantSource)
			}
			if len(a.Body) != tt.spans {
				t.Errorf("got %d body spans, want %d:\n%s", len(a.Body), tt.spans, a.BodyText())
			}
			for _, w := range tt.inBody {
				if !strings.Contains(a.BodyText(), w) {
					t.Errorf("got no %q in the body", w)
				}
			}
			for _, nw := range tt.notInBody {
				for _, s := range a.Body {
					if strings.Contains(a.Text[s.Start:s.End], nw) {
						t.Errorf("got %q in body span %d-%d", nw, s.Start, s.End)
					}
				}
			}
		})
	}
}

func TestParseTextInline(t *testing.T) {
	tests := []struct {
		name                  string
		text                  string
		title, outlet, author string
		date                  string // YYYY-MM-DD, "" for none
		body                  []string
	}{
		{
			name:  "date in prose is not a publication date",
			text:  "Talks resume\n\nThe talks that began on August 19, 2025 in Washington will resume on Tuesday, officials said.",
			title: "Talks resume",
			body:  []string{"The talks that began on August 19, 2025 in Washington will resume on Tuesday, officials said."},
		},
		{
			name: "outlet not guessed from prose",
			text: "Reuters reported on Tuesday that the talks would resume next week in Geneva.",
			body: []string{"Reuters reported on Tuesday that the talks would resume next week in Geneva."},
		},
		{
			name:   "key-value header lines",
			text:   "Title: Talks resume in Geneva\nSource: Example Daily\nAuthor: Jane Doe\nPublished: 2025-08-21\n\nThe talks resumed on Thursday.",
			title:  "Talks resume in Geneva",
			outlet: "Example Daily",
			author: "Jane Doe",
			date:   "2025-08-21",
			body:   []string{"The talks resumed on Thursday."},
		},
		{
			name:  "front matter",
			text:  "---\ntitle: \"Talks resume\"\nauthor: Jane Doe\ndate: 2025-08-21T10:00:00Z\n---\n\nThe talks resumed on Thursday.\n",
			title: "Talks resume", author: "Jane Doe", date: "2025-08-21",
			body: []string{"The talks resumed on Thursday."},
		},
		{
			name:   "front matter with a flow list, quoted colon, other keys and CRLF",
			text:   "---\r\ntitle: 'Talks: day two'\r\nsource: Example Daily\r\nauthors: [Jane Doe, \"John Roe\"]\r\npublished: 21 August 2025\r\ndraft: false\r\n---\r\nThe talks resumed on Thursday.\r\n",
			title:  "Talks: day two",
			outlet: "Example Daily",
			author: "Jane Doe and John Roe",
			date:   "2025-08-21",
			body:   []string{"The talks resumed on Thursday."},
		},
		{
			name:   "segmented byline opening the text",
			text:   "The Daily Ledger · By Priya Natarajan · 19 August 2025\n\nThe talks resumed on Thursday.",
			outlet: "The Daily Ledger",
			author: "Priya Natarajan",
			date:   "2025-08-19",
			body:   []string{"The talks resumed on Thursday."},
		},
		{
			name:   "segmented byline with pipes, outlet last",
			text:   "Talks resume in Geneva\nBy Jane Doe | Aug. 21, 2025 | Example Daily\n\nThe talks resumed on Thursday.",
			title:  "Talks resume in Geneva",
			outlet: "Example Daily",
			author: "Jane Doe",
			date:   "2025-08-21",
			body:   []string{"The talks resumed on Thursday."},
		},
		{
			name:  "dotted line that names no person stays in the body",
			text:  "Talks resume in Geneva\nBreakfast · By the river · A new cafe opens\n\nThe talks resumed on Thursday.",
			title: "Talks resume in Geneva",
			body:  []string{"Breakfast · By the river · A new cafe opens\n\nThe talks resumed on Thursday."},
		},
		{
			name:   "TOML front matter",
			text:   "+++\ntitle = \"Talks resume\"\nauthors = [\"Jane Doe\", \"John Roe\"]\ndate = 2025-08-21T10:00:00Z\npublisher = 'Example Daily'\ndraft = false\n+++\n\nThe talks resumed on Thursday.\n",
			title:  "Talks resume",
			outlet: "Example Daily",
			author: "Jane Doe and John Roe",
			date:   "2025-08-21",
			body:   []string{"The talks resumed on Thursday."},
		},
		{
			name:  "front matter of bad YAML: an open list or quote is no value",
			text:  "---\ntitle: Talks resume\nauthor: [\nsource: \"Example Daily\n---\n\nThe talks resumed on Thursday.\n",
			title: "Talks resume",
			body:  []string{"The talks resumed on Thursday."},
		},
		{
			name:  "long front matter is front matter, not text",
			text:  "---\ntitle: Talks resume\n" + strings.Repeat("tag: geneva\nlinks:\n  - https://example.com/a\n", 40) + "---\n\nThe talks resumed on Thursday.\n",
			title: "Talks resume",
			body:  []string{"The talks resumed on Thursday."},
		},
		{
			name: "long block after a rule with prose is not front matter",
			text: "---\n" + strings.Repeat("note: kept\n", 60) + "The talks resumed on Thursday, officials said.\n---\nMore.",
			body: []string{"---\n" + strings.Repeat("note: kept\n", 60) + "The talks resumed on Thursday, officials said.\n---\nMore."},
		},
		{
			name:   "byline with a colon",
			text:   "Talks resume in Geneva\nBy: Jane Doe\n\nThe talks resumed on Thursday.",
			title:  "Talks resume in Geneva",
			author: "Jane Doe",
			body:   []string{"The talks resumed on Thursday."},
		},
		{
			name: "unclosed front matter is not front matter",
			text: "---\nThe talks resumed on Thursday, officials said, after a week of delays.",
			body: []string{"---\nThe talks resumed on Thursday, officials said, after a week of delays."},
		},
		{
			name: "no-break spaces around the body",
			text: "\u00a0\n\u00a0The talks resumed on Thursday.\u00a0\n\u00a0\n",
			body: []string{"The talks resumed on Thursday."},
		},
		{
			name:   "byline with outlet and date",
			text:   "Talks resume in Geneva\nBy Jane Doe and John Roe, Associated Press | Aug. 21, 2025, 10:04 a.m. ET\n\nThe talks resumed on Thursday.",
			title:  "Talks resume in Geneva",
			outlet: "Associated Press",
			author: "Jane Doe and John Roe",
			date:   "2025-08-21",
			body:   []string{"The talks resumed on Thursday."},
		},
		{
			name:  "chrome line inside the body is kept unless unmistakable",
			text:  "Talks resume in Geneva\n\nThe talks resumed on Thursday.\nShare\nThey will go on for a week, officials in Geneva said on Thursday evening after the first session ended.",
			title: "Talks resume in Geneva",
			body:  []string{"The talks resumed on Thursday.\nShare\nThey will go on for a week, officials in Geneva said on Thursday evening after the first session ended."},
		},
		{
			name:   "desk byline",
			text:   "The Guardian\nThe Guardian\nGuardian staff and agencies\n\nKremlin keeps Washington guessing over summit\n\nThe Kremlin has declined to confirm the meeting.",
			title:  "Kremlin keeps Washington guessing over summit",
			outlet: "The Guardian",
			author: "Guardian staff and agencies",
			body:   []string{"The Kremlin has declined to confirm the meeting."},
		},
		{
			name:   "unknown outlet repeated is neither title nor outlet",
			text:   "Example Gazette\nExample Gazette\nJane Doe, John Roe and Ann Poe\n\nKremlin keeps Washington guessing over summit\n\nThe Kremlin has declined to confirm the meeting.",
			title:  "Kremlin keeps Washington guessing over summit",
			author: "Jane Doe, John Roe and Ann Poe",
			body:   []string{"The Kremlin has declined to confirm the meeting."},
		},
		{
			name:  "section label above the headline",
			text:  "Europe\nKremlin keeps Washington guessing over summit\nThe Kremlin has declined to confirm the meeting.",
			title: "Kremlin keeps Washington guessing over summit",
			body:  []string{"The Kremlin has declined to confirm the meeting."},
		},
		{
			name:  "key-events list: only the headlines the page does not repeat or restate are content",
			text:  "Europe live: talks resume as farmers protest\n\nKey events\n-\nTalks resume in Geneva on Thursday\n-\nFarmers block the motorway to Lyon with tractors\n-\nMinister hails breakthrough in water dispute\n-\nRail strike called off at the last minute\n\n14.05 BST\nTalks resume in Geneva on Thursday\nThe talks resumed on Thursday in Geneva, two weeks after the summit in Washington.\n\nThe minister hailed a breakthrough in the water dispute on Monday evening.",
			title: "Europe live: talks resume as farmers protest",
			body:  []string{"Farmers block the motorway to Lyon with tractors", "Rail strike called off at the last minute", "Talks resume in Geneva on Thursday\nThe talks resumed on Thursday in Geneva, two weeks after the summit in Washington.\n\nThe minister hailed a breakthrough in the water dispute on Monday evening."},
		},
		{
			name: "repeated long line kept once",
			text: "The talks resumed on Thursday in Geneva, two weeks after the summit in Washington.\nMore follows.\nThe talks resumed on Thursday in Geneva, two weeks after the summit in Washington.\nThe end.",
			body: []string{"The talks resumed on Thursday in Geneva, two weeks after the summit in Washington.\nMore follows.", "The end."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := article.ParseText("inline.txt", []byte(tt.text))
			if err != nil {
				t.Fatalf("ParseText: %v", err)
			}
			checkBody(t, a)
			if a.Title != tt.title || a.Outlet != tt.outlet || a.Author != tt.author || a.Date() != tt.date {
				t.Errorf("got title %q, outlet %q, author %q, date %q; want %q, %q, %q, %q", a.Title, a.Outlet, a.Author, a.Date(), tt.title, tt.outlet, tt.author, tt.date)
			}
			var got []string
			for _, s := range a.Body {
				got = append(got, a.Text[s.Start:s.End])
			}
			if strings.Join(got, "|") != strings.Join(tt.body, "|") {
				t.Errorf("got body %q, want %q", got, tt.body)
			}
		})
	}
}

func TestParseTextErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, article.ErrEmpty},
		{"white space only", []byte(" \n\u00a0\t\n"), article.ErrEmpty},
		{"NUL bytes", []byte("PK\x03\x04\x00\x00binary"), article.ErrBinary},
		{"control characters", []byte("\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11 ab"), article.ErrBinary},
		{"not UTF-8", []byte("Caf\xe9 society returns to Paris."), article.ErrNotUTF8},
		{"only chrome", []byte("Advertisement\nSign up to read this article\nRelated Stories\n"), article.ErrNoContent},
		{"too large", make([]byte, article.MaxTextSize+1), article.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := article.ParseText("x.txt", tt.data)
			if !errors.Is(err, tt.want) {
				t.Errorf("got error %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzParseText(f *testing.F) {
	entries, err := fs.ReadDir(seeds.FS, ".")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(seeds.FS, e.Name())
		if err != nil {
			f.Fatal(err)
		}
		// The opening lines hold the header and the chrome; short inputs
		// keep the fuzzer's minimisation fast.
		if len(data) > 2000 {
			data = data[:2000]
			data = data[:bytes.LastIndexByte(data, '\n')+1]
		}
		f.Add(data)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "pages", "*"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("Key events\n-\nA\n-\n\xff\n---\ntitle: x\n---\nBy J. Doe | 1 Jan 2025 25:99 XYZ\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := article.ParseText("fuzz.txt", data)
		if err != nil {
			return
		}
		if a.ID != "fuzz.txt" {
			t.Fatalf("got ID %q, want fuzz.txt", a.ID)
		}
		if a.Text != string(data) {
			t.Fatalf("got text changed")
		}
		if len(a.Body) == 0 {
			t.Fatalf("got no body and no error")
		}
		checkBody(t, a)
	})
}

func TestFrontMatterURL(t *testing.T) {
	tests := []struct{ url, want string }{
		{"https://ledger.example/news/a", "https://ledger.example/news/a"},
		{"HTTP://ledger.example/a", "HTTP://ledger.example/a"},
		{"javascript://ledger.example/%0Aalert(1)", ""},
		{"file:///etc/passwd", ""},
		{"ledger.example/a", ""},
	}
	for _, tt := range tests {
		a, err := article.ParseText("a.md", []byte("---\ntitle: Talks resume\nurl: "+tt.url+"\n---\n\nThe talks resumed on Thursday.\n"))
		if err != nil {
			t.Fatal(err)
		}
		if a.URL != tt.want {
			t.Errorf("url: %s read as %q, want %q", tt.url, a.URL, tt.want)
		}
	}
}
