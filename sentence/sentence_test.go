package sentence_test

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/seeds"
	"github.com/briefbot/briefbot/sentence"
)

// sentences returns the text of each span Split finds, after checking the
// spans' invariants.
func sentences(tb testing.TB, text string) []string {
	tb.Helper()
	spans := sentence.Split(text)
	checkSpans(tb, text, spans)
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = text[s.Start:s.End]
	}
	return out
}

// checkSpans fails if a span is empty, untrimmed, out of order, overlapping,
// outside text or not on a rune boundary.
func checkSpans(tb testing.TB, text string, spans []sentence.Span) {
	tb.Helper()
	bounds := map[int]bool{len(text): true}
	for i := range text {
		bounds[i] = true
	}
	prev := 0
	for i, s := range spans {
		if s.Start < prev || s.End <= s.Start || s.End > len(text) {
			tb.Fatalf("span %d = %v: not ordered, empty or outside text of %d bytes (previous end %d)", i, s, len(text), prev)
		}
		if !bounds[s.Start] || !bounds[s.End] {
			tb.Fatalf("span %d = %v: not on a rune boundary", i, s)
		}
		t := text[s.Start:s.End]
		if first, _ := utf8.DecodeRuneInString(t); unicode.IsSpace(first) {
			tb.Fatalf("span %d = %q: starts with white space", i, t)
		}
		if last, _ := utf8.DecodeLastRuneInString(t); unicode.IsSpace(last) {
			tb.Fatalf("span %d = %q: ends with white space", i, t)
		}
		prev = s.End
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", nil},
		{"only white space", " \n\u00a0\t\r\n ", nil},
		{"no final punctuation", "Just a fragment", []string{"Just a fragment"}},
		{"country abbreviations",
			"The U.S. and the U.K. met at the U.N. on Monday. Then they left.",
			[]string{"The U.S. and the U.K. met at the U.N. on Monday.", "Then they left."}},
		{"abbreviation before a capitalised noun",
			"U.S. President Donald Trump spoke. The U.S. Senate did not.",
			[]string{"U.S. President Donald Trump spoke.", "The U.S. Senate did not."}},
		{"abbreviation at the end of a sentence",
			"Talks ended in the U.S. The next round is in Europe.",
			[]string{"Talks ended in the U.S.", "The next round is in Europe."}},
		{"titles",
			"Mr. Smith met Mrs. Jones, Ms. Lee and Dr. Brown. They talked.",
			[]string{"Mr. Smith met Mrs. Jones, Ms. Lee and Dr. Brown.", "They talked."}},
		{"political and military titles",
			"Sen. Warren, Rep. Ocasio-Cortez and Gov. Newsom spoke. Gen. Milley and Lt. Col. Vindman did not.",
			[]string{"Sen. Warren, Rep. Ocasio-Cortez and Gov. Newsom spoke.", "Gen. Milley and Lt. Col. Vindman did not."}},
		{"saint and junior",
			"He flew to St. Louis with Martin Luther King Jr. on Monday. It rained.",
			[]string{"He flew to St. Louis with Martin Luther King Jr. on Monday.", "It rained."}},
		{"company suffixes",
			"Apple Inc. shares rose. Acme Corp. and Foo Ltd. fell. Bar Co. said nothing.",
			[]string{"Apple Inc. shares rose.", "Acme Corp. and Foo Ltd. fell.", "Bar Co. said nothing."}},
		{"company suffix ending a sentence",
			"The buyer was Acme Inc. The price was not disclosed.",
			[]string{"The buyer was Acme Inc.", "The price was not disclosed."}},
		{"latin abbreviations",
			"Compare apples vs. oranges, e.g. fruit, i.e. Food in general. Fine.",
			[]string{"Compare apples vs. oranges, e.g. fruit, i.e. Food in general.", "Fine."}},
		{"etc mid-sentence and final",
			"Bring pens, paper, etc. to class. Bring snacks, drinks, etc. The rest is provided.",
			[]string{"Bring pens, paper, etc. to class.", "Bring snacks, drinks, etc.", "The rest is provided."}},
		{"months",
			"Talks began Jan. 5 and ended Sept. 30 after Aug. 19, Feb. 2, Oct. 1, Nov. 3. They resume Dec. 1.",
			[]string{"Talks began Jan. 5 and ended Sept. 30 after Aug. 19, Feb. 2, Oct. 1, Nov. 3.", "They resume Dec. 1."}},
		{"number abbreviation",
			"No. 10 Downing Street said so. It was ranked No. 1.",
			[]string{"No. 10 Downing Street said so.", "It was ranked No. 1."}},
		{"initials",
			"J. D. Vance met Donald J. Trump. They spoke.",
			[]string{"J. D. Vance met Donald J. Trump.", "They spoke."}},
		{"decimals and money",
			"Growth was 3.5 percent. The deal is worth $1.2bn. Shares rose 0.5%.",
			[]string{"Growth was 3.5 percent.", "The deal is worth $1.2bn.", "Shares rose 0.5%."}},
		{"times of day",
			"The meeting is at 9 a.m. on Monday. It ends at 5 p.m. The rest is free.",
			[]string{"The meeting is at 9 a.m. on Monday.", "It ends at 5 p.m.", "The rest is free."}},
		{"URL and e-mail address",
			"Visit https://example.com/a.b?c=d. Or write to press@example.org for details. Thanks.",
			[]string{"Visit https://example.com/a.b?c=d.", "Or write to press@example.org for details.", "Thanks."}},
		{"ellipses",
			"He paused... then went on. The statement said the war… It is not over.",
			[]string{"He paused... then went on.", "The statement said the war… It is not over."}},
		{"curly closing quote",
			"He said: “We will help our European allies.” Then he left.",
			[]string{"He said: “We will help our European allies.”", "Then he left."}},
		{"straight closing quote",
			`She said: "We will help our allies." Then she left.`,
			[]string{`She said: "We will help our allies."`, "Then she left."}},
		{"closing single quote after question mark",
			"‘Is it over?’ Nobody knew. “Really?!” Yes.",
			[]string{"‘Is it over?’", "Nobody knew.", "“Really?!”", "Yes."}},
		{"brackets",
			"(The vote was close.) Next came the rest. It was late (after midnight). Then it rained.",
			[]string{"(The vote was close.)", "Next came the rest.", "It was late (after midnight).", "Then it rained."}},
		{"question and exclamation",
			"“Why now?” he asked. “Because!” she said. Really? Yes!",
			[]string{"“Why now?” he asked.", "“Because!” she said.", "Really?", "Yes!"}},
		{"sentence starting with a digit or a quote",
			`The vote failed. 42 members abstained. "Good," he said. ‘Fine,’ she said.`,
			[]string{"The vote failed.", "42 members abstained.", `"Good," he said.`, "‘Fine,’ she said."}},
		{"heading without punctuation",
			"Outlook\nThe talks went on. More followed.",
			[]string{"Outlook", "The talks went on.", "More followed."}},
		{"title-case headings between one-line paragraphs",
			"The first paragraph ends here.\nPush for a Putin-Zelenskyy Meeting\nTrump reiterated his desire.\nOutlook\nThe end.",
			[]string{"The first paragraph ends here.", "Push for a Putin-Zelenskyy Meeting", "Trump reiterated his desire.", "Outlook", "The end."}},
		{"markdown heading",
			"# Talks in Washington\n\n## What was agreed\nText follows.",
			[]string{"Talks in Washington", "What was agreed", "Text follows."}},
		{"bullets of every kind",
			"The meeting included:\n\n  •\u00a0Keir Starmer\n  • Emmanuel Macron\n- Giorgia Meloni\n* Friedrich Merz\n1. Alexander Stubb\n2) Mark Rutte\n– Ursula von der Leyen\n— Mark Carney\n· Donald Tusk\n",
			[]string{"The meeting included:", "Keir Starmer", "Emmanuel Macron", "Giorgia Meloni", "Friedrich Merz", "Alexander Stubb", "Mark Rutte", "Ursula von der Leyen", "Mark Carney", "Donald Tusk"}},
		{"marker-only lines yield nothing",
			"Key events\n-\nFirst headline\n-\n\u00a0-\u00a0\nSecond headline\n•\n",
			[]string{"Key events", "First headline", "Second headline"}},
		{"lower-case letter after a bullet",
			"- iPhone sales rose\n- eBay fell",
			[]string{"iPhone sales rose", "eBay fell"}},
		{"bullet with a sentence inside",
			"• The summit ended. Talks go on\n• Next item",
			[]string{"The summit ended.", "Talks go on", "Next item"}},
		{"numbers that are not list markers",
			"-5% was the fall.\n2025. A year of talks.",
			[]string{"-5% was the fall.", "2025.", "A year of talks."}},
		{"line ending with final punctuation",
			"First line ends here.\nSecond line starts here.",
			[]string{"First line ends here.", "Second line starts here."}},
		{"line ending with an abbreviation",
			"Talks with the U.S.\nThe next round is in May.",
			[]string{"Talks with the U.S.", "The next round is in May."}},
		{"lower-case continuation line",
			"The report was long\nand detailed. It was read.",
			[]string{"The report was long\nand detailed.", "It was read."}},
		{"line ending with a comma",
			"In Washington on Monday,\nTrump met Zelenskyy.",
			[]string{"In Washington on Monday,\nTrump met Zelenskyy."}},
		{"hard-wrapped paragraph",
			"Donald Trump intends to leave Russia and Ukraine to organize a meeting\n" +
				"between their leaders without directly playing a role for now, according\n" +
				"to administration officials. The next stage in Trump's eyes remains a\n" +
				"bilateral meeting between Vladimir Putin and Volodymyr Zelenskyy, said Mr.\n" +
				"Witkoff on Tuesday. Trump has told advisers in recent days that he intends\n" +
				"to host a trilateral meeting with the two leaders.\n\n" +
				"Another paragraph starts here and goes on for a while longer than aides said\n" +
				"President Trump wanted, because Capitalised words can follow a wrap.\n",
			[]string{
				"Donald Trump intends to leave Russia and Ukraine to organize a meeting\nbetween their leaders without directly playing a role for now, according\nto administration officials.",
				"The next stage in Trump's eyes remains a\nbilateral meeting between Vladimir Putin and Volodymyr Zelenskyy, said Mr.\nWitkoff on Tuesday.",
				"Trump has told advisers in recent days that he intends\nto host a trilateral meeting with the two leaders.",
				"Another paragraph starts here and goes on for a while longer than aides said\nPresident Trump wanted, because Capitalised words can follow a wrap.",
			}},
		{"wrapped bullet item",
			"- The first item is long enough that it had to be wrapped onto a second\n  line by the editor.\n- Second item.",
			[]string{"The first item is long enough that it had to be wrapped onto a second\n  line by the editor.", "Second item."}},
		{"non-breaking spaces and CRLF",
			"\u00a0 Hello there.\u00a0\r\nGeneral Kenobi.\r\n\u00a0\r\n",
			[]string{"Hello there.", "General Kenobi."}},
		{"horizontal rule",
			"Above.\n---\nBelow.",
			[]string{"Above.", "Below."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sentences(t, tt.text)
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %d sentences:\n%s\nwant %d:\n%s", len(got), strings.Join(quoteAll(got), "\n"), len(tt.want), strings.Join(quoteAll(tt.want), "\n"))
			}
		})
	}
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "  " + strings.ReplaceAll(s, "\n", `\n`)
	}
	return out
}

