// Package quote checks quotes verbatim against the stored article text. It is
// the one place that decides whether a piece of text may be shown to a user as
// a quote: a quote is found when it appears in an article's body with the
// same words, letters and punctuation, normalising only white space and
// typographic quotes, apostrophes and dashes, and when it starts and ends on
// word boundaries of the text: a quote never begins or ends inside a word.
package quote

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/article"
)

// ErrNotFound is returned when a quote does not appear verbatim.
var ErrNotFound = errors.New("quote not found verbatim in the articles")

// ErrEmpty is returned for a quote with no visible characters.
var ErrEmpty = errors.New("empty quote")

// Match is a place a quote was found. Text is the article's own text between
// Start and End (byte offsets into Article.Text): what may be shown.
type Match struct {
	ArticleID string
	Start     int
	End       int
	Text      string
}

// Articles is the store of articles quotes are checked against.
type Articles interface {
	Article(id string) (*article.Article, bool)
	Articles() []*article.Article
}

// Verify finds q verbatim in the body of one of the articles named by ids, or
// of any article when no ids are given, and returns the first match. Page
// chrome outside an article's body is never a match.
func Verify(store Articles, q string, ids ...string) (Match, error) {
	nq := normalize(q)
	if len(nq.s) == 0 {
		return Match{}, ErrEmpty
	}
	var arts []*article.Article
	if len(ids) == 0 {
		arts = store.Articles()
	} else {
		for _, id := range ids {
			if a, ok := store.Article(id); ok {
				arts = append(arts, a)
			}
		}
	}
	for _, a := range arts {
		if m, ok := findIn(a, nq); ok {
			return m, nil
		}
	}
	return Match{}, ErrNotFound
}

// FindIn finds q verbatim in the body of a and returns the first match.
func FindIn(a *article.Article, q string) (Match, bool) {
	nq := normalize(q)
	if len(nq.s) == 0 {
		return Match{}, false
	}
	return findIn(a, nq)
}

func findIn(a *article.Article, nq normText) (Match, bool) {
	for _, span := range a.Body {
		if start, end, ok := findNorm(a.Text[span.Start:span.End], nq.s); ok {
			s, e := span.Start+start, span.Start+end
			return Match{ArticleID: a.ID, Start: s, End: e, Text: a.Text[s:e]}, true
		}
	}
	return Match{}, false
}

// FindAllIn returns every non-overlapping verbatim match of q in the body of
// a, in order.
func FindAllIn(a *article.Article, q string) []Match {
	nq := normalize(q)
	if len(nq.s) == 0 {
		return nil
	}
	probe := longestWord(nq.s)
	var out []Match
	for _, span := range a.Body {
		text := a.Text[span.Start:span.End]
		if !strings.Contains(text, probe) && !strings.ContainsAny(text, "\u200d\u2060") {
			// Normalising leaves letters and digits alone: a body without
			// the quote's longest word cannot hold the quote.
			continue
		}
		nt := normalize(text)
		from := 0
		for {
			i, ok := indexWords(nt.s, nq.s, from)
			if !ok {
				break
			}
			j := i + len(nq.s)
			s, e := span.Start+nt.start[i], span.Start+nt.end[j-1]
			out = append(out, Match{ArticleID: a.ID, Start: s, End: e, Text: a.Text[s:e]})
			from = j
		}
	}
	return out
}

// Find finds q in text, normalising white space and typographic quotes and
// dashes on both sides, and returns the byte offsets in text of the first
// match that starts and ends on word boundaries.
func Find(text, q string) (start, end int, ok bool) {
	nq := normalize(q)
	if len(nq.s) == 0 {
		return 0, 0, false
	}
	return findNorm(text, nq.s)
}

// Equal reports whether a and b are the same text after normalising white
// space and typographic quotes and dashes.
func Equal(a, b string) bool { return normalize(a).s == normalize(b).s }

func findNorm(text, nq string) (start, end int, ok bool) {
	nt := normalize(text)
	i, ok := indexWords(nt.s, nq, 0)
	if !ok {
		return 0, 0, false
	}
	return nt.start[i], nt.end[i+len(nq)-1], true
}

