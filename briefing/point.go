package briefing

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// What a point may be: a sentence that names whom it is about, not a photo
// caption, a credit or a byline, nor a line of a table.

// pronounRE matches a sentence that opens with a bare third-person pronoun
// ("She adds that…", "But they said…", "“He is…"): read alone, it does not
// say who.
var pronounRE = regexp.MustCompile(`^[\s“"‘'(\[]*(?:(?:But|And|Yet|So|Still|However|Now|Then|Instead|Meanwhile|Later|Also),?\s+)?(?:[Hh]e|[Ss]he|[Tt]hey|[Hh]is|[Hh]er|[Tt]heir|[Hh]im|[Tt]hem)\b`)

// opensWithPronoun reports a sentence that opens with a bare He, She, They
// (or His, Her, Their).
func opensWithPronoun(s string) bool { return pronounRE.MatchString(s) }

// captionRE matches photo captions and credits, also when the sentence
// splitter ran one into the next sentence ("Photo by X / Engadget The…").
var captionRE = regexp.MustCompile(`(?i)(?:\b(?:photograph|photo|picture|pic|image|illustration|credit|video|gif|source)s?\s*:\s|^\W*(?:photo|image|picture|illustration|gif|video)s?\s+(?:by|courtesy|credit)\b|getty\s+images|via\s+getty|\(getty\)|/\s*getty\b|\bap\s+photo\b|shutterstock|\bimage\s+credit|\bphoto\s+credit|^\W*courtesy\s+(?:of\s+)?\p{Lu})`)

// bylineRE matches bylines and contributor lines.
var bylineRE = regexp.MustCompile(`(?:^\W*By\s+\p{Lu}[\p{L}.'’-]*(?:\s+\p{Lu}[\p{L}.'’-]*){0,3}\s*(?:$|[,|/•–—(]|and\s+\p{Lu})|(?i)^\W*(?:additional\s+)?(?:reporting|writing|research)\s+by\b|(?i)^\W*(?:written|edited|compiled|produced|updated)\s+by\b|(?i)^\W*(?:follow|contact)\s+\S+(?:\s+\S+)?\s+(?:on|at|via)\s|(?i)\bis\s+an?\s+(?:[\w-]+\s+){0,3}(?:reporter|writer|journalist|columnist|correspondent|editor|contributor)\s+(?:at|for|with)\b)`)

// isCaptionOrByline reports a photo caption, credit or byline; author is
// the article's author, whose name alone (or with a date or role) is a
// byline too.
func isCaptionOrByline(s, author string) bool {
	if mayBeCaption(s) && (captionRE.MatchString(s) || bylineRE.MatchString(s)) {
		return true
	}
	author = collapse(author)
	if author == "" {
		return false
	}
	s = collapse(s)
	return len(strings.Fields(s)) <= len(strings.Fields(author))+6 && strings.HasPrefix(strings.ToLower(s), strings.ToLower(author))
}

