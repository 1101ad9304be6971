package article

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/sentence"
)

// role is what a line of a page is.
type role uint8

const (
	roleBlank   role = iota // white space only
	roleContent             // article text
	roleChrome              // page chrome: prompts, links, ads, comment forms
	roleHeader              // headline, outlet, author or date line
	roleRepeat              // a verbatim repeat of an earlier body line
)

// maxNormLen is the longest line, in bytes, that is normalised: chrome,
// header and list lines are all shorter.
const maxNormLen = 1000

// maxShortLen is the longest line, in bytes, that can be a list head or
// chrome in the middle of the body.
const maxShortLen = 200

// pline is one line of a page.
type pline struct {
	start, end int    // the line's text, white space trimmed; start == end when blank
	role       role   // what the line is
	norm       string // normalised text, set by page.norm
	normed     bool   // norm is set
}

// page is a text being read line by line.
type page struct {
	text  string
	lines []pline
	later map[string]int  // line text -> index of its last occurrence, built on demand
	prose []proseSentence // the sentences of prose lines, built on demand
}

// proseSentence is a sentence of a prose line: the line's index and the
// sentence's content words (see contentWords).
type proseSentence struct {
	line  int
	words map[string]bool
}

func newPage(text string) *page {
	p := &page{text: text, lines: make([]pline, 0, strings.Count(text, "\n")+1)}
	for pos := 0; ; {
		stop := strings.IndexByte(text[pos:], '\n')
		if stop < 0 {
			stop = len(text)
		} else {
			stop += pos
		}
		s, e := trimRange(text, pos, stop)
		l := pline{start: s, end: e, role: roleContent}
		if s == e {
			l.role = roleBlank
		}
		p.lines = append(p.lines, l)
		if stop == len(text) {
			return p
		}
		pos = stop + 1
	}
}

func (p *page) str(i int) string { return p.text[p.lines[i].start:p.lines[i].end] }

// norm returns line i normalised for matching phrases, or "" when the line
// is longer than max bytes or maxNormLen.
func (p *page) norm(i, max int) string {
	l := &p.lines[i]
	if n := l.end - l.start; n > max || n > maxNormLen {
		return ""
	}
	if !l.normed {
		l.norm, l.normed = normalize(p.str(i)), true
	}
	return l.norm
}

// next returns the index of the next non-blank line after i that is not
// chrome, or -1.
func (p *page) next(i int) int {
	for j := i + 1; j < len(p.lines); j++ {
		if r := p.lines[j].role; r != roleBlank && r != roleChrome {
			return j
		}
	}
	return -1
}

// ParseText builds an article from a plain-text file: it finds the headline,
// outlet, author and date where the text gives them, and marks page chrome
// (sign-up prompts, "Related Stories", comment forms, a live blog's list of
// key events) and verbatim repeats off from the body. The text itself is
// kept unchanged. name becomes the article's ID.
func ParseText(name string, data []byte) (Article, error) {
	if err := checkText(data); err != nil {
		return Article{}, err
	}
	text := string(data)
	p, h := readPage(text)
	a := Article{
		ID:       name,
		Title:    h.title,
		Outlet:   h.outlet,
		Author:   h.author,
		URL:      h.url,
		Category: h.category,
		Text:     text,
		Body:     p.spans(),
	}
	switch {
	case h.dateMeta:
		a.PublishedAt, a.DateSource = h.date, "metadata"
	case !h.date.IsZero():
		a.PublishedAt, a.DateSource = h.date, "text"
	}
	if len(a.Body) == 0 {
		return Article{}, ErrNoContent
	}
	return a, nil
}

// readPage finds the article in a clipped web page: it marks the header,
// the chrome and repeated passages, and returns what the header says.
func readPage(text string) (*page, header) {
	p := newPage(text)
	var h header
	p.readFrontMatter(&h)
	p.markLeadingChrome()
	p.readHeader(&h)
	p.markLists()
	p.markTrailingChrome()
	p.markMidChrome()
	p.markRepeats()
	return p, h
}

// readRecord marks the chrome in the text of a JSON record, conservatively:
// only whole lines of unmistakable chrome at either end and advertisement
// markers in between. When wantDate is set it also reads a date line at the
// top.
func readRecord(text string, wantDate bool) (*page, header) {
	p := newPage(text)
	var h header
	p.markLeadingChrome()
	if wantDate {
		p.readDateLines(&h)
	}
	p.markTrailingChrome()
	p.markMidChrome()
	return p, h
}

// spans returns the body: the maximal runs of content lines. Runs with no
// letter or digit (a lone "-") are left out.
func (p *page) spans() []Span {
	var out []Span
	open := false
	var cur Span
	flush := func() {
		if open && hasWordChar(p.text[cur.Start:cur.End]) {
			out = append(out, cur)
		}
		open = false
	}
	for _, l := range p.lines {
		switch l.role {
		case roleBlank:
		case roleContent:
			if !open {
				cur, open = Span{l.start, l.end}, true
			} else {
				cur.End = l.end
			}
		default:
			flush()
		}
	}
	flush()
	return out
}

