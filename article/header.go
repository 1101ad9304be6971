package article

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// header is what the top of a page says about the article.
type header struct {
	title, outlet, author, url, category string
	date                                 time.Time
	dateUpdated                          bool // date is an "Updated" date, to be replaced by a publication date
	dateMeta                             bool // date came from front matter
}

func (h *header) setDate(t time.Time, updated bool) {
	if h.date.IsZero() || (h.dateUpdated && !updated) {
		h.date, h.dateUpdated, h.dateMeta = t, updated, false
	}
}

// readFrontMatter reads a YAML-style block between "---" lines at the very
// top of the text: flat "key: value" lines (title, outlet or source or
// publisher, author, date or published or published_at, url), values
// optionally quoted, a list such as "[Jane Doe, John Roe]" or "- Jane Doe"
// lines below its key. TOML front matter between "+++" lines (Hugo's),
// with "key = value" lines, is read the same way. The whole block is
// marked as header, never body.
func (p *page) readFrontMatter(h *header) {
	first := -1
	for i, l := range p.lines {
		if l.role != roleBlank {
			first = i
			break
		}
	}
	if first < 0 || (p.str(first) != "---" && p.str(first) != "+++") {
		return
	}
	fence, toml := p.str(first), p.str(first) == "+++"
	// The block closes within 60 lines, or, for a long one, further down
	// when every line past the 60th reads as YAML: a long front matter is
	// never indexed as the article's text.
	last := -1
	for j := first + 1; j < len(p.lines); j++ {
		if p.str(j) == fence {
			last = j
			break
		}
		if j >= first+60 && p.lines[j].role != roleBlank && !yamlLike(tomlAsYAML(p.str(j), toml)) {
			break
		}
	}
	if last < 0 {
		return
	}
	for j := first; j <= last; j++ {
		if p.lines[j].role == roleBlank {
			continue
		}
		p.lines[j].role = roleHeader
		s := tomlAsYAML(p.str(j), toml)
		if key, ok := strings.CutSuffix(s, ":"); ok && !strings.ContainsAny(key, " \t") {
			// A block list: "author:" then "- Jane Doe" lines.
			var items []string
			for j+1 < last && strings.HasPrefix(strings.TrimSpace(p.str(j+1)), "- ") {
				j++
				p.lines[j].role = roleHeader
				items = append(items, strings.TrimSpace(strings.TrimSpace(p.str(j))[2:]))
			}
			s = key + ": [" + strings.Join(items, ", ") + "]"
		}
		p.readMetaKey(s, h)
	}
	if !h.date.IsZero() {
		h.dateMeta = true
	}
}

// headerLines is how many non-blank lines at the top are searched for the
// headline, outlet, author and date.
const headerLines = 12

// readHeader reads the headline, outlet, author and date from the lines
// before the first paragraph of the body, and marks those lines.
func (p *page) readHeader(h *header) {
	seen, body := 0, -1
	for i := 0; i < len(p.lines) && seen < headerLines; i++ {
		l := &p.lines[i]
		if l.role != roleContent {
			continue
		}
		if isChrome(p.norm(i, maxNormLen)) {
			l.role = roleChrome
			continue
		}
		seen++
		if !p.headerLine(i, h) {
			body = i
			break
		}
	}
	if body < 0 {
		return
	}
	// A byline or date line may follow a standfirst: look a little further,
	// for the strict forms only.
	for i, n := body, 0; i >= 0 && n < 3 && seen+n < headerLines; i, n = p.next(i), n+1 {
		if i != body && p.readStrictMeta(i, h) {
			p.lines[i].role = roleHeader
		}
	}
	if h.date.IsZero() {
		if t, ok := dateline(p.str(body)); ok {
			h.setDate(t, false)
		}
	}
	if h.outlet == "" {
		h.outlet = datelineOutlet(p.str(body))
	}
}

