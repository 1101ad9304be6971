// Package sentence splits text into sentences, reporting byte offsets so that
// every sentence can be traced back to the original text.
//
// The splitter works in two steps. Lines are first grouped into blocks: a
// blank line, a heading, a bullet or list item, or a line that ends a
// sentence closes a block, while hard-wrapped prose (a line that does not end
// a sentence and is continued by the next one) stays in one block. Each block
// is then cut after sentence-final punctuation, except where the punctuation
// belongs to an abbreviation, an initial, a number, a URL or an ellipsis.
package sentence

import (
	"unicode"
	"unicode/utf8"
)

// Span is a half-open byte range [Start, End) of the text that was split.
type Span struct {
	Start int
	End   int
}

// Split returns the sentences of text in order, each trimmed of surrounding
// white space. Headings, bullets and list items without final punctuation are
// sentences of their own. Abbreviations such as "U.S." and "Mr." do not end a
// sentence; a closing quote after the final punctuation belongs to the
// sentence it closes. Leading list markers ("•", "-", "1.") are left out of
// the spans. Split never panics: text need not be valid UTF-8, and every
// offset it reports lies on a rune boundary.
func Split(text string) []Span { return split(text, false) }

// SplitQuotes is Split, except that a sentence that opens a quotation goes
// on until the quotation closes (within the block and maxQuoteSpan bytes),
// so that a quote of several sentences is never cut: what an answer shows
// as one quote has balanced quotation marks.
func SplitQuotes(text string) []Span { return split(text, true) }

func split(text string, quotes bool) []Span {
	lines := scanLines(text)
	width := wrapWidth(lines)
	out := make([]Span, 0, len(text)/80+1)
	for k := 0; k < len(lines); {
		if lines[k].empty() {
			k++
			continue
		}
		j := k
		for j+1 < len(lines) && joins(text, lines[j], lines[j+1], width) {
			j++
		}
		out = splitBlock(text, lines[k].body, lines[j].end, quotes, out)
		k = j + 1
	}
	return out
}

// line is one line of the text, with its indentation, list marker and
// trailing white space measured off.
type line struct {
	body    int  // first byte after indentation and any list marker
	end     int  // end of the line's text, trailing white space excluded
	runes   int  // width of the line in runes, indentation included
	indent  bool // the line starts with white space
	bullet  bool // the line starts with a bullet or list-item marker
	heading bool // the line is a Markdown heading ("# ...")
}

// empty reports whether the line has no text besides white space and a
// marker.
func (l line) empty() bool { return l.body >= l.end }

func scanLines(text string) []line {
	lines := make([]line, 0, len(text)/60+1)
	for pos := 0; ; {
		stop := len(text)
		if i := indexNewline(text, pos); i >= 0 {
			stop = i
		}
		lines = append(lines, measureLine(text, pos, stop))
		if stop == len(text) {
			return lines
		}
		pos = stop + 1
	}
}

func indexNewline(text string, from int) int {
	for i := from; i < len(text); i++ {
		if text[i] == '\n' {
			return i
		}
	}
	return -1
}

func measureLine(text string, start, stop int) line {
	cs := skipSpace(text, start, stop)
	ce := trimSpaceLeft(text, cs, stop)
	l := line{body: cs, end: ce, indent: cs > start}
	if cs < ce {
		l.runes = utf8.RuneCountInString(text[start:ce])
		l.body, l.bullet, l.heading = stripMarker(text, cs, ce)
	}
	return l
}