// mayBeCaption is a cheap test that every caption, credit or byline the
// expressions above match passes: a caption word before a colon, a credit
// phrase, a byline's opening word or a contributor's role.
func mayBeCaption(s string) bool {
	l := strings.ToLower(s)
	if strings.Contains(l, ":") {
		for _, w := range []string{"photo", "picture", "pic", "image", "illustration", "credit", "video", "gif", "source"} {
			if strings.Contains(l, w) {
				return true
			}
		}
	}
	for _, w := range []string{"getty", "shutterstock", "courtesy", "ap photo", "photo by", "photos by", "image by", "images by",
		"picture by", "video by", "gif by", "illustration by", "photo credit", "image credit", "photo courtesy", "image courtesy"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	l = strings.TrimLeftFunc(l, func(r rune) bool { return !unicode.IsLetter(r) })
	for _, w := range []string{"by ", "additional ", "reporting ", "writing ", "research ", "written ", "edited ", "compiled ", "produced ", "updated ", "follow ", "contact "} {
		if strings.HasPrefix(l, w) {
			return true
		}
	}
	return strings.Contains(l, " is a") && strings.ContainsAny(l, "rt") &&
		(strings.Contains(l, "reporter") || strings.Contains(l, "writer") || strings.Contains(l, "journalist") ||
			strings.Contains(l, "columnist") || strings.Contains(l, "correspondent") || strings.Contains(l, "editor") ||
			strings.Contains(l, "contributor"))
}

// isTableLine reports a "sentence" that is a row of figures and codes
// ("Age: 26 • Experience: 5 yrs. MATCHUP @ DET DET -10 O/U 45 …"): many
// tokens in capitals, bullets or bare numbers.
func isTableLine(s string) bool {
	if strings.Contains(s, "•") {
		return true
	}
	words := strings.Fields(s)
	odd := 0
	for _, w := range words {
		w = strings.Trim(w, `.,;:()"“”‘’'`)
		if w == "" {
			continue
		}
		letters, upper, digits := 0, 0, 0
		for _, r := range w {
			switch {
			case unicode.IsLetter(r):
				letters++
				if unicode.IsUpper(r) {
					upper++
				}
			case unicode.IsDigit(r):
				digits++
			}
		}
		if letters >= 2 && upper == letters || digits > 0 && letters == 0 && !strings.ContainsAny(w, "$£€%") {
			odd++
		}
	}
	return len(words) >= 8 && float64(odd) > 0.25*float64(len(words))
}

// names holds the capitalised names an article gives: every run of two or
// more capitalised words ("Karoline Leavitt", "Friedrich Merz") and the
// last word of each, which the article may use alone ("Leavitt").
type names struct {
	surnames map[string]bool
}

// nameRuns returns the runs of two or more adjacent capitalised words of
// s ("Karoline Leavitt", "Friedrich Merz"); punctuation after a word, a
// possessive, an acronym or a common word ends a run.
func nameRuns(s string) [][]string {
	var out [][]string
	var run []string
	flush := func() {
		if len(run) >= 2 {
			out = append(out, run)
		}
		run = nil
	}
	for _, f := range strings.Fields(s) {
		w := strings.TrimLeft(f, `"“‘'([`)
		if w != f {
			flush() // an opening quotation mark or bracket starts afresh
		}
		end := strings.TrimRightFunc(w, func(r rune) bool { return !unicode.IsLetter(r) })
		possessive := strings.HasSuffix(end, "’s") || strings.HasSuffix(end, "'s")
		core := strings.TrimSuffix(strings.TrimSuffix(end, "’s"), "'s")
		r, _ := utf8.DecodeRuneInString(core)
		if utf8.RuneCountInString(core) < 2 || !unicode.IsUpper(r) || commonOpener[strings.ToLower(core)] || isAcronym(core) {
			flush()
			continue
		}
		run = append(run, core)
		if possessive || end != w {
			flush() // punctuation or a possessive ends the name
		}
	}
	flush()
	return out
}

func newNames(texts []string) names {
	n := names{surnames: map[string]bool{}}
	for _, t := range texts {
		for _, run := range nameRuns(t) {
			n.surnames[run[len(run)-1]] = true
		}
	}
	return n
}

// namesSomeone reports a sentence that names a person or a body the next
// sentence's pronoun can stand for: a run of capitalised words, or a
// surname the article gives elsewhere with the first name.
func (n names) namesSomeone(s string) bool {
	if len(nameRuns(s)) > 0 {
		return true
	}
	for _, f := range strings.Fields(s) {
		w := strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) })
		if n.surnames[strings.TrimSuffix(strings.TrimSuffix(w, "’s"), "'s")] {
			return true
		}
	}
	return false
}

// isAcronym reports a word in capitals ("US", "NATO"): an organisation or
// a country, not a person's name.
func isAcronym(w string) bool {
	for _, r := range w {
		if unicode.IsLower(r) {
			return false
		}
	}
	return true
}

// commonOpener are capitalised words that open sentences without naming
// anyone.
var commonOpener = map[string]bool{"the": true, "a": true, "an": true, "this": true, "that": true, "these": true, "those": true,
	"it": true, "in": true, "on": true, "at": true, "as": true, "but": true, "and": true, "or": true, "of": true, "for": true,
	"he": true, "she": true, "they": true, "his": true, "her": true, "their": true, "we": true, "i": true, "you": true}

// Headlines: a phrase or a sentence of its own, never cut in the middle.

// clauseRE matches where a sentence's main clause may end: before a
// subordinate clause, a participle phrase or an attribution, or at strong
// punctuation.
var clauseRE = regexp.MustCompile(`(?:,\s+(?:while|which|who|whom|whose|as|after|before|when|although|though|but|amid|despite|according|saying|says|said|adding|with|including|where|because|since|if|unless|until|even|following|prompting|setting|taking|sparking|leaving|making|aiming|hoping|citing|noting|calling|urging|in\s+a|in\s+an|in\s+the|\p{Ll}+ing)\b|\s+(?:if|while|after|because|although|though|as\s+part\s+of|amid|despite|following|before)\s+|\s*[;:]\s+|\s+[–—-]\s+|\.\s+|[?!]\s+|\s+\|\s+)`)

// danglingRE matches a word a phrase does not end on.
var danglingRE = regexp.MustCompile(`(?i)(?:^|\s)(?:the|a|an|of|for|to|and|or|with|from|at|that|his|her|their|its|by|as|in|on)$`)

// minClauseWords is the least number of words of a leading clause taken
// as a headline.
const minClauseWords = 6

// lowerWords counts the words of s that start in lower case: a clause has
// some ("Trump rules out troops"), a bare name has none ("German
// Chancellor Friedrich Merz").
func lowerWords(s string) int {
	n := 0
	for _, w := range strings.Fields(s) {
		if r, _ := utf8.DecodeRuneInString(w); unicode.IsLower(r) {
			n++
		}
	}
	return n
}