// headerLine reads line i, one of the first lines of the page, and marks it
// as a header line if it is one: a headline, outlet, byline, date or
// section label. It reports whether it was.
func (p *page) headerLine(i int, h *header) bool {
	s := p.str(i)
	next := p.next(i)
	if next < 0 {
		return false // a header needs a body after it
	}
	ns := p.str(next)
	switch {
	case p.readMeta(i, h):
	case isStaffLine(s) && h.author == "":
		h.author = collapse(s)
	case h.title != "" && strings.HasPrefix(s, "# ") && normalize(stripHashes(s)) == normalize(h.title):
		// The headline of a Markdown file repeating its front matter title.
	case h.title != "":
		// After the headline only a person's name is still header.
		if h.author != "" || !isPersonList(s) {
			return false
		}
		h.author = collapse(s)
	case strings.HasPrefix(s, "# "):
		h.title = collapse(stripHashes(s))
	case ns == s:
		// A line repeated at the top: the headline, or when it is only a
		// few words an outlet or section name, which is not guessed.
		switch {
		case wordCount(s) >= 4 && !longer(s, 300) && !isBullet(s):
			h.title = collapse(s)
		case !isKicker(s):
			return false
		}
		p.lines[next].role = roleHeader
	case h.author == "" && isPersonList(s) && isHeadline(ns) && !isPersonList(ns):
		h.author = collapse(s)
	case isHeadline(s):
		h.title = collapse(stripHashes(s))
	case isKicker(s) && isHeadline(ns):
		// A section label above the headline: "World", "Ukraine war".
	default:
		return false
	}
	p.lines[i].role = roleHeader
	return true
}

// readDateLines reads a date line among the first lines of a record's text,
// before its first paragraph.
func (p *page) readDateLines(h *header) {
	for i, n := p.next(-1), 0; i >= 0 && n < 4; i, n = p.next(i), n+1 {
		s := p.str(i)
		if t, updated, _, ok := dateLine(s); ok {
			h.setDate(t, updated)
			p.lines[i].role = roleHeader
			continue
		}
		if isParagraph(s) {
			if t, ok := dateline(s); ok {
				h.setDate(t, false)
			}
			return
		}
	}
}

// readMeta reads line i as a header line: "Key: value", a byline, a date
// line or an outlet line. It reports whether the line was one.
func (p *page) readMeta(i int, h *header) bool {
	s := p.str(i)
	if p.readStrictMeta(i, h) {
		return true
	}
	if o, ok := outletLine(s); ok {
		if h.outlet == "" {
			h.outlet = o
		}
		return true
	}
	return false
}

// readStrictMeta reads the header lines that cannot be mistaken for body
// text: "Key: value" lines, bylines and date lines.
func (p *page) readStrictMeta(i int, h *header) bool {
	s := p.str(i)
	if longer(s, 200) {
		return false
	}
	if p.readMetaKey(s, h) {
		return true
	}
	if name, outlet, ok := segmentedByline(s); ok {
		if h.author == "" {
			h.author = name
		}
		if h.outlet == "" {
			h.outlet = outlet
		}
		if m, ok := findDate(s); ok {
			h.setDate(m.t, false)
		}
		return true
	}
	if name, outlet, ok := byline(s); ok {
		if h.author == "" {
			h.author = name
		}
		if h.outlet == "" {
			h.outlet = outlet
		}
		if m, ok := findDate(s); ok {
			h.setDate(m.t, false)
		}
		return true
	}
	if t, updated, name, ok := dateLine(s); ok {
		h.setDate(t, updated)
		if name != "" && h.author == "" {
			h.author = name
		}
		return true
	}
	return false
}

// readMetaKey reads a "Key: value" line such as "Published: 19 August
// 2025" or "Source: Reuters".
func (p *page) readMetaKey(s string, h *header) bool {
	colon := strings.IndexByte(s, ':')
	if colon <= 0 || colon > 20 {
		return false
	}
	key := strings.NewReplacer("_", " ", "-", " ").Replace(strings.ToLower(strings.TrimSpace(s[:colon])))
	field, ok := metaKeys[key]
	if !ok {
		return false
	}
	value := metaValue(s[colon+1:])
	if value == "" {
		return false
	}
	switch field {
	case "title":
		if h.title == "" {
			h.title = collapse(value)
		}
	case "author":
		if h.author == "" {
			h.author = collapse(strings.TrimPrefix(value, "By "))
		}
	case "outlet":
		if longer(value, 60) {
			return false
		}
		if h.outlet == "" {
			h.outlet = collapse(value)
		}
	case "date", "updated":
		t, ok := parseMetaDate(value)
		if !ok {
			return false
		}
		h.setDate(t, field == "updated")
	case "url":
		if webURL(value) == "" {
			return false
		}
		if h.url == "" {
			h.url = value
		}
	case "category":
		if h.category == "" {
			h.category = collapse(value)
		}
	}
	return true
}

// tomlAsYAML turns a TOML "key = value" line into "key: value" when toml
// is set; other lines are returned as they are.
func tomlAsYAML(s string, toml bool) string {
	if !toml {
		return s
	}
	if k, v, ok := strings.Cut(s, "="); ok && strings.TrimSpace(k) != "" && !strings.ContainsAny(strings.TrimSpace(k), " \t") {
		return strings.TrimSpace(k) + ": " + strings.TrimSpace(v)
	}
	return s
}

