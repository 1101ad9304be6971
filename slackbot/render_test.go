package slackbot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/briefing"
	"github.com/briefbot/briefbot/citation"
)

// checkLimits fails when a message breaks one of Slack's limits.
func checkLimits(t testing.TB, msgs []message) {
	t.Helper()
	for i, m := range msgs {
		if len(m.Blocks) > maxBlocks {
			t.Errorf("message %d has %d blocks, want at most %d", i, len(m.Blocks), maxBlocks)
		}
		if strings.TrimSpace(m.Text) == "" {
			t.Errorf("message %d has no text fallback", i)
		}
		if n := utf8.RuneCountInString(m.Text); n > 4000 {
			t.Errorf("message %d fallback has %d characters", i, n)
		}
		for j, b := range m.Blocks {
			for _, tx := range blockTexts(b) {
				if err := tx.Validate(); err != nil {
					t.Errorf("message %d block %d: %v (%d characters)", i, j, err, utf8.RuneCountInString(tx.Text))
				}
			}
			if _, err := json.Marshal(b); err != nil {
				t.Errorf("message %d block %d does not marshal: %v", i, j, err)
			}
		}
	}
}

func blockTexts(b slack.Block) []*slack.TextBlockObject {
	switch b := b.(type) {
	case *slack.SectionBlock:
		return []*slack.TextBlockObject{b.Text}
	case *slack.ContextBlock:
		var out []*slack.TextBlockObject
		for _, e := range b.ContextElements.Elements {
			if tx, ok := e.(*slack.TextBlockObject); ok {
				out = append(out, tx)
			}
		}
		return out
	case *slack.HeaderBlock:
		return []*slack.TextBlockObject{b.Text}
	}
	return nil
}

// wire turns rendered messages into blocks as they travel, and back.
func wire(t testing.TB, m message) slack.Blocks {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	var bs slack.Blocks
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatal(err)
	}
	return bs
}

func TestRenderLongAnswerSplits(t *testing.T) {
	var sb strings.Builder
	for i := 0; sb.Len() < 10000; i++ {
		fmt.Fprintf(&sb, "Sentence %d says the council & the mayor <agreed> on item %d [1]. ", i, i)
	}
	long := strings.TrimSpace(sb.String())
	a := answer.Answer{Answer: long, Grounded: true, Citations: []citation.Citation{citeBudget}}
	msgs := renderAnswer(a, renderOpts{ref: "r1"})
	checkLimits(t, msgs)
	var sections []string
	for _, m := range msgs {
		for _, b := range m.Blocks {
			if s, ok := b.(*slack.SectionBlock); ok && !strings.HasPrefix(s.Text.Text, ">") {
				sections = append(sections, s.Text.Text)
			}
		}
	}
	if len(sections) < 4 {
		t.Errorf("got %d answer sections, want at least 4 for %d characters", len(sections), utf8.RuneCountInString(escape(long)))
	}
	if got, want := strings.Join(strings.Fields(strings.Join(sections, " ")), " "), strings.Join(strings.Fields(escape(long)), " "); got != want {
		t.Errorf("the sections do not add up to the answer:\ngot  %.200q…\nwant %.200q…", got, want)
	}
	for i, s := range sections[:len(sections)-1] {
		if !strings.HasSuffix(s, ".") {
			t.Errorf("section %d ends mid-sentence: …%q", i, s[len(s)-20:])
		}
	}
}

func TestRenderManyCitationsSplitsMessages(t *testing.T) {
	var cites []citation.Citation
	var text strings.Builder
	for n := 1; n <= 60; n++ {
		c := citeBudget
		c.N = n
		c.Quote = fmt.Sprintf("Quote number %d from the council meeting.", n)
		cites = append(cites, c)
		fmt.Fprintf(&text, "Claim %d [%d]. ", n, n)
	}
	msgs := renderAnswer(answer.Answer{Answer: text.String(), Grounded: true, Citations: cites}, renderOpts{ref: "r1", share: true})
	checkLimits(t, msgs)
	if len(msgs) < 3 {
		t.Fatalf("got %d messages for 121 blocks, want at least 3", len(msgs))
	}
	// Every quote is shown, each with its source line in the same message.
	for n := 1; n <= 60; n++ {
		found := false
		for _, m := range msgs {
			s := screen(wire(t, m))
			if strings.Contains(s, fmt.Sprintf("> Quote number %d from", n)) {
				found = true
				if !strings.Contains(s, fmt.Sprintf("[%d] *Daily Ledger*", n)) {
					t.Errorf("citation %d's quote and source line are in different messages", n)
				}
			}
		}
		if !found {
			t.Errorf("citation %d is not shown", n)
		}
	}
	// Only the last message carries the buttons.
	for i, m := range msgs {
		_, isActions := m.Blocks[len(m.Blocks)-1].(*slack.ActionBlock)
		if isActions != (i == len(msgs)-1) {
			t.Errorf("message %d: got buttons %v, want them on the last message only", i, isActions)
		}
	}
}