// abbreviated reports text ending on a word that a full stop after it
// abbreviates: shorter than three letters, or with a full stop inside.
func abbreviated(text string) bool {
	i := strings.LastIndexAny(text, " \t\n(")
	w := text[i+1:]
	if strings.Contains(w, ".") {
		return true
	}
	if utf8.RuneCountInString(w) < 3 {
		return true
	}
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r) && utf8.RuneCountInString(w) <= 3 // "Inc", "Gen"
}

// wholePhrase reports a headline candidate that stands on its own: at least
// minWords words, quotation marks and brackets balanced, not ending on a
// dangling word.
func wholePhrase(s string, minWords int) bool {
	if len(strings.Fields(s)) < minWords || danglingRE.MatchString(s) {
		return false
	}
	if strings.Count(s, "“") != strings.Count(s, "”") || strings.Count(s, "(") != strings.Count(s, ")") ||
		strings.Count(s, `"`)%2 != 0 || strings.Count(s, "[") != strings.Count(s, "]") {
		return false
	}
	return true
}

// headlineOf makes a headline of text (a title or a sentence) of at most
// limit bytes: the whole text when it fits, else its longest leading
// clause that fits and stands on its own, else the same of the text
// without its opening phrase ("Following talks at the White House, …").
// ok is false when there is none; text is then returned whole, never cut.
func headlineOf(text string, limit int) (string, bool) {
	h, ok := clauseHeadline(text, limit)
	if ok {
		return h, true
	}
	if rest, found := withoutIntro(text); found {
		if h2, ok2 := clauseHeadline(rest, limit); ok2 {
			return h2, true
		}
	}
	return h, false
}

// introWords open an adverbial phrase before a sentence's subject.
var introWords = map[string]bool{"following": true, "after": true, "before": true, "on": true, "in": true, "at": true,
	"during": true, "despite": true, "amid": true, "while": true, "when": true, "as": true, "with": true, "since": true,
	"earlier": true, "later": true, "meanwhile": true, "however": true, "but": true, "yet": true, "still": true,
	"previously": true, "separately": true, "speaking": true, "asked": true, "according": true, "by": true, "for": true}

// opensWithIntro reports text that opens with an adverbial or participle
// phrase rather than its subject.
func opensWithIntro(text string) bool {
	first, _, _ := strings.Cut(strings.TrimLeft(text, `"“‘'(`), " ")
	first = strings.ToLower(strings.TrimRight(first, ","))
	return introWords[first] || strings.HasSuffix(first, "ing") || strings.HasSuffix(first, "ly")
}

// withoutIntro returns text without its opening phrase, up to the first
// comma, when it opens with one; the rest starts with a capital.
func withoutIntro(text string) (string, bool) {
	text = collapse(text)
	if !opensWithIntro(text) {
		return "", false
	}
	i := strings.Index(text, ", ")
	if i < 0 || i > 100 || len(strings.Fields(text[:i])) < 2 {
		return "", false
	}
	if strings.ContainsAny(text[:i], `"“‘`) {
		return "", false // the comma is inside a quotation
	}
	rest := text[i+2:]
	if r, _ := utf8.DecodeRuneInString(rest); !unicode.IsUpper(r) {
		return "", false // not the subject: "…, and perhaps provide…"
	}
	return rest, true
}

func clauseHeadline(text string, limit int) (string, bool) {
	text = strings.TrimSpace(collapse(text))
	whole := strings.TrimRight(strings.TrimSuffix(text, "."), " ")
	if len(whole) <= limit {
		return whole, whole != "" && wholePhrase(whole, 1)
	}
	if opensWithIntro(text) {
		return whole, false // its leading clause is the opening phrase
	}
	// The first sentence of the text when it fits; else its first clause
	// that ends at a comma or a dash, else at a bare conjunction.
	best, weak := "", ""
	for _, m := range clauseRE.FindAllStringIndex(text, -1) {
		if m[0] > limit {
			break
		}
		sep := strings.TrimSpace(text[m[0]:m[1]])
		cand := strings.TrimRight(text[:m[0]], " ,;:–—-")
		isEnd := sep == "." || sep == "?" || sep == "!"
		if sep == "." && abbreviated(text[:m[0]]) {
			continue // "vs.", "U.S.", "Mr."
		}
		if isEnd {
			cand = strings.TrimSuffix(strings.TrimSpace(text[:m[1]]), ".") // keep a question or exclamation mark
		}
		if len(cand) > limit || !wholePhrase(cand, minClauseWords) || lowerWords(cand) < 2 {
			continue
		}
		switch {
		case isEnd:
			best = cand // the longest first sentences that fit
		case best == "" && strings.ContainsAny(text[m[0]:m[1]], ",;:–—|"):
			best = cand
		case weak == "":
			weak = cand
		}
	}
	if best == "" {
		best = weak
	}
	if best == "" {
		return whole, false
	}
	return best, true
}