// webURL returns u when it is an http or https URL, else "": an article's
// source link is never a "javascript:" or "file:" link.
func webURL(u string) string {
	u = strings.TrimSpace(u)
	if l := strings.ToLower(u); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
		return u
	}
	return ""
}

// yamlLike reports whether a line reads as a line of YAML front matter:
// "key: value", a "- item" of a list, a comment or an indented line.
func yamlLike(s string) bool {
	if s != "" && (s[0] == ' ' || s[0] == '\t') {
		return true
	}
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "#") {
		return true
	}
	colon := strings.IndexByte(s, ':')
	return colon > 0 && colon <= 40 && !strings.ContainsAny(s[:colon], " \t")
}

// metaValue returns the value of a "key: value" line unquoted, with a
// flow list ("[Jane Doe, 'John Roe']") written as "Jane Doe and John Roe".
// A list or a quote left open (bad YAML) is no value.
func metaValue(v string) string {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "[") != strings.HasSuffix(v, "]") {
		return ""
	}
	if v != "" && (v[0] == '"' || v[0] == '\'') && (len(v) < 2 || v[len(v)-1] != v[0]) {
		return ""
	}
	if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
		var items []string
		for _, it := range strings.Split(v[1:len(v)-1], ",") {
			if it = unquote(strings.TrimSpace(it)); it != "" {
				items = append(items, it)
			}
		}
		switch len(items) {
		case 0:
			return ""
		case 1:
			return items[0]
		}
		return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
	}
	return unquote(v)
}

// unquote removes one pair of matching quotes around v.
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return strings.TrimSpace(v[1 : len(v)-1])
	}
	return v
}