func TestRenderLongQuoteSplits(t *testing.T) {
	c := citeBudget
	c.Quote = strings.Repeat("A very long quoted sentence with & and <tags>. ", 200)
	msgs := renderAnswer(answer.Answer{Answer: "Claim [1].", Grounded: true, Citations: []citation.Citation{c}}, renderOpts{})
	checkLimits(t, msgs)
	quotes := 0
	for _, b := range msgs[0].Blocks {
		if s, ok := b.(*slack.SectionBlock); ok && strings.HasPrefix(s.Text.Text, "> ") {
			quotes++
		}
	}
	if quotes < 4 {
		t.Errorf("got %d quote sections for a %d-character quote, want at least 4", quotes, len(c.Quote))
	}
}

func TestRenderEscapes(t *testing.T) {
	a := answer.Answer{
		Answer:   "Use <!channel> & <@U123> <https://evil.example|click> [1].",
		Grounded: true,
		Citations: []citation.Citation{{N: 1, Outlet: "A&B <News>", Title: "x > y", Quote: "1 < 2 & 3 > 2",
			URL: "javascript:alert(1)"}},
		Notes: []string{"note with <b>"},
	}
	msgs := renderAnswer(a, renderOpts{})
	var texts []string
	for _, b := range msgs[0].Blocks {
		for _, tx := range blockTexts(b) {
			texts = append(texts, tx.Text)
		}
	}
	s := strings.Join(texts, "\n")
	for _, bad := range []string{"<!channel>", "<@U123>", "<https://evil", "<News>", "javascript:", "<b>"} {
		if strings.Contains(s, bad) {
			t.Errorf("rendered blocks contain unescaped %q: %s", bad, s)
		}
	}
	for _, want := range []string{"&lt;!channel&gt; &amp; &lt;@U123&gt;", "A&amp;B &lt;News&gt;", "x &gt; y", "> 1 &lt; 2 &amp; 3 &gt; 2"} {
		if !strings.Contains(s, want) {
			t.Errorf("rendered blocks lack %q: %s", want, s)
		}
	}
}

func TestRenderNotGrounded(t *testing.T) {
	msgs := renderAnswer(answer.Answer{Answer: "", Grounded: false, Notes: []string{"The closest articles are about the budget."}}, renderOpts{ref: "r"})
	checkLimits(t, msgs)
	shown := screen(wire(t, msgs[0]))
	for _, want := range []string{NotCovered, "The closest articles are about the budget.", "[:thumbsup: Helpful]"} {
		if !strings.Contains(shown, want) {
			t.Errorf("not-grounded answer does not show %q:\n%s", want, shown)
		}
	}
	if !strings.Contains(msgs[0].Text, NotCovered) {
		t.Errorf("got fallback %q, want it to say %q", msgs[0].Text, NotCovered)
	}
	transcript(t, "Not grounded", "ana: @briefbot What's the weather tomorrow?", "briefbot:", indent(shown))
}

func TestRenderBriefing(t *testing.T) {
	svc := &fakeService{}
	br, _ := svc.Briefing(t.Context(), BriefingRequest{Date: "2025-03-04"})
	msgs := renderBriefing(br, renderOpts{ref: "r"})
	checkLimits(t, msgs)
	shown := screen(wire(t, msgs[0]))
	for _, want := range []string{
		"## Briefing for 2025-03-04",
		"1 story from 2 articles",
		"`NEW` *Council passes budget*",
		"• The council approved the budget after a long debate. [1]",
		"Outlets: Daily Ledger, Evening Courier",
		`*Outlets differ:*` + "\n• when the vote happened: Daily Ledger says “Tuesday” [1]; Evening Courier says “Monday night” [2]",
		"> " + citeBudget.Quote,
	} {
		if !strings.Contains(shown, want) {
			t.Errorf("briefing does not show %q:\n%s", want, shown)
		}
	}
	if !strings.Contains(msgs[0].Text, "Council passes budget") {
		t.Errorf("got fallback %q", msgs[0].Text)
	}
	empty := renderBriefing(briefing.Briefing{Date: "2025-01-01"}, renderOpts{})
	if s := screen(wire(t, empty[0])); !strings.Contains(s, "No articles") {
		t.Errorf("empty briefing shows:\n%s", s)
	}
	transcript(t, "/briefing 2025-03-04", indent(shown))
}

