package answer

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval"
)

const numberWord = `(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|several|a few|few|many|a couple of|dozens of|hundreds of|thousands of)`

var (
	durationRE = regexp.MustCompile(`(?i)\b` + numberWord + `[\s-]+(?:(?:full|long|more|straight)\s+)?(?:years?|months?|weeks?|days?|hours?|minutes?|decades?|centuries)\b|\b(?:for|over|since|past)\s+(?:years|months|weeks|decades|days)\b|\byear-long\b`)
	timeRE     = regexp.MustCompile(`(?i)\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|june|july|august|september|october|november|december|jan|feb|aug|sept|oct|nov|dec|today|tonight|yesterday|tomorrow|weekend|morning|afternoon|evening|overnight|soon|shortly|later|earlier|recently|month's end|month’s end|end of the month|next week|last week|this week|next month|last month|this month|within (?:days|weeks|two weeks|a week|a month)|in (?:the )?(?:coming|next) (?:days|weeks|months))\b|\b(?:19|20)\d\d\b|\b\d{1,2}(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.)`)
	numberRE   = regexp.MustCompile(`(?i)[$€£]\s?\d|\b\d+(?:[.,]\d+)*\s?(?:%|per ?cent|bn|billion|million|m\b|trillion|k\b)|\b\d+(?:[.,]\d+)*\b|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|dozens|hundreds|thousands|millions|billions)\b`)
	placeRE    = regexp.MustCompile(`\b(?:in|at|to|from|near|host(?:ed)?\s+(?:by|in)|outside|across|inside|visit(?:ed|ing)?)\s+(?:the\s+)?([A-Z][\p{L}’'-]+)`)
	orgRE      = regexp.MustCompile(`\b(?:[A-Z][A-Z&]{1,6}|[A-Z][\p{L}]+(?:\s+[A-Z][\p{L}]+)*\s+(?:Inc|Corp|Ltd|Group|Council|Commission|Ministry|Agency|Office|House|Union|Party|Court|Bank|Fund|Company|Association|Organisation|Organization|News|Times|Post|Journal|Network|League|Club|Sportsbook|Labs|Institute|University|Department|Kremlin))\b|\b(?:the\s+)?(?:Kremlin|Pentagon|Nato|NATO|EU|UN|OpenAI|Google|Amazon|Apple|Meta|Microsoft)\b`)
)

// holdsType reports whether text holds an instance of want that is new to
// the question: a duration, a time, a number, or a name (person, place,
// organisation) none of whose terms the question already uses.
func holdsType(text string, want AnswerType, asked map[string]bool) bool {
	switch want {
	case TypeDuration:
		return durationRE.MatchString(text)
	case TypeTime:
		for _, m := range timeRE.FindAllString(text, -1) {
			if !termsAsked(m, asked) {
				return true
			}
		}
		return false
	case TypeNumber:
		for _, m := range numberRE.FindAllString(text, -1) {
			if isYear(strings.TrimSpace(m)) {
				continue
			}
			if !termsAsked(m, asked) {
				return true
			}
		}
		return false
	case TypePlace:
		for _, m := range placeRE.FindAllStringSubmatch(text, -1) {
			if !termsAsked(m[1], asked) && !weekdayOrMonth(m[1]) {
				return true
			}
		}
		return false
	case TypeOrganisation:
		for _, m := range orgRE.FindAllString(text, -1) {
			if !termsAsked(m, asked) {
				return true
			}
		}
		return false
	case TypePerson:
		// A name whose surname the question uses is someone it already
		// names ("Volodymyr Zelenskyy" for "Zelenskyy").
		for _, n := range properNames(text) {
			if ts := retrieval.Analyze(n); len(ts) > 0 && !asked[ts[len(ts)-1]] {
				return true
			}
		}
		return false
	}
	return false
}

// enumerationRE finds a run of capitalised names separated by commas and
// "and": "Russia, the People’s Republic of China, the United States,
// France, and the United Kingdom".
var enumerationRE = regexp.MustCompile(`(?:(?:the\s+)?\p{Lu}[\p{L}’'.-]*(?:\s+(?:of\s+|and\s+)?\p{Lu}[\p{L}’'.-]*){0,3}\s*,\s*(?:and\s+)?){2,}(?:the\s+)?\p{Lu}`)

// holdsItems reports whether text names at least three things in a row,
// as a list's answer does; the names must be new to the question.
func holdsItems(text string, asked map[string]bool) bool {
	for _, m := range enumerationRE.FindAllString(text, -1) {
		if !termsAsked(m, asked) {
			return true
		}
	}
	return false
}

// termsAsked reports a span all of whose analysed terms the question uses.
func termsAsked(span string, asked map[string]bool) bool {
	ts := retrieval.Analyze(span)
	if len(ts) == 0 {
		return true
	}
	for _, t := range ts {
		if !asked[t] {
			return false
		}
	}
	return true
}

func weekdayOrMonth(w string) bool {
	return timeRE.MatchString(w)
}

// properNames returns the runs of two or more capitalised words in text
// past its first word that can name a person: "Karoline Leavitt",
// "Friedrich Merz". A run after "the" names a thing or a place ("the
// United States", "the White House"), not a person.
func properNames(text string) []string {
	words := strings.Fields(text)
	var out []string
	var cur []string
	thing := false
	flush := func() {
		if len(cur) >= 2 && !thing {
			out = append(out, strings.Join(cur, " "))
		}
		cur, thing = nil, false
	}
	for i, w := range words {
		core := strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) })
		r, _ := utf8.DecodeRuneInString(core)
		if i == 0 || core == "" || !unicode.IsUpper(r) {
			flush()
			continue
		}
		if len(cur) == 0 && i > 0 && strings.EqualFold(words[i-1], "the") {
			thing = true
		}
		cur = append(cur, core)
		if last, _ := utf8.DecodeLastRuneInString(w); !unicode.IsLetter(last) {
			flush()
		}
	}
	flush()
	return out
}

// capitalised returns the analysed terms of the capitalised words of text
// past its first word: the names a following "She adds ..." may stand for.
func capitalised(text string) []string {
	var words []string
	for i, w := range strings.Fields(text) {
		core := strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) })
		r, _ := utf8.DecodeRuneInString(core)
		if i == 0 || core == "" || !unicode.IsUpper(r) {
			continue
		}
		words = append(words, core)
	}
	if len(words) == 0 {
		return nil
	}
	return retrieval.Analyze(strings.Join(words, " "))
}

// newNames counts the capitalised words of text past its first that the
// question does not use: the items a list question may collect.
func newNames(text string, asked map[string]bool) int {
	n := 0
	for _, t := range capitalised(text) {
		if !asked[t] && !timeRE.MatchString(t) {
			n++
		}
	}
	return n
}
