package quote

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Near is the passage of a text most like a given quote.
type Near struct {
	Start, End int // byte offsets into the text searched
	// Similarity is 1 for the same words in the same order, falling towards 0
	// as words are changed, added or left out.
	Similarity float64
}

// maxNearWords bounds the quote length Nearest aligns, keeping its cost at
// O(maxNearWords × words of text).
const maxNearWords = 200

// Nearest finds the span of text whose words best align with the words of q
// (case and punctuation ignored), with an edit distance over words in which
// the text may start and end anywhere. It reports false when q or text has no
// words. A slightly misspelt word (one edit, or the same first five letters)
// costs half a changed word.
func Nearest(text, q string) (Near, bool) {
	qw := words(q)
	if len(qw) > maxNearWords {
		qw = qw[:maxNearWords]
	}
	tw := words(text)
	m, n := len(qw), len(tw)
	if m == 0 || n == 0 {
		return Near{}, false
	}
	// d[i*(n+1)+j]: cost of aligning qw[:i] so that it ends just before tw[j].
	w := n + 1
	d := make([]float64, (m+1)*w)
	for i := 1; i <= m; i++ {
		d[i*w] = float64(i)
		for j := 1; j <= n; j++ {
			best := d[(i-1)*w+j-1] + subCost(qw[i-1].s, tw[j-1].s)
			if c := d[(i-1)*w+j] + 1; c < best {
				best = c
			}
			if c := d[i*w+j-1] + 1; c < best {
				best = c
			}
			d[i*w+j] = best
		}
	}
	end := 1
	for j := 2; j <= n; j++ {
		if d[m*w+j] < d[m*w+end] {
			end = j
		}
	}
	// Trace back to where the alignment starts in the text.
	i, j := m, end
	for i > 0 && j > 0 {
		switch {
		case d[i*w+j] == d[(i-1)*w+j-1]+subCost(qw[i-1].s, tw[j-1].s):
			i, j = i-1, j-1
		case d[i*w+j] == d[(i-1)*w+j]+1:
			i--
		default:
			j--
		}
	}
	begin := j
	if begin >= end {
		return Near{}, false
	}
	span := end - begin
	if m > span {
		span = m
	}
	sim := 1 - d[m*w+end]/float64(span)
	if sim < 0 {
		sim = 0
	}
	return Near{Start: tw[begin].start, End: tw[end-1].end, Similarity: sim}, true
}

func subCost(a, b string) float64 {
	if a == b {
		return 0
	}
	if closeWords(a, b) {
		return 0.5
	}
	return 1
}

// closeWords reports words one edit apart, or sharing their first five
// letters (Zelensky/Zelenskyy, guarantee/guarantees).
func closeWords(a, b string) bool {
	if len(a) >= 5 && len(b) >= 5 && a[:5] == b[:5] {
		return true
	}
	if d := len(a) - len(b); d > 1 || d < -1 || len(a) < 4 {
		return false
	}
	return OneEdit(a, b)
}

// OneEdit reports whether a and b are at most one edit apart: one letter
// changed, added or left out.
func OneEdit(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	i, j, edits := 0, 0, 0
	for i < len(a) && j < len(b) {
		if a[i] == b[j] {
			i++
			j++
			continue
		}
		edits++
		if edits > 1 {
			return false
		}
		if len(a) == len(b) {
			i++
			j++
		} else {
			i++
		}
	}
	return edits+(len(a)-i)+(len(b)-j) <= 1
}

type word struct {
	s          string
	start, end int
}

// words splits text into lower-cased words of letters and digits, with their
// byte offsets; apostrophes inside a word are kept out of its letters.
func words(text string) []word {
	var out []word
	var b strings.Builder
	start := -1
	flush := func(end int) {
		if start >= 0 && b.Len() > 0 {
			out = append(out, word{s: b.String(), start: start, end: end})
		}
		b.Reset()
		start = -1
	}
	last := 0
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if start < 0 {
				start = i
			}
			b.WriteRune(unicode.ToLower(r))
			last = i + size
		case fold(r) == '\'' && start >= 0:
			// An apostrophe inside a word: skip it, keep the word going.
		default:
			flush(last)
		}
		i += size
	}
	flush(last)
	return out
}