// TestRenderBriefingThreads: a story told in threads shows each thread's
// headline, points and outlets under the story, and the quotes the thread
// points cite.
func TestRenderBriefingThreads(t *testing.T) {
	br := dailyBriefing()
	br.Stories = br.Stories[:1]
	br.Stories[0].Threads = []briefing.Thread{{
		Headline: "Spending on libraries rises",
		Points:   []answer.Sentence{{Text: "Libraries get more money.", Citations: []int{2}}},
		Outlets:  []string{"Evening Courier"}, Articles: []string{"courier-budget"},
	}}
	msgs := renderBriefing(br, renderOpts{ref: "r"})
	checkLimits(t, msgs)
	var shown string
	for _, m := range msgs {
		shown += screen(wire(t, m)) + "\n"
	}
	for _, want := range []string{
		"• The council approved the budget after a long debate. [1]",
		"▸ *Spending on libraries rises*\n    ◦ Libraries get more money. [2]",
		"Outlets: Evening Courier",
		"> " + citeSpending.Quote,
	} {
		if !strings.Contains(shown, want) {
			t.Errorf("briefing does not show %q:\n%s", want, shown)
		}
	}
	if strings.Index(shown, "> "+citeSpending.Quote) < strings.Index(shown, "▸ *Spending") {
		t.Errorf("the thread's quote comes before the thread:\n%s", shown)
	}
}

func TestRenderSourceNoMatch(t *testing.T) {
	msgs := renderSource(answer.SourceResult{Text: "made up"}, renderOpts{})
	checkLimits(t, msgs)
	if s := screen(wire(t, msgs[0])); !strings.Contains(s, "couldn't find this text") {
		t.Errorf("got %q", s)
	}
}

func TestSplitText(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"fits", "short text", 20, []string{"short text"}},
		{"paragraphs", "first para.\n\nsecond para.", 15, []string{"first para.", "second para."}},
		{"sentences", "One two. Three four. Five six.", 21, []string{"One two. Three four.", "Five six."}},
		{"words", "aaaa bbbb cccc dddd", 10, []string{"aaaa bbbb", "cccc dddd"}},
		{"no spaces", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"entity kept whole", "abc&amp;def", 5, []string{"abc", "&amp;", "def"}},
		{"multibyte", "ééééé ééééé", 6, []string{"ééééé", "ééééé"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := splitText(tc.in, tc.max)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			for _, p := range got {
				if n := utf8.RuneCountInString(p); n > tc.max {
					t.Errorf("piece %q has %d runes, want at most %d", p, n, tc.max)
				}
			}
		})
	}
}

// TestRenderFallbackEscapes checks the plain-text fallback Slack notifies
// from: markup from articles and the model must not mention anyone or link
// anywhere there either.
func TestRenderFallbackEscapes(t *testing.T) {
	hostile := "Use <!channel> <!here> <!subteam^S123|@team> & <@U123> <https://evil.example|slack.com>"
	renders := map[string][]message{
		"answer": renderAnswer(answer.Answer{Answer: hostile + " [1].", Grounded: true,
			Citations:     []citation.Citation{{N: 1, Outlet: "<!here>", Title: "<@U9>", Quote: hostile}},
			Disagreements: []answer.Disagreement{{Kind: "figure", About: "<!channel>", Sides: []answer.Side{{Says: "<!here>", Citation: 1}, {Says: "<@U1>", Citation: 1}}}},
		}, renderOpts{ref: "r", header: "You asked: x", headerText: "You asked: x"}),
		"not covered": renderAnswer(answer.Answer{Answer: hostile}, renderOpts{}),
		"source":      renderSource(answer.SourceResult{Matches: []answer.SourceMatch{{Citation: citation.Citation{Quote: hostile, Title: "<!here>"}, Sentence: hostile, Exact: true}}}, renderOpts{}),
		"briefing":    renderBriefing(briefing.Briefing{Stories: []briefing.Story{{Headline: hostile, Points: []answer.Sentence{{Text: hostile}}}}}, renderOpts{}),
		"text":        renderText(hostile),
	}
	for name, msgs := range renders {
		t.Run(name, func(t *testing.T) {
			for i, m := range msgs {
				for _, bad := range []string{"<!channel>", "<!here>", "<!subteam^", "<@U", "<https://evil", "& "} {
					if strings.Contains(m.Text, bad) {
						t.Errorf("message %d fallback contains unescaped %q: %q", i, bad, m.Text)
					}
				}
			}
			if !strings.Contains(msgs[0].Text, "&lt;!channel&gt;") && name != "briefing" {
				t.Errorf("fallback %q lacks the escaped mention &lt;!channel&gt;", msgs[0].Text)
			}
		})
	}
}