// stripMarker returns where the text of a line starts once a leading list
// marker, heading marker or quote marker is taken off, and which kind of
// marker it was. A line that is only a rule ("---", "***") gets body == end.
func stripMarker(text string, cs, ce int) (body int, bullet, heading bool) {
	r, n := utf8.DecodeRuneInString(text[cs:ce])
	after := cs + n
	spaced := after == ce || startsWithSpace(text, after, ce)
	switch {
	case isBulletGlyph(r):
		return skipSpace(text, after, ce), true, false
	case (r == '-' || r == '*' || r == '+' || r == '–' || r == '—') && spaced:
		return skipSpace(text, after, ce), true, false
	case r == '-' || r == '*' || r == '_' || r == '=':
		if isRule(text[cs:ce]) {
			return ce, false, false
		}
	case r == '#':
		i := cs
		for i < ce && i-cs < 6 && text[i] == '#' {
			i++
		}
		if i == ce || startsWithSpace(text, i, ce) {
			return skipSpace(text, i, ce), false, true
		}
	case r == '>' && spaced:
		return skipSpace(text, after, ce), false, false
	case r >= '0' && r <= '9':
		i := cs
		for i < ce && i-cs < 3 && text[i] >= '0' && text[i] <= '9' {
			i++
		}
		if i < ce && (text[i] == '.' || text[i] == ')') && (i+1 == ce || startsWithSpace(text, i+1, ce)) {
			return skipSpace(text, i+1, ce), true, false
		}
	case r < utf8.RuneSelf && unicode.IsLetter(r):
		if after < ce && text[after] == ')' && (after+1 == ce || startsWithSpace(text, after+1, ce)) {
			return skipSpace(text, after+1, ce), true, false
		}
	}
	return cs, false, false
}

func isBulletGlyph(r rune) bool {
	switch r {
	case '•', '·', '▪', '▫', '◦', '‣', '●', '○', '■', '□', '►', '▸', '▶', '➤', '✓', '✔', '⁃', '∙':
		return true
	}
	return false
}

// isRule reports whether s is a Markdown horizontal rule or heading
// underline: three or more of one of - * _ =, possibly spaced.
func isRule(s string) bool {
	var c byte
	count := 0
	for i := 0; i < len(s); i++ {
		switch b := s[i]; b {
		case ' ', '\t':
		case '-', '*', '_', '=':
			if c != 0 && b != c {
				return false
			}
			c = b
			count++
		default:
			return false
		}
	}
	return count >= 3
}

// wrapWidth estimates the column at which the text was hard-wrapped, or
// returns 0 when the text does not look hard-wrapped: most of its longer
// lines are 40 to 100 runes wide and few are wider.
func wrapWidth(lines []line) int {
	var hist [61]int
	mid, long := 0, 0
	for _, l := range lines {
		switch {
		case l.runes > 100:
			long++
		case l.runes >= 40:
			hist[l.runes-40]++
			mid++
		}
	}
	if mid < 3 || long*4 > mid {
		return 0
	}
	// The 75th percentile of the line widths: at most the true wrap column,
	// so a line that was wrapped always passes the test in looksWrapped.
	want := mid * 3 / 4
	seen := 0
	for i, c := range hist {
		seen += c
		if seen > want {
			return 40 + i
		}
	}
	return 100
}

// joins reports whether next continues the sentence block that ends with l.
func joins(text string, l, next line, width int) bool {
	if next.empty() || next.bullet || next.heading || l.heading {
		return false
	}
	lower := startsLower(text, next.body, next.end)
	if l.bullet && !next.indent && !lower {
		return false
	}
	wrapped := width > 0 && looksWrapped(text, l, next, width)
	if runStart, runEnd, ok := finalPunct(text, l.body, l.end); ok {
		if isBoundary(text, l.body, runStart, runEnd, next.body, next.end) {
			return false
		}
		return lower || wrapped
	}
	return lower || wrapped || endsOpen(text, l)
}

// looksWrapped reports whether l was broken only because the first word of
// next would not have fitted on it.
func looksWrapped(text string, l, next line, width int) bool {
	word := 0
	for i := next.body; i < next.end; {
		r, n := utf8.DecodeRuneInString(text[i:next.end])
		if isSpace(r) {
			break
		}
		word++
		i += n
	}
	return l.runes*10 >= width*5 && (l.runes+1+word)*10 > width*9
}

