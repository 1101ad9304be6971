package answer

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval"
)

// Capabilities says what the bot can answer; replies to input that is not
// a question about the articles end with it.
const Capabilities = "I answer questions about the articles with quotes from them: who, what, when, where, how long or how many; yes/no questions; summaries (“Summarize the talks”); where the sources disagree; and who said a line (“Who said ‘…’?”)."

var (
	thanksRE   = regexp.MustCompile(`(?i)^(thanks?( you)?( very much| so much| a lot)?|thx|ty|cheers|great|ok(ay)?|cool|nice|perfect|got it|good|understood|appreciated?)[.! ]*$`)
	greetingRE = regexp.MustCompile(`(?i)^(hi|hello|hey|good (morning|afternoon|evening)|yo|hiya)( there)?[.! ]*$`)
	helpRE     = regexp.MustCompile(`(?i)^(help|what can you do|what do you do|how do(es)? (this|it|you) work)[?.! ]*$`)
	bareWhRE   = regexp.MustCompile(`(?i)^(why|how|what|who|when|where|which|really|huh|and|so|and then|what else|how so|why not|meaning)[?!. ]*$`)
	whStartRE  = regexp.MustCompile(`(?i)^(who|whom|whose|what|when|where|which|why|how|is|are|was|were|do|does|did|will|would|can|could|has|have|had|should|summari[sz]e|list|name|tell|give|brief)\b`)
)

// reply answers input that is no question about the articles: thanks, a
// greeting, a bare "why?", a single word or words that match nothing in
// the articles. ok is false for a real question. The reply is never a
// quote: it says what the bot can answer or asks what the user means.
func (c *Composer) reply(q string, history []Turn) (text string, ok bool) {
	t := strings.TrimSpace(q)
	switch {
	case thanksRE.MatchString(t):
		return "You're welcome. Ask me anything else about the articles. " + Capabilities, true
	case smallTalk(t):
		// "ok thanks", "got it, thank you", "nice one": no question.
		return "Glad to help. Ask me anything else about the articles. " + Capabilities, true
	case greetingRE.MatchString(t):
		return fmt.Sprintf("Hello. %s", Capabilities), true
	case helpRE.MatchString(t):
		return Capabilities, true
	case bareWhRE.MatchString(t):
		prev := lastQuestion(history)
		if prev != "" {
			return fmt.Sprintf("Could you ask the whole question, naming who or what you mean? You asked before: “%s”", prev), true
		}
		return "Could you say what you would like to know? " + Capabilities, true
	}
	terms := retrieval.Analyze(t)
	if len(terms) == 0 && lastQuestion(history) != "" && refersBack(t) {
		// "why there?", "who said that?": a follow-up on the question
		// before, answered with its topic.
		return "", false
	}
	if len(terms) == 0 || len([]rune(strings.Trim(t, "?!.,;: "))) < 3 {
		return "Could you say what you would like to know? " + Capabilities, true
	}
	maxIDF := c.index.IDF("\x00absent")
	known := 0
	for _, term := range terms {
		if c.index.IDF(term) < maxIDF {
			known++
		}
	}
	if known == 0 && len(questionNames(t)) == 0 && !whStartRE.MatchString(t) {
		return "I couldn't match that to anything in the articles. " + Capabilities, true
	}
	if len(strings.Fields(t)) == 1 && !whStartRE.MatchString(t) && len(history) == 0 {
		w := strings.Trim(t, "?!.,;:")
		return fmt.Sprintf("What would you like to know about %s? For example “What happened with %s?”, “Who said what about %s?” or “Where do the sources disagree on %s?”", w, w, w, w), true
	}
	return "", false
}

// lastQuestion is the latest user turn of history, or "".
func lastQuestion(history []Turn) string {
	for i := len(history) - 1; i >= 0; i-- {
		if history[i].Role == "user" && strings.TrimSpace(history[i].Text) != "" {
			return history[i].Text
		}
	}
	return ""
}

// refersBackRE finds the words with which a follow-up points at what was
// said before: there, then, that, he, she, they and the like.
var refersBackRE = regexp.MustCompile(`(?i)\b(there|then|that|this|those|these|he|she|they|him|her|them|it|his|their)\b`)

// refersBack reports input that points back at the conversation ("why
// there?").
func refersBack(t string) bool { return refersBackRE.MatchString(t) }

// smallTalkWords are the words of acknowledgements, thanks and filler
// ("ok thanks", "great, cheers", "got it, thank you", "nice one"). Input
// made of these words alone asks nothing.
var smallTalkWords = wordSet(`ok okay k kk thanks thank thankyou thx ty tysm cheers ta
you u very much so a lot lots many loads all again for the this that that's thats it its it's
great good nice cool perfect fine grand lovely brilliant excellent super superb awesome
fantastic wonderful amazing helpful useful neat sweet splendid terrific
got gotcha understood understand see noted roger fair enough right alright all-right
appreciate appreciated appreciation much-appreciated kind kindly
one job work stuff info information answer answers help helps helped
makes make sense sounds seems looks will do does
yes yeah yep yup sure indeed absolutely no nope nah
oh ah aha hmm hm mm wow well oki okie
hi hello hey morning afternoon evening there
mate buddy folks guys bot briefbot
now i i'm im we and then done please lol haha ha`)

// ackWords are the small-talk words that carry an acknowledgement or
// thanks: input of small-talk words holds at least one.
var ackWords = wordSet(`ok okay k kk thanks thank thankyou thx ty tysm cheers ta
great good nice cool perfect fine grand lovely brilliant excellent super superb awesome
fantastic wonderful amazing helpful useful neat sweet splendid terrific
got gotcha understood noted roger alright appreciate appreciated much-appreciated
yes yeah yep yup sure nope nah wow bravo grateful thankful`)

// wordSet builds a set of lower-case words from a white-space list.
func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// chatWords splits input into lower-case words: letters, digits,
// apostrophes (folded to ') and inner hyphens.
func chatWords(s string) []string {
	s = strings.NewReplacer("’", "'", "‘", "'").Replace(strings.ToLower(s))
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '-'
	})
}

// smallTalk reports input made only of small-talk words, at least one of
// them an acknowledgement or thanks: it asks nothing of the articles.
func smallTalk(s string) bool {
	words := chatWords(s)
	ack := false
	for _, w := range words {
		w = strings.Trim(w, "'-")
		if w == "" {
			continue
		}
		if !smallTalkWords[w] {
			return false
		}
		ack = ack || ackWords[w]
	}
	return ack
}

// courtesyPrefix strips the small talk before a real question ("thanks,
// and who is Rutte?" asks "who is Rutte?"): a leading run of small-talk
// words closed by punctuation, and a connective ("and", "so", "now") after
// it. Input that is small talk as a whole is returned unchanged.
func courtesyPrefix(q string) string {
	m := courtesyRE.FindStringSubmatchIndex(q)
	if m == nil || smallTalk(q) || !smallTalk(q[m[2]:m[3]]) {
		return q
	}
	rest := strings.TrimSpace(q[m[1]:])
	if rest == "" || smallTalk(rest) {
		return q
	}
	r, size := utf8.DecodeRuneInString(rest)
	return string(unicode.ToUpper(r)) + rest[size:]
}

// courtesyRE matches a leading run of words closed by a comma, full stop,
// exclamation mark, semicolon or dash, with the connective after it.
var courtesyRE = regexp.MustCompile(`(?i)^\s*([\pL'’ -]{1,60}?)\s*[,.!;:–—]+\s*(?:(?:and|so|now|but|also)\b[,]?\s*)?`)