// isHeadline reports whether s looks like a headline: one line of a few
// words that starts with a capital, digit or quote and does not end like a
// sentence of prose.
func isHeadline(s string) bool {
	s = stripHashes(s)
	n := utf8.RuneCountInString(s)
	if n < 10 || n > 250 || isBullet(s) || isMarkerOnly(s) {
		return false
	}
	if w := wordCount(s); w < 2 || w > 40 {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(first) && !unicode.IsDigit(first) && !strings.ContainsRune("\"'“‘«", first) {
		return false
	}
	last := lastNonCloser(s)
	return !strings.ContainsRune(".,;:", last)
}

// isKicker reports whether s can be a section label above a headline.
func isKicker(s string) bool {
	return wordCount(s) <= 3 && !longer(s, 30) && !strings.ContainsRune(".!?:,;", lastNonCloser(s))
}

// stripHashes removes Markdown heading marks around s.
func stripHashes(s string) string {
	if !strings.HasPrefix(s, "#") {
		return s
	}
	t := strings.TrimLeft(s, "#")
	if t != "" && t[0] != ' ' && t[0] != '\t' {
		return s
	}
	return strings.TrimSpace(strings.TrimRight(strings.TrimSpace(t), "#"))
}

// outletLine reports whether s names a known outlet, and returns the name
// as written.
func outletLine(s string) (string, bool) {
	if longer(s, 60) {
		return "", false
	}
	words := strings.Fields(s)
	if len(words) == 0 || strings.ContainsRune(".!?", lastNonCloser(s)) && !strings.HasSuffix(s, ".com") {
		return "", false
	}
	lower := strings.Fields(normalize(s))
	if len(lower) != len(words) {
		return "", false
	}
	for _, skipThe := range []bool{false, true} {
		lw, ow := lower, words
		if skipThe {
			if lw[0] != "the" {
				continue
			}
			lw, ow = lw[1:], ow[1:]
		}
		n := outletPrefix(lw)
		if n == 0 {
			continue
		}
		extra := ow[n:]
		if len(extra) > 3 {
			continue
		}
		ok := true
		for k, w := range extra {
			r, _ := utf8.DecodeRuneInString(w)
			switch {
			case strings.ContainsRune("-–—|&:·(", r):
			case n == 1:
				// After a one-word name ("Independent", "Express") only an
				// edition or section may follow, or "Express Delivery"
				// would be an outlet.
				ok = ok && outletEditions[strings.Trim(lw[n+k], "()")]
			default:
				ok = ok && (unicode.IsUpper(r) || unicode.IsDigit(r))
			}
		}
		if ok {
			return collapse(s), true
		}
	}
	return "", false
}

// outletPrefix returns how many of words make up a known outlet's name at
// their start, or 0.
func outletPrefix(words []string) int {
	best := 0
	for _, o := range outlets {
		ow := strings.Fields(o)
		if len(ow) > len(words) || len(ow) <= best {
			continue
		}
		match := true
		for k := range ow {
			if strings.TrimRight(words[k], ",:") != ow[k] {
				match = false
				break
			}
		}
		if match {
			best = len(ow)
		}
	}
	return best
}

// isPersonName reports whether s is a short line that is only a person's
// name: two to four capitalised words, with initials and particles such as
// "von der" allowed.
func isPersonName(s string) bool {
	if longer(s, 50) {
		return false
	}
	words := strings.Fields(s)
	names := 0
	for k, w := range words {
		lw := strings.ToLower(w)
		if nameParticles[lw] && k > 0 && k < len(words)-1 {
			continue
		}
		if !isNameWord(w) || notNameWords[strings.Trim(lw, ".")] {
			return false
		}
		names++
	}
	return names >= 2 && names <= 4 && len(words) <= 6
}

// isPersonList reports whether s is one to four people's names: "Jane
// Doe", "Jane Doe and John Roe", "Jane Doe, John Roe & Ann Poe".
func isPersonList(s string) bool {
	if longer(s, 120) {
		return false
	}
	s = strings.NewReplacer(" and ", ",", " & ", ",").Replace(s)
	parts := strings.Split(s, ",")
	if len(parts) > 4 {
		return false
	}
	for _, part := range parts {
		if !isPersonName(strings.TrimSpace(part)) {
			return false
		}
	}
	return true
}

// isStaffLine reports whether s is a byline that names no person: "Guardian
// staff and agencies", "Reuters correspondent in Kyiv".
func isStaffLine(s string) bool {
	if longer(s, 60) || wordCount(s) > 8 || strings.ContainsRune(".!?:;", lastNonCloser(s)) {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(first) {
		return false
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if staffWords[w] {
			return true
		}
	}
	return false
}

// isNameWord reports whether w can be one word of a name: "Bowden",
// "O’Brien", "Smith-Jones", "J.", "JD", "BOWDEN".
func isNameWord(w string) bool {
	first, n := utf8.DecodeRuneInString(w)
	if !unicode.IsUpper(first) {
		return false
	}
	for _, r := range w[n:] {
		if !unicode.IsLetter(r) && r != '\'' && r != '’' && r != '-' && r != '.' {
			return false
		}
	}
	return true
}

// byline reads a "By Jane Doe" line, possibly with a date or an outlet
// after the name ("By Jane Doe, Reuters | Aug. 19, 2025"). It returns the
// author and the outlet when one is named.
func byline(s string) (name, outlet string, ok bool) {
	s = strings.Trim(s, "*_ ")
	rest := ""
	for _, pre := range bylinePrefixes {
		if len(s) > len(pre) && strings.EqualFold(s[:len(pre)], pre) {
			rest = s[len(pre):]
			break
		}
	}
	if rest == "" || longer(s, 150) {
		return "", "", false
	}
	if m, ok := findDate(rest); ok {
		rest = rest[:m.start]
	}
	for _, sep := range []string{"|", "•", "·", " - ", " – ", " — ", "\t", " on ", " at ", " updated", " published", " Updated", " Published"} {
		if k := strings.Index(rest, sep); k >= 0 {
			rest = rest[:k]
		}
	}
	rest = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(rest), ",;:"))
	// The name may be followed by an outlet or a job title after a comma,
	// and several names may be listed.
	var names []string
	for _, part := range strings.Split(strings.ReplaceAll(rest, " and ", ", "), ",") {
		part = strings.Trim(part, "*_ \t")
		if part == "" {
			continue
		}
		if o, isOutlet := outletLine(part); isOutlet {
			if outlet == "" {
				outlet = o
			}
			continue
		}
		if !isPersonName(part) && !(len(strings.Fields(part)) == 1 && isNameWord(part) && !notNameWords[strings.ToLower(part)]) {
			break
		}
		names = append(names, collapse(part))
	}
	switch len(names) {
	case 0:
		return "", outlet, outlet != ""
	case 1:
		return names[0], outlet, true
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1], outlet, true
}

// bylineSeparators split a byline into its parts.
const bylineSeparators = "·|•"

