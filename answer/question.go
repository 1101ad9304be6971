package answer

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval"
)

// Kind is what a question asks for, which decides how it is answered.
type Kind string

// Question kinds.
const (
	KindFact         Kind = "fact"         // a fact, possibly of an expected type (see AnswerType)
	KindYesNo        Kind = "yes/no"       // "Will US troops go to Ukraine?"
	KindList         Kind = "list"         // "Which leaders came to Washington?"
	KindOverview     Kind = "overview"     // "Summarize the meeting", "What happened in Alaska?"
	KindDisagreement Kind = "disagreement" // "Where do the sources disagree?"
	KindQuote        Kind = "quote lookup" // `Who said "you don't have to come"?`
)

// AnswerType is the type of thing a fact question expects as its answer.
type AnswerType string

// Expected answer types; TypeAny expects none in particular.
const (
	TypeAny          AnswerType = ""
	TypePerson       AnswerType = "person"
	TypePlace        AnswerType = "place"
	TypeOrganisation AnswerType = "organisation"
	TypeTime         AnswerType = "date or time"
	TypeDuration     AnswerType = "duration"
	TypeNumber       AnswerType = "number or amount"
)

// Question is what the composer understands of a question.
type Question struct {
	Text string
	Kind Kind
	// Want is the answer type a fact or list question expects.
	Want AnswerType
	// Content is the question without its question and type words ("how
	// long", "which city", "summarize"): the words evidence must match.
	Content string
	// Names are the names the question gives (runs of capitalised words
	// past its first), each as its words.
	Names [][]string
	// Quoted is the text a quote lookup asks about.
	Quoted string
}

var (
	askQuotedRE = regexp.MustCompile(`[“"‘']([^“”"]{8,})[”"’']`)
	quoteAskRE  = regexp.MustCompile(`(?i)^(?:(?:who|which|what)\b[^“"‘']{0,40}\b(?:said|says|say|wrote|write|quoted|line|quote|source|outlet|article|report)\b|where\b[^“"‘']{0,30}\b(?:from|come)\b|where\b[^“"‘']{0,30}[“"‘'][^“”"]{8,}[”"’'][^“"‘']{0,20}\b(?:from|come|comes|came|appear|appears|appeared)\b|(?:what is )?the source of\b)`)
	disagreeRE  = regexp.MustCompile(`(?i)\b(disagree\w*|differ\w*|contradict\w*|discrepanc\w*|inconsisten\w*)\b`)
	// agreeRE holds the words that ask about disagreement only when the
	// question is about the sources ("do the reports agree?", "any dispute
	// between outlets?"), not about the people in the news ("did Putin
	// agree to meet?", "the conflict in Ukraine").
	agreeRE    = regexp.MustCompile(`(?i)\b(agree|disput\w*|conflict\w*)\b`)
	sourcesRE  = regexp.MustCompile(`(?i)\b(sources?|reports|outlets?|articles|papers|newspapers|accounts|coverage|stories|media|versions)\b`)
	overviewRE = regexp.MustCompile(`(?i)^(please\s+)?(summari[sz]e|sum up|recap|brief me|catch me up|give me (a|an|the) (summary|overview|rundown|recap|brief)|(an? )?(summary|overview|rundown|recap) of|what (happened|is happening|'s happening|has happened)|what are the (main|key) (points|takeaways|facts)|(main|key) points|what'?s the latest|what is the latest|tell me about|what do (we|i) know about|((give|tell|show) me\s+)?(everything|all) (we know |you have |there is )?(on|about)|(what|how) (do|does|did|are|is) (the |all the )?(outlets|reports|articles|sources|papers|media|press|stories|news)( all)? (say|saying|report|reporting|write|writing|tell|cover|covering)|(what'?s|what is|give me) the (coverage|reporting|news|latest) (of|on|about)|fill me in|update me|bring me up to speed|((can|could|would) you\s+)?((give|tell|show) me|list|what are|what were)?\s*(the\s+)?((main|key|major|big|important)\s+)?(points|takeaways|highlights|developments))\b`)
	yesNoRE    = regexp.MustCompile(`(?i)^(is|are|was|were|do|does|did|will|would|can|could|has|have|had|should|may|might|must|isn't|aren't|didn't|doesn't|won't|hasn't|haven't)\b`)
	listRE     = regexp.MustCompile(`^(?i:which|what|who are the|name the|list the|list|who were the)\s+((?:[A-Z]\w+|\w+(?:an|ish|al|ese|ior|ary|ern|ing))\s+)?(\w+s)\b`)
	listVerbs  = termSet("is was has does us news")
)