// markLeadingChrome marks the chrome lines at the top of the page.
func (p *page) markLeadingChrome() {
	for i := range p.lines {
		l := &p.lines[i]
		switch {
		case l.role == roleBlank || l.role == roleHeader:
		case isChrome(p.norm(i, maxNormLen)):
			l.role = roleChrome
		default:
			return
		}
	}
}

// markLists marks a live blog's list of post headlines ("Key events" and
// the list after it) as chrome where it only repeats the body: an item that
// repeats further down (as its post's heading) or is restated there (by a
// sentence holding nearly all its words, as a summary post's bullets do) is
// chrome; an item whose post the page does not hold stays content, since
// its words appear nowhere else. The markers between items count as blank
// lines, so the items that stay content form one passage.
func (p *page) markLists() {
	for i := range p.lines {
		if p.lines[i].role != roleContent || !listHeads[trimPunct(p.norm(i, maxShortLen))] {
			continue
		}
		p.lines[i].role = roleChrome
		afterMarker := false
		markerless := true
		if j := p.next(i); j >= 0 && (isMarkerOnly(p.str(j)) || isBullet(p.str(j))) {
			markerless = false
		}
	items:
		for j := i + 1; j < len(p.lines); j++ {
			l := &p.lines[j]
			if l.role == roleBlank {
				continue
			}
			if l.role != roleContent {
				break
			}
			s := p.str(j)
			switch {
			case isMarkerOnly(s):
				afterMarker = true
				l.role = roleBlank
				continue
			case listTails[trimPunct(p.norm(j, maxShortLen))], isClockLine(s):
				afterMarker = false
			case isBullet(s) && isListItem(s), afterMarker && isListItem(s):
				afterMarker = false
				if !p.repeatsLater(j) && !p.restatedLater(j) {
					continue
				}
			case markerless && isListItem(s) && p.repeatsLater(j):
			default:
				break items
			}
			l.role = roleChrome
		}
	}
}

// repeatsLater reports whether line i appears again, whole, further down.
func (p *page) repeatsLater(i int) bool {
	if p.later == nil {
		p.later = make(map[string]int)
		for j := range p.lines {
			if p.lines[j].role != roleBlank {
				p.later[p.str(j)] = j
			}
		}
	}
	return p.later[p.str(i)] > i
}

// minRestated is the share of a headline's content words that one later
// sentence must hold for the headline to count as restated there.
const minRestated = 0.8

// restatedLater reports whether a sentence of a prose line after line i
// holds at least minRestated of line i's content words: the headline of a
// post that a summary restates ("Geneva emerges as potential location for
// Putin-Zelenskyy summit" and "Geneva is emerging as a potential location
// for a peace summit between Putin and Zelenskyy").
func (p *page) restatedLater(i int) bool {
	words := contentWords(p.str(i))
	if len(words) < 3 {
		return false
	}
	if p.prose == nil {
		p.prose = []proseSentence{}
		for j := range p.lines {
			line := p.str(j)
			if p.lines[j].role != roleContent || !strings.ContainsRune(".?!", lastNonCloser(line)) {
				continue
			}
			for _, sp := range sentence.Split(line) {
				p.prose = append(p.prose, proseSentence{line: j, words: contentWords(line[sp.Start:sp.End])})
			}
		}
	}
	for _, ps := range p.prose {
		if ps.line <= i {
			continue
		}
		held := 0
		for w := range words {
			if ps.words[w] {
				held++
			}
		}
		if float64(held) >= minRestated*float64(len(words)) {
			return true
		}
	}
	return false
}

// contentWords returns the words of s that carry its content, lower case,
// cut to their first five letters so that forms of one word meet
// ("emerges", "emerging"); words of under three letters and function words
// are left out.
func contentWords(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(w) < 3 || functionWords[w] {
			continue
		}
		if r := []rune(w); len(r) > 5 {
			w = string(r[:5])
		}
		out[w] = true
	}
	return out
}

// functionWords are words that carry no content of a headline.
var functionWords = map[string]bool{
	"the": true, "and": true, "for": true, "with": true, "from": true, "that": true, "this": true,
	"are": true, "was": true, "were": true, "has": true, "have": true, "had": true, "but": true,
	"not": true, "its": true, "into": true, "about": true, "after": true, "over": true, "than": true,
	"says": true, "said": true, "say": true, "will": true, "his": true, "her": true, "their": true,
}