// longestWord returns the longest run of letters and digits in s, which
// appears unchanged in any text that holds s after normalising.
func longestWord(s string) string {
	best, start := "", -1
	for i, r := range s + " " {
		if isWordRune(r) && r != utf8.RuneError {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start > len(best) {
			best = s[start:i]
		}
		start = -1
	}
	return best
}

// indexWords returns the index of the first occurrence of q in s at or
// after from that starts and ends on word boundaries: a quote never begins
// or ends inside a word of the text ("he had" is not in "she had", "no" is
// not in "not"). A quote that begins or ends with punctuation or space is
// bounded there by construction.
func indexWords(s, q string, from int) (int, bool) {
	for from <= len(s)-len(q) {
		i := strings.Index(s[from:], q)
		if i < 0 {
			return 0, false
		}
		i += from
		if wordBoundary(s, i) && wordBoundary(s, i+len(q)) {
			return i, true
		}
		// Go on from the next rune of s.
		_, size := utf8.DecodeRuneInString(s[i:])
		from = i + size
	}
	return 0, false
}

// wordBoundary reports whether s may be cut at byte i without cutting a
// word in two: the runes on either side are not both parts of a word. An
// apostrophe between two letters ("Trump's", "don't") is part of the word.
func wordBoundary(s string, i int) bool {
	if i <= 0 || i >= len(s) {
		return true
	}
	before, bsize := utf8.DecodeLastRuneInString(s[:i])
	after, asize := utf8.DecodeRuneInString(s[i:])
	switch {
	case isWordRune(before) && isWordRune(after):
		return false
	case before == '\'' && isWordRune(after):
		// "Trump's" cut after the apostrophe.
		r, _ := utf8.DecodeLastRuneInString(s[:i-bsize])
		return !unicode.IsLetter(r)
	case after == '\'' && isWordRune(before):
		// "Trump's" cut before the apostrophe.
		r, _ := utf8.DecodeRuneInString(s[i+asize:])
		return !unicode.IsLetter(r)
	}
	return true
}

// isWordRune reports a rune that is part of a word: a letter, a digit or a
// combining mark.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r)
}

// normText is normalised text with, for each of its bytes, the byte range of
// the original rune it came from.
type normText struct {
	s     string
	start []int
	end   []int
}

// normalize folds typographic quotes, apostrophes and dashes to their ASCII
// forms, drops zero-width joiners, and collapses every run of white space to
// one space, trimming both ends. Invalid UTF-8 bytes are kept as U+FFFD so offsets stay exact.
func normalize(text string) normText {
	var b strings.Builder
	b.Grow(len(text))
	start := make([]int, 0, len(text))
	end := make([]int, 0, len(text))
	pendingSpace, spaceAt := false, 0
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == '\u200d' || r == '\u2060' {
			// Zero-width joiners and word joiners are invisible: Slack
			// messages carry them around emphasis marks (see package
			// slackbot), so a quote pasted back from Slack holds them.
			i += size
			continue
		}
		if isSpace(r) {
			if !pendingSpace && b.Len() > 0 {
				pendingSpace, spaceAt = true, i
			}
			i += size
			continue
		}
		if pendingSpace {
			b.WriteByte(' ')
			// The space stands for the whole run of white space before this rune.
			start = append(start, spaceAt)
			end = append(end, i)
			pendingSpace = false
		}
		n := utf8.EncodeRune(buf[:], fold(r))
		b.Write(buf[:n])
		for k := 0; k < n; k++ {
			start = append(start, i)
			end = append(end, i+size)
		}
		i += size
	}
	return normText{s: b.String(), start: start, end: end}
}

// isSpace reports white space, including no-break and zero-width spaces.
func isSpace(r rune) bool {
	switch r {
	case '\u00a0', '\u2007', '\u202f', '\u200b', '\ufeff':
		return true
	}
	return unicode.IsSpace(r)
}

// fold maps typographic quotes, apostrophes and dashes to ASCII.
func fold(r rune) rune {
	switch r {
	case '\u2018', '\u2019', '\u201a', '\u201b', '\u2032', '\u02bc', '`', '\u00b4':
		return '\''
	case '\u201c', '\u201d', '\u201e', '\u201f', '\u2033', '\u00ab', '\u00bb':
		return '"'
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212':
		return '-'
	}
	return r
}