// TestRenderQuotesStayVerbatim checks that emphasis marks in quoted text
// cannot format it: each is wrapped in zero-width joiners, so no mark
// stands next to a letter or a space, where Slack would read it as
// formatting.
func TestRenderQuotesStayVerbatim(t *testing.T) {
	q := "He said *never* and _maybe_, ~struck~ `code` 2*3"
	msgs := renderAnswer(answer.Answer{Answer: q + " [1].", Grounded: true, Citations: []citation.Citation{{N: 1, Quote: q, Outlet: "*Bold* News"}}}, renderOpts{})
	var texts []string
	for _, b := range msgs[0].Blocks {
		for _, tx := range blockTexts(b) {
			texts = append(texts, tx.Text)
		}
	}
	s := strings.Join(texts, "\n")
	for _, want := range []string{"He said \u200d*\u200dnever\u200d*\u200d and \u200d_\u200dmaybe\u200d_\u200d, \u200d~\u200dstruck\u200d~\u200d \u200d`\u200dcode\u200d`\u200d 2\u200d*\u200d3"} {
		if !strings.Contains(s, want) {
			t.Errorf("rendered blocks lack %q:\n%s", want, s)
		}
	}
	// Our own bold around the outlet stays; the outlet's marks do not format.
	if !strings.Contains(s, "*\u200d*\u200dBold\u200d*\u200d News*") {
		t.Errorf("rendered source line lacks the neutralised outlet in bold:\n%s", s)
	}
	for _, r := range []string{"*", "_", "~", "`"} {
		for _, m := range regexp.MustCompile(`[^\x{200d}]`+regexp.QuoteMeta(r)+`[^\x{200d}]`).FindAllString(strings.ReplaceAll(s, "*\u200d*\u200dBold\u200d*\u200d News*", ""), -1) {
			t.Errorf("an emphasis mark %q stands unneutralised in %q", r, m)
		}
	}
}

// TestSplitTextLinear splits 4 MB of text, as a hostile model or article
// could send. Splitting is linear: 75 ms here (BenchmarkSplitText: 41 ms
// per MB); the quadratic version it replaced took 0.25 s for 1 MB and
// about 4 s for 4 MB. The bound leaves room for the race detector.
func TestSplitTextLinear(t *testing.T) {
	s := strings.Repeat("lorem ipsum dolor sit amet, ", 4<<20/28)
	start := time.Now()
	parts := splitText(s, maxSectionChars)
	took := time.Since(start)
	if got, want := strings.Join(strings.Fields(strings.Join(parts, " ")), " "), strings.Join(strings.Fields(s), " "); got != want {
		t.Fatalf("splitText lost text: got %d bytes back, want %d", len(got), len(want))
	}
	for i, p := range parts {
		if n := utf8.RuneCountInString(p); n > maxSectionChars {
			t.Fatalf("piece %d has %d runes, want at most %d", i, n, maxSectionChars)
		}
	}
	t.Logf("splitText: %d bytes into %d pieces in %v", len(s), len(parts), took)
	if took > 3*time.Second {
		t.Errorf("splitText took %v for %d bytes, want linear time (well under 3s)", took, len(s))
	}
}

func BenchmarkSplitText(b *testing.B) {
	for _, n := range []int{10000, 100000, 1000000} {
		s := strings.Repeat("lorem ipsum dolor sit amet, ", n/28+1)[:n]
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				splitText(s, maxSectionChars)
			}
		})
	}
}
