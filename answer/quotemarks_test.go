package answer

import (
	"strings"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/citation"
)

func TestWholeQuote(t *testing.T) {
	text := "Trump spoke on the radio. “I just want to see what happens. So we will see,” he said. Then he left.\n“Open. Never closed\nAnother line."
	a := &article.Article{ID: "a", Text: text, Body: []article.Span{{Start: 0, End: len(text)}}}
	tests := []struct {
		name, from, want string
	}{
		{"opens: runs to the close", "“I just want to see what happens.", "“I just want to see what happens. So we will see,” he said."},
		{"closes: starts at the open", "So we will see,” he said.", "“I just want to see what happens. So we will see,” he said."},
		{"paired: kept", "Then he left.", "Then he left."},
		{"never closed: kept", "“Open.", "“Open."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := indexOf(t, text, tc.from)
			s, e := wholeQuote(a, start, start+len(tc.from))
			if got := text[s:e]; got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func indexOf(tb testing.TB, text, sub string) int {
	tb.Helper()
	i := strings.Index(text, sub)
	if i < 0 {
		tb.Fatalf("%q not in the text", sub)
	}
	return i
}

func TestDisplayQuotes(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"U.S. boots will not be on the ground,” Leavitt said.`, `“U.S. boots will not be on the ground,” Leavitt said.`},
		{`He said "no" and "yes".`, `He said “no” and “yes”.`},
		{`“Mixed," she said.`, `“Mixed,” she said.`},
		{`No quotes.`, `No quotes.`},
	}
	for _, tc := range tests {
		if got := displayQuotes(tc.in); got != tc.want {
			t.Errorf("displayQuotes(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// An answer showing the paired marks still shows the verbatim quote.
	c := citation.Citation{Quote: tests[0].in}
	if !Shows(Answer{Answer: tests[0].want + " [1]"}, c) {
		t.Errorf("Shows: got false for an answer showing the quote with paired marks")
	}
}