// markTrailingChrome marks the chrome block at the end of the page: from
// the first chrome line after the last real paragraph to the end.
func (p *page) markTrailingChrome() {
	last := -1
	for i := len(p.lines) - 1; i >= 0; i-- {
		l := p.lines[i]
		if l.role == roleContent && !isChrome(p.norm(i, maxNormLen)) && isParagraph(p.str(i)) {
			last = i
			break
		}
	}
	for i := last + 1; i < len(p.lines); i++ {
		l := p.lines[i]
		if l.role != roleContent || !isChrome(p.norm(i, maxNormLen)) || isMidChrome(p.norm(i, maxShortLen)) {
			continue
		}
		for j := i; j < len(p.lines); j++ {
			if p.lines[j].role == roleContent {
				p.lines[j].role = roleChrome
			}
		}
		return
	}
}

// markMidChrome marks unmistakable chrome lines anywhere in the body.
func (p *page) markMidChrome() {
	for i := range p.lines {
		if p.lines[i].role == roleContent && isMidChrome(p.norm(i, maxShortLen)) {
			p.lines[i].role = roleChrome
		}
	}
}

// minRepeat is the length in runes from which a body line repeated verbatim
// is dropped.
const minRepeat = 60

// markRepeats drops later verbatim copies of long body lines, such as a
// live blog's teaser repeated in its post, so that the same passage is not
// retrieved twice.
func (p *page) markRepeats() {
	seen := make(map[string]bool)
	for i := range p.lines {
		if p.lines[i].role != roleContent {
			continue
		}
		s := p.str(i)
		if !longer(s, minRepeat-1) {
			continue
		}
		if seen[s] {
			p.lines[i].role = roleRepeat
		} else {
			seen[s] = true
		}
	}
}

// isChrome reports whether a normalised line is page chrome.
func isChrome(norm string) bool {
	if norm == "" {
		return false
	}
	for _, c := range formChrome {
		if strings.Contains(norm, c) {
			return true
		}
	}
	if len(norm) > 250 {
		return false
	}
	if chromeLines[trimPunct(norm)] {
		return true
	}
	for _, pre := range chromePrefixes {
		if strings.HasPrefix(norm, pre) {
			return true
		}
	}
	if len(norm) <= 160 {
		for _, c := range chromeContains {
			if strings.Contains(norm, c) {
				return true
			}
		}
	}
	return false
}

// isMidChrome reports whether a normalised line is chrome wherever it
// stands in the text.
func isMidChrome(norm string) bool {
	if norm == "" || len(norm) > maxShortLen {
		return false
	}
	if midChromeLines[trimPunct(norm)] {
		return true
	}
	for _, pre := range midChromePrefixes {
		if strings.HasPrefix(norm, pre) {
			return true
		}
	}
	return strings.Contains(norm, "newsletter") &&
		(strings.HasPrefix(norm, "sign up") || strings.HasPrefix(norm, "subscribe") ||
			strings.HasPrefix(norm, "click here") || strings.HasPrefix(norm, "get our"))
}

// isParagraph reports whether s is a real paragraph of prose rather than a
// heading, link or prompt.
func isParagraph(s string) bool {
	return longer(s, 120) || wordCount(s) >= 16
}

// isListItem reports whether s can be an item of a list of headlines.
func isListItem(s string) bool {
	return !longer(s, 250) && lastNonCloser(s) != '.'
}

// lastNonCloser returns the last rune of s that is not a closing quote or
// bracket.
func lastNonCloser(s string) rune {
	for len(s) > 0 {
		r, n := utf8.DecodeLastRuneInString(s)
		if !strings.ContainsRune(`"'”’)]»`, r) {
			return r
		}
		s = s[:len(s)-n]
	}
	return 0
}

// isMarkerOnly reports whether s is a bullet marker and nothing else.
func isMarkerOnly(s string) bool {
	switch s {
	case "-", "*", "•", "·", "–", "—", "▪", "◦", "‣", "●":
		return true
	}
	return false
}

// isBullet reports whether s starts with a bullet marker and a space.
func isBullet(s string) bool {
	for _, m := range []string{"- ", "* ", "• ", "· ", "– ", "— ", "▪ ", "◦ ", "‣ ", "● ", "•\u00a0"} {
		if strings.HasPrefix(s, m) {
			return true
		}
	}
	return false
}

// isClockLine reports whether s is only a time stamp, as live blogs put
// above each post ("14.05 BST", "2h ago").
func isClockLine(s string) bool {
	if longer(s, 20) {
		return false
	}
	if loc := clockAfter.FindStringSubmatchIndex(s); loc != nil && loc[0] == 0 {
		rest := strings.TrimSpace(s[loc[1]:])
		return rest == "" || strings.EqualFold(rest, "ago")
	}
	f := strings.Fields(s)
	return len(f) == 2 && f[1] == "ago" && strings.IndexFunc(f[0], unicode.IsDigit) == 0
}