// typeRules map a question's asking words to the answer type it expects;
// the first that matches wins. Their words are left out of Content.
var typeRules = []struct {
	re   *regexp.Regexp
	want AnswerType
}{
	{regexp.MustCompile(`(?i)\b(for\s+)?how\s+long\b|\bhow\s+(quickly|fast)\b|\bin\s+how\s+(much\s+time|many\s+(days|weeks|hours))\b|\bhow\s+many\s+(years|months|weeks|days|hours|minutes)\b|\bwhat\s+(duration|period)\b`), TypeDuration},
	{regexp.MustCompile(`(?i)\bhow\s+(much|many)\b|\bwhat\s+(number|amount|figure|sum|percentage|share|price|cost|value|total)\b|\bwhich\s+(number|amount|figure|sum|percentage)\b`), TypeNumber},
	{regexp.MustCompile(`(?i)\bwhen\b|\bhow\s+soon\b|\b(what|which)\s+(day|date|time|month|year|week|deadline)\b|\bby\s+when\b`), TypeTime},
	{regexp.MustCompile(`(?i)\bwhere\b|\b(what|which|in\s+which|in\s+what)\s+(city|country|countries|cities|place|places|location|locations|venue|capital|town|region|state|nation|nations)\b`), TypePlace},
	{regexp.MustCompile(`(?i)\b(what|which)\s+(company|companies|organi[sz]ation|organi[sz]ations|group|agency|firm|outlet|outlets|newspaper|team|teams|platform|startup|network|body|alliance|institution|publication|brand)\b|\bwhat\s+is\s+the\s+name\s+of\s+the\s+(company|organi[sz]ation|platform|firm|team|group)\b`), TypeOrganisation},
	{regexp.MustCompile(`(?i)\bwho\b|\bwhom\b|\bwhose\b|\b(which|what)\s+(person|people|individual|individuals|leader|leaders|official|officials|minister|ministers|player|players|executive|ceo|president|founder|envoy)\b|\bwhat\s+is\s+the\s+name\s+of\s+the\s+(person|individual)\b`), TypePerson},
}

// typeWords are words that name the kind of answer wanted, not what it is
// about: "which city", "how long", "what job". They do not count as content
// to match or to ground on.
var typeWords = termSet("how long much many when where who whom whose which what city cities country countries place location venue capital town region day date time month year week deadline duration period number amount figure sum percentage share price cost value total company companies organization organisation organizations firm outlet outlets newspaper platform startup person people individual name job title role position kind type exactly quickly fast soon")

// durationVerbRE matches the verbs with which a question asks how long
// something lasts.
var durationVerbRE = regexp.MustCompile(`(?i)\b(?:(?:go|goes|going|gone|went|drag|drags|dragged|dragging|carry|carried|carrying)\s+on|last|lasts|lasted|lasting|take|takes|took|taken|taking|continue|continues|continued|continuing|run|runs|ran|running)\b`)

// askWords open overview, disagreement and quote questions: they say what
// to do, not what about.
var askWords = termSet("summarize summarise summary sum up recap brief briefing catch overview rundown main key major important points takeaways highlights developments fill update speed show list happened happening latest tell know disagree disagreement differ different contradict conflict discrepancy inconsistent agree dispute disputed where please give")

// parseQuestion classifies q.
func parseQuestion(q string) Question {
	out := Question{Text: q, Kind: KindFact}
	content := withoutFraming(q)
	lower := strings.ToLower(strings.TrimSpace(content))
	if m := askQuotedRE.FindStringSubmatch(q); m != nil && quoteAskRE.MatchString(q) {
		out.Kind, out.Quoted = KindQuote, strings.TrimSpace(m[1])
	}
	switch {
	case out.Kind == KindQuote:
	case (disagreeRE.MatchString(lower) || agreeRE.MatchString(lower) && sourcesRE.MatchString(lower)) && !strings.HasPrefix(lower, "who ") && !strings.HasPrefix(lower, "which ") || strings.Contains(lower, "where do the") && strings.Contains(lower, "differ"):
		out.Kind = KindDisagreement
	case overviewRE.MatchString(lower):
		out.Kind = KindOverview
	case yesNoRE.MatchString(lower):
		out.Kind = KindYesNo
	}
	for _, r := range typeRules {
		if r.re.MatchString(q) {
			out.Want = r.want
			break
		}
	}
	if out.Want == TypeDuration {
		// "How long did the talks go on?": the verb asks for the
		// duration, like "how long"; it is not what is asked about.
		content = durationVerbRE.ReplaceAllString(content, " ")
	}
	if out.Kind == KindFact && isListQuestion(q) {
		out.Kind = KindList
	}
	// "Who is Karoline Leavitt?" asks what she is, not for a person.
	if out.Want == TypePerson && whoIsRE.MatchString(strings.TrimSpace(content)) {
		out.Want = TypeAny
	}
	var kept []string
	for _, w := range strings.Fields(content) {
		ts := retrieval.Analyze(w)
		drop := len(ts) > 0
		for _, t := range ts {
			if !typeWords[t] && !(out.Kind != KindFact && out.Kind != KindYesNo && out.Kind != KindList && askWords[t]) {
				drop = false
			}
		}
		if !drop {
			kept = append(kept, w)
		}
	}
	out.Content = strings.Join(kept, " ")
	out.Names = questionNames(q)
	return out
}

