package answer

import (
	"strings"

	"github.com/briefbot/briefbot/article"
)

// maxQuoteReach bounds, in bytes, how far a quote is widened to reach the
// mark that opens or closes its quotation.
const maxQuoteReach = 400

// wholeQuote widens [start, end) of a's text to the whole quotation it
// opens or closes, within its body span: a sentence that opens a quotation
// (“…) runs to the sentence where it closes, one that closes it (…”) starts
// where it opens. The bounds are kept when the marks pair up already or
// the other mark is not near.
func wholeQuote(a *article.Article, start, end int) (int, int) {
	var span article.Span
	for _, sp := range a.Body {
		if sp.Start <= start && end <= sp.End {
			span = sp
		}
	}
	if span.End == 0 {
		return start, end
	}
	open := strings.Count(a.Text[start:end], "“")
	shut := strings.Count(a.Text[start:end], "”")
	switch {
	case open > shut:
		rest := a.Text[end:min(span.End, end+maxQuoteReach)]
		i := strings.Index(rest, "”")
		if i < 0 || strings.Contains(rest[:i], "“") {
			return start, end
		}
		e := end + i + len("”")
		// Up to the end of the sentence the closing mark stands in
		// ("…,” she said.").
		if j := strings.IndexAny(a.Text[e:min(span.End, e+120)], ".!?\n"); j >= 0 && !strings.ContainsAny(a.Text[e:e+j], "“”") {
			if a.Text[e+j] != '\n' {
				j++
			}
			e += j
		}
		return start, e
	case shut > open:
		from := max(span.Start, start-maxQuoteReach)
		i := strings.LastIndex(a.Text[from:start], "“")
		if i < 0 || strings.Contains(a.Text[from+i:start], "”") {
			return start, end
		}
		s := from + i
		// From the start of the sentence the opening mark stands in.
		head := a.Text[max(span.Start, s-200):s]
		if j := strings.LastIndexAny(head, ".!?\n"); j >= 0 && !strings.ContainsAny(head[j:], "“”") {
			s = s - len(head) + j + 1
			for s < start && (a.Text[s] == ' ' || a.Text[s] == '\n') {
				s++
			}
		}
		return s, end
	}
	return start, end
}

// displayQuotes pairs the quotation marks of a quote for display: a
// straight double quote opens when no curly quotation is open and closes
// one otherwise, as articles mixing the two styles mean
// ("U.S. boots will not be on the ground,” Leavitt said).
func displayQuotes(s string) string {
	if !strings.Contains(s, `"`) {
		return s
	}
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '“':
			depth++
		case '”':
			depth--
		case '"':
			if depth > 0 {
				r = '”'
				depth--
			} else {
				r = '“'
				depth++
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// foldQuoteMarks maps curly double quotation marks to straight ones, so
// that a quote shown with its marks paired (see displayQuotes) is still
// found in the answer that shows it.
var foldQuoteMarks = strings.NewReplacer("“", `"`, "”", `"`).Replace