// segmentedByline reads a byline made of parts separated by "·", "|" or
// "•", one of them "By Jane Doe": "The Daily Ledger · By Priya Natarajan ·
// 19 August 2025". The other parts may be a date and one outlet name, which
// need not be a known outlet. It returns the author and the outlet.
func segmentedByline(s string) (name, outlet string, ok bool) {
	if longer(s, 150) || !strings.ContainsAny(s, bylineSeparators) {
		return "", "", false
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(bylineSeparators, r) })
	if len(parts) < 2 || len(parts) > 4 {
		return "", "", false
	}
	for _, part := range parts {
		part = strings.Trim(part, "*_ \t")
		switch {
		case part == "":
		case name == "" && hasBylinePrefix(part):
			n, o, found := byline(part)
			if !found || n == "" {
				return "", "", false
			}
			name = n
			if o != "" && outlet == "" {
				outlet = o
			}
		case isDatePart(part):
		case outlet == "" && isOutletName(part):
			outlet = collapse(part)
		default:
			return "", "", false
		}
	}
	return name, outlet, name != ""
}

// hasBylinePrefix reports whether s starts with "By " or the like.
func hasBylinePrefix(s string) bool {
	for _, pre := range bylinePrefixes {
		if len(s) > len(pre) && strings.EqualFold(s[:len(pre)], pre) {
			return true
		}
	}
	return false
}

// isDatePart reports whether s is a date and little else: "19 August
// 2025", "Updated 10:04 BST".
func isDatePart(s string) bool {
	if _, _, name, ok := dateLine(s); ok && name == "" {
		return true
	}
	return isClockLine(s)
}

// isOutletName reports whether s can be the name of an outlet in a byline:
// a known outlet, or one to five words each starting with a capital or
// digit ("The Daily Ledger"), with no sentence punctuation.
func isOutletName(s string) bool {
	if _, ok := outletLine(s); ok {
		return true
	}
	words := strings.Fields(s)
	if len(words) == 0 || len(words) > 5 || longer(s, 60) || strings.ContainsAny(s, ".,;:!?") {
		return false
	}
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) && !unicode.IsDigit(r) && w != "of" && w != "the" && w != "and" && w != "&" {
			return false
		}
	}
	return true
}

// dateLine reads a line that is a date and little else: "Published: 19
// August 2025", "Tue 19 Aug 2025 14.05 BST", "Jane Doe, Aug. 19, 2025". It
// reports whether the date is an update, and a person's name on the line.
func dateLine(s string) (t time.Time, updated bool, name string, ok bool) {
	if longer(s, 150) {
		return time.Time{}, false, "", false
	}
	m, found := findDate(s)
	if !found {
		return time.Time{}, false, "", false
	}
	left := s[:m.start] + " " + s[m.end:]
	left = clockAnywhere.ReplaceAllString(left, " ")
	var rest []string
	for _, w := range strings.FieldsFunc(left, func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\'' && r != '’' && r != '-'
	}) {
		lw := strings.ToLower(w)
		switch {
		case updatedWords[lw]:
			updated = true
		case datePrefixWords[lw]:
		case isZone(lw):
		default:
			rest = append(rest, w)
		}
	}
	if len(rest) == 0 {
		return m.t, updated, "", true
	}
	if len(rest) <= 4 {
		joined := strings.Join(rest, " ")
		if isPersonList(joined) {
			return m.t, updated, joined, true
		}
	}
	return time.Time{}, false, "", false
}

// dateline reads the date of a news-agency dateline opening the first
// paragraph: "WASHINGTON, Aug 19, 2025 (Reuters) - ...".
func dateline(s string) (time.Time, bool) {
	head, ok := datelineHead(s)
	if !ok {
		return time.Time{}, false
	}
	m, found := findDate(head)
	if !found {
		return time.Time{}, false
	}
	return m.t, true
}

// datelineOutlet returns the agency named in a dateline, "(Reuters)".
func datelineOutlet(s string) string {
	head, ok := datelineHead(s)
	if !ok {
		return ""
	}
	open := strings.LastIndexByte(head, '(')
	close := strings.LastIndexByte(head, ')')
	if open < 0 || close < open {
		return ""
	}
	if o, ok := outletLine(head[open+1 : close]); ok {
		return o
	}
	return ""
}

// datelineHead returns the part of s before a dateline's dash, when s opens
// with a place name in capitals.
func datelineHead(s string) (string, bool) {
	if len(s) > 120 {
		s = s[:120]
	}
	dash := -1
	for _, sep := range []string{" - ", " – ", " — ", " -- "} {
		if k := strings.Index(s, sep); k >= 0 && (dash < 0 || k < dash) {
			dash = k
		}
	}
	if dash < 3 {
		return "", false
	}
	head := s[:dash]
	place := head
	if k := strings.IndexAny(head, ",("); k >= 0 {
		place = head[:k]
	}
	place = strings.TrimSpace(place)
	if len(place) < 3 || strings.ToUpper(place) != place || !strings.ContainsFunc(place, unicode.IsLetter) {
		return "", false
	}
	return head, true
}