// whoIsRE finds "Who is Karoline Leavitt?", which asks what someone is,
// not for a person.
var whoIsRE = regexp.MustCompile(`(?i)^who\s+(is|was|are|were)\s+[A-Z]`)

// framingRE finds the words with which a long question frames its request
// rather than say what it is about: "can you tell me", "I need to know",
// "please", "according to the coverage", "for tomorrow's brief".
var framingRE = regexp.MustCompile(`(?i)\b(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?(?:tell|remind|show|give|let)\s+me|i\s+(?:need|want|would\s+like|'d\s+like|’d\s+like)\s+to\s+(?:know|find\s+out|check|understand)|according\s+to\s+(?:the\s+)?(?:coverage|articles?|reports?|stories|sources?|papers?)|for\s+(?:a|my|our|the|today's|today’s|tomorrow's|tomorrow’s)\s+(?:piece|story|brief|briefing|report|write-up|column|newsletter)(?:\s+on\s+the\s+\w+)?|please|actually|exactly|quickly|briefly)\b`)

// leadClauseRE finds a clause that sets a question up before a colon
// ("My editor wants the Hungarian angle: why might …?").
var leadClauseRE = regexp.MustCompile(`^[^:?]{8,}:[\s,]+(?i:(?:who|whom|whose|what|when|where|which|why|how|is|are|was|were|do|does|did|will|would|can|could|has|have|had)\b)`)

// withoutFraming returns q without the words that frame a request: the
// framing phrases, and a lead clause before a colon when a question
// follows it.
func withoutFraming(q string) string {
	q = strings.Join(strings.Fields(framingRE.ReplaceAllString(q, " ")), " ")
	if leadClauseRE.MatchString(q) {
		q = strings.TrimLeft(q[strings.Index(q, ":")+1:], " ,")
	}
	return q
}

// listVerbRE finds a request for a list in so many words: "List what …",
// "Enumerate the …".
var listVerbRE = regexp.MustCompile(`(?i)^(?:please\s+)?(?:list|enumerate|itemi[sz]e)\b`)

// isListQuestion reports a question asking for several things ("Which
// ministers spoke?"), also after a clause that sets it up ("Apart from
// troops, what kinds of help are offered?").
func isListQuestion(q string) bool {
	q = strings.TrimSpace(q)
	if listVerbRE.MatchString(q) {
		return true
	}
	for {
		if m := listRE.FindStringSubmatch(q); m != nil && !listVerbs[strings.ToLower(m[2])] && len(m[2]) > 3 {
			return true
		}
		i := strings.Index(q, ", ")
		if i < 0 {
			return false
		}
		q = q[i+2:]
	}
}

// questionNames returns the names a question gives: runs of capitalised
// words, leaving out its first word (capitalised as the start of a
// sentence) unless the second word continues the name.
func questionNames(q string) [][]string {
	words := strings.Fields(q)
	var out [][]string
	var cur []string
	flush := func() {
		// A lone capitalised common word ("TV", "American") is no name.
		if len(cur) > 0 && len(retrieval.Analyze(strings.Join(cur, " "))) > 0 && !(len(cur) == 1 && isCommonWord(cur[0])) {
			out = append(out, cur)
		}
		cur = nil
	}
	for i, w := range words {
		core := strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		r, _ := utf8.DecodeRuneInString(core)
		capital := core != "" && unicode.IsUpper(r) && core != "I"
		if i == 0 || !capital {
			flush()
			continue
		}
		cur = append(cur, core)
		if strings.ContainsAny(w[len(w)-1:], ",.?!;:") {
			flush()
		}
	}
	flush()
	return out
}