// endsOpen reports whether a line ends in a way that a sentence cannot:
// with a comma, a dash, an opening bracket or a word such as "and".
func endsOpen(text string, l line) bool {
	r, _ := utf8.DecodeLastRuneInString(text[l.body:l.end])
	switch r {
	case ',', ';', '-', '–', '—', '(', '[', '&', '/':
		return true
	}
	i := l.end
	for i > l.body {
		r, n := utf8.DecodeLastRuneInString(text[l.body:i])
		if !isLetter(r) {
			break
		}
		i -= n
	}
	if i == l.end || i == l.body {
		return false
	}
	return openWords[text[i:l.end]]
}

var openWords = map[string]bool{
	"a": true, "an": true, "and": true, "as": true, "at": true, "but": true, "by": true,
	"for": true, "from": true, "in": true, "into": true, "of": true, "on": true, "or": true,
	"that": true, "the": true, "to": true, "with": true, "which": true, "who": true,
}

// finalPunct reports whether the text [start, end) ends with sentence-final
// punctuation, possibly followed by closing quotes or brackets, and where
// that run of punctuation lies.
func finalPunct(text string, start, end int) (runStart, runEnd int, ok bool) {
	i := end
	for i > start {
		r, n := utf8.DecodeLastRuneInString(text[start:i])
		if !isCloser(r) {
			break
		}
		i -= n
	}
	runEnd = i
	for i > start {
		r, n := utf8.DecodeLastRuneInString(text[start:i])
		if !isTerminal(r) {
			break
		}
		i -= n
	}
	return i, runEnd, i < runEnd
}

// splitBlock appends the sentences of the block [start, end) to out.
func splitBlock(text string, start, end int, quotes bool, out []Span) []Span {
	for i := start; i < end; {
		r, n := utf8.DecodeRuneInString(text[i:end])
		if !isTerminal(r) {
			i += n
			continue
		}
		runStart := i
		for i < end {
			r, n := utf8.DecodeRuneInString(text[i:end])
			if !isTerminal(r) {
				break
			}
			i += n
		}
		runEnd := i
		for i < end {
			r, n := utf8.DecodeRuneInString(text[i:end])
			if !isCloser(r) {
				break
			}
			i += n
		}
		if i >= end || !startsWithSpace(text, i, end) {
			continue
		}
		next := skipSpace(text, i, end)
		if quotes && insideQuote(text, start, i, end) {
			i = next
			continue
		}
		if isBoundary(text, start, runStart, runEnd, next, end) {
			out = appendSpan(text, start, i, out)
			start = next
		}
		i = next
	}
	return appendSpan(text, start, end, out)
}

// maxQuoteSpan bounds how far a sentence is carried on to close a quotation
// it opened.
const maxQuoteSpan = 600

// insideQuote reports a cut at i that would fall inside a quotation: the
// sentence begun at start has opened a curly double quote it has not closed,
// and the quote closes in the block within maxQuoteSpan bytes. A sentence
// that quotes several sentences stays whole, so no quote shown is broken.
func insideQuote(text string, start, i, end int) bool {
	open := 0
	for _, r := range text[start:i] {
		switch r {
		case '“':
			open++
		case '”':
			if open > 0 {
				open--
			}
		}
	}
	if open == 0 {
		return false
	}
	limit := min(end, i+maxQuoteSpan)
	for _, r := range text[i:limit] {
		if r == '”' {
			return true
		}
	}
	return false
}

func appendSpan(text string, start, end int, out []Span) []Span {
	start = skipSpace(text, start, end)
	end = trimSpaceLeft(text, start, end)
	if start < end {
		out = append(out, Span{start, end})
	}
	return out
}