func readSeed(tb testing.TB, prefix string) string {
	tb.Helper()
	matches, err := fs.Glob(seeds.FS, prefix+"_*.txt")
	if err != nil || len(matches) != 1 {
		tb.Fatalf("seed %s: got matches %v (err %v), want one", prefix, matches, err)
	}
	data, err := fs.ReadFile(seeds.FS, matches[0])
	if err != nil {
		tb.Fatalf("read seed %s: %v", prefix, err)
	}
	return string(data)
}

func TestSplitQuotes(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"a quotation of two sentences stays whole",
			"Trump said it would be better. “I just want to see. So they’re setting it up.” Then he left.",
			[]string{"Trump said it would be better.", "“I just want to see. So they’re setting it up.”", "Then he left."}},
		{"an unclosed quotation does not join the block",
			"He said “we will see. Then nothing. The end.",
			[]string{"He said “we will see.", "Then nothing.", "The end."}},
		{"no quotation: as Split",
			"The U.S. and the U.K. met. Then they left.",
			[]string{"The U.S. and the U.K. met.", "Then they left."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := sentence.SplitQuotes(tt.text)
			checkSpans(t, tt.text, spans)
			var got []string
			for _, s := range spans {
				got = append(got, tt.text[s.Start:s.End])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// Split itself cuts at every sentence, quotation or not.
	if got := sentences(t, "“I just want to see. So they’re setting it up.”"); len(got) != 2 {
		t.Errorf("Split kept the quotation whole: %q", got)
	}
}

func TestSplitSeeds(t *testing.T) {
	tests := []struct {
		seed string
		// want are sentences that must come out whole.
		want []string
		// notWant are strings that no sentence may equal.
		notWant []string
	}{
		{"000", []string{
			"Trump returned to Washington this weekend from Alaska, where the U.S. president met for a summit with Russia’s Vladimir Putin that was sharply criticized by his adversaries and a source of real concern for Europe, after which it appeared that the U.S. was on the verge of negotiating away swaths of Ukrainian territory without any input from Kyiv.",
			"An eyebrow-raising scene played out this time in Washington, D.C., as world leaders crowded around the Resolute Desk like schoolchildren and Trump at one point dismissed them for an impromptu call with Putin.",
			"\"U.S. boots will not be on the ground in Ukraine,” Leavitt said on Tuesday.",
			"“But we can certainly help in the coordination, and perhaps provide other means of security guarantees to our European allies.”",
			"He wrote on Saturday on Twitter/X: “Security must be guaranteed reliably and in the long term, with the involvement of both Europe and the U.S.”",
			"White House just watered down the only concession it can claim Trump won from Putin — Ukraine security",
		}, nil},
		{"001", []string{
			"U.S. President Donald Trump has said Washington will help “co-ordinate” European security guarantees for Ukraine if a peace agreement with Russia can be reached, while pushing for a direct meeting between Ukrainian President Volodymyr Zelenskyy and Russian President Vladimir Putin.",
			"Trump’s Position on Security Guarantees",
			"Outlook",
			"Trump said Vice-President JD Vance, Secretary of State Marco Rubio, and special envoy Steve Witkoff would take the lead in arranging a Putin-Zelenskyy meeting.",
		}, nil},
		{"002", []string{
			"Key events",
			"Summary",
			"Starmer says ‘real progress’ made at Trump summit",
			"The US president, Donald Trump, has ruled out the deployment of American troops in Ukraine, but appeared to hint at possibility of US air security guarantees.",
			"“Steve Witkoff has the assignment to get it figured [out].”",
		}, []string{"-"}},
		{"003", []string{
			"The meeting included:",
			"Ukrainian President Volodymyr Zelenskyy",
			"European Commission President Ursula von der Leyen",
			"Von der Leyen described it as “good to hear” that nations were developing “Article Five-like security guarantees”—referencing NATO’s collective defense principle that treats an attack on one member as an attack on all.",
			"Required fields are marked *",
		}, []string{"•", "\u00a0"}},
		{"004", []string{
			"The White House said in a statement that “Trump and his national security team continue to engage with Russian and Ukranian officials towards a bilateral meeting to stop the killing and end the war… It is not in the national interest to further negotiate these issues publicly.”",
			"After the White House meetings, Zelenskyy also outlined a plan to purchase $90bn in American weapons through Europe to win security guarantees, and for the US to buy drones from Ukraine.",
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.seed, func(t *testing.T) {
			got := sentences(t, readSeed(t, tt.seed))
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("got no sentence %q", w)
				}
			}
			for _, nw := range tt.notWant {
				if slices.Contains(got, nw) {
					t.Errorf("got a sentence %q, want none", nw)
				}
			}
		})
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"", "U.S. and U.K. Mr. Smith. J. D. Vance", "“Quote.” Next?! (x.) y",
		"- a\n• b\n1. c\n2) d\n# e\n> f\n---\n", "\xff\xfe.\x80 A. \xe2\x80", "a.\n\u00a0\nb…c... D",
		"...", "?!", "\u2028.\u0085X", "Mr.\nSmith said etc. The end",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		spans := sentence.Split(text)
		checkSpans(t, text, spans)
	})
}

func BenchmarkSplit(b *testing.B) {
	text := readSeed(b, "002")
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		sentence.Split(text)
	}
}