// isBoundary decides whether the punctuation run [runStart, runEnd), followed
// by white space and then the text at next, ends a sentence that began at or
// after segStart.
func isBoundary(text string, segStart, runStart, runEnd, next, limit int) bool {
	first, word := nextWord(text, next, limit)
	if unicode.IsLower(first) {
		return false
	}
	dots, other := 0, false
	for _, r := range text[runStart:runEnd] {
		switch r {
		case '.':
			dots++
		case '…':
			dots += 3
		default:
			other = true
		}
	}
	if other {
		return true // ? or ! (possibly with dots)
	}
	if dots > 1 {
		return false // an ellipsis
	}
	tok := wordBefore(text, segStart, runStart)
	if tok == "" {
		return true
	}
	if r, _ := utf8.DecodeLastRuneInString(tok); isCloser(r) {
		return true
	}
	low := lowerASCII(tok)
	switch {
	case titleAbbrevs[low] || innerAbbrevs[low]:
		return false
	case numberAbbrevs[low]:
		return !unicode.IsDigit(first)
	case isInitial(tok) || isAcronym(low) || endAbbrevs[low]:
		return starterWords[lowerASCII(word)] && unicode.IsUpper(first)
	}
	return true
}

// nextWord returns the first rune of the word at i, past opening quotes and
// brackets, and the word itself.
func nextWord(text string, i, limit int) (rune, string) {
	for i < limit {
		r, n := utf8.DecodeRuneInString(text[i:limit])
		if !isOpener(r) {
			break
		}
		i += n
	}
	if i >= limit {
		return 0, ""
	}
	first, _ := utf8.DecodeRuneInString(text[i:limit])
	j := i
	for j < limit {
		r, n := utf8.DecodeRuneInString(text[j:limit])
		if !isLetter(r) {
			break
		}
		j += n
	}
	return first, text[i:j]
}

// wordBefore returns the white-space delimited token that ends at end,
// without any opening quotes or brackets in front of it.
func wordBefore(text string, segStart, end int) string {
	i := end
	for i > segStart {
		r, n := utf8.DecodeLastRuneInString(text[segStart:i])
		if isSpace(r) {
			break
		}
		i -= n
	}
	for i < end {
		r, n := utf8.DecodeRuneInString(text[i:end])
		if !isOpener(r) {
			break
		}
		i += n
	}
	return text[i:end]
}

// isInitial reports whether tok is a single capital letter, as in "J. D.
// Vance".
func isInitial(tok string) bool {
	r, n := utf8.DecodeRuneInString(tok)
	return n == len(tok) && unicode.IsUpper(r)
}

// isAcronym reports whether tok is dotted letters such as "u.s", "a.m" or
// "ph.d": every part between dots is one to three letters.
func isAcronym(tok string) bool {
	parts, size := 0, 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c == '.':
			if size == 0 {
				return false
			}
			parts++
			size = 0
		case c >= 'a' && c <= 'z':
			size++
			if size > 3 {
				return false
			}
		default:
			return false
		}
	}
	return parts >= 1 && size > 0
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func startsLower(text string, i, limit int) bool {
	r, _ := nextWord(text, i, limit)
	return unicode.IsLower(r)
}

func startsWithSpace(text string, i, limit int) bool {
	r, _ := utf8.DecodeRuneInString(text[i:limit])
	return isSpace(r)
}

// skipSpace returns the first index at or after i, before limit, that is not
// white space.
func skipSpace(text string, i, limit int) int {
	for i < limit {
		r, n := utf8.DecodeRuneInString(text[i:limit])
		if !isSpace(r) {
			break
		}
		i += n
	}
	return i
}

// trimSpaceLeft moves end back over white space, not past start.
func trimSpaceLeft(text string, start, end int) int {
	for end > start {
		r, n := utf8.DecodeLastRuneInString(text[start:end])
		if !isSpace(r) {
			break
		}
		end -= n
	}
	return end
}

// isSpace reports white space, including the no-break space, the byte-order
// mark and the zero-width space.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\uFEFF' || r == '\u200B'
}

func isLetter(r rune) bool { return unicode.IsLetter(r) }

func isTerminal(r rune) bool {
	switch r {
	case '.', '?', '!', '…', '‽':
		return true
	}
	return false
}

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '”', '’', '»', '›', ')', ']', '}', '*', '_':
		return true
	}
	return false
}

func isOpener(r rune) bool {
	switch r {
	case '"', '\'', '“', '‘', '«', '‹', '(', '[', '{', '*', '_', '„':
		return true
	}
	return false
}
