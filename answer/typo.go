package answer

import (
	"strings"
	"unicode"

	"github.com/briefbot/briefbot/quote"
	"github.com/briefbot/briefbot/retrieval"
)

// askingWords are the words questions are made of; a misspelling of one
// ("wat", "mcuh") is corrected to it.
var askingWords = strings.Fields("what which where when who whom whose why how much many long city country countries place summit said say did does the")

// maxTypoWords is the longest question corrected: a longer one has words
// enough to be understood as it is, and its rare words are more likely
// names than misspellings.
const maxTypoWords = 20

// correctTypos returns q with each word that no article holds (and that is
// no stop word nor common English word) replaced by the one word, among the asking words and the
// words of the retrieved passages, that is one edit or one swap of
// neighbouring letters away; ok is false when nothing was changed. Words
// shorter than three letters and capitalised words (names, checked
// elsewhere) are left alone.
func (c *Composer) correctTypos(q string, hits []retrieval.Hit) (string, bool) {
	words := strings.Fields(q)
	if len(words) > maxTypoWords {
		return q, false
	}
	maxIDF := c.index.IDF("\x00absent")
	var vocab map[string]int
	changed := false
	for i, w := range words {
		core := strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) })
		if len(core) < 3 || unicode.IsUpper([]rune(core)[0]) || strings.ContainsFunc(core, func(r rune) bool { return !unicode.IsLetter(r) }) {
			continue
		}
		ts := retrieval.Analyze(core)
		if len(ts) == 0 || c.index.IDF(ts[0]) < maxIDF || isCommonWord(core) || c.knownForm(ts[0], maxIDF) {
			continue
		}
		if vocab == nil {
			vocab = passageWords(hits)
		}
		best, bestN := "", 0
		for _, a := range askingWords {
			if closeSpelling(core, a) {
				best, bestN = a, 1<<30
				break
			}
		}
		if best == "" && len(core) >= 4 {
			for v, n := range vocab {
				if n > bestN && closeSpelling(core, v) {
					best, bestN = v, n
				}
			}
		}
		if best == "" {
			best = splitJoined(core, vocab)
		}
		if best != "" {
			words[i] = strings.Replace(w, core, best, 1)
			changed = true
		}
	}
	return strings.Join(words, " "), changed
}

// passageWords counts the lower-case words of the passages, and the pairs
// of words that stand next to each other ("white house").
func passageWords(hits []retrieval.Hit) map[string]int {
	out := map[string]int{}
	for _, h := range hits {
		prev := ""
		for _, w := range strings.FieldsFunc(h.Chunk.Text, func(r rune) bool { return !unicode.IsLetter(r) }) {
			w = strings.ToLower(w)
			if len(w) >= 3 {
				out[w]++
			}
			if prev != "" {
				out[prev+" "+w]++
			}
			prev = w
		}
	}
	return out
}

// closeSpelling reports words one edit apart, or the same but for two
// neighbouring letters swapped ("ukriane", "ukraine").
func closeSpelling(a, b string) bool {
	if a == b || len(b) < 3 {
		return false
	}
	if quote.OneEdit(a, b) {
		return true
	}
	if len(a) != len(b) {
		return false
	}
	for i := 0; i+1 < len(a); i++ {
		if a[i] != b[i] {
			return a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
		}
	}
	return false
}

// splitJoined returns two words, each of three letters or more, that
// written together make w and that the passages write next to each other
// ("whitehouse": "white house"), or "" when there are none. vocab counts
// the passages' words and pairs of words (see passageWords); the most
// frequent pair wins.
func splitJoined(w string, vocab map[string]int) string {
	lower := strings.ToLower(w)
	best, bestN := "", 0
	for i := 3; i <= len(lower)-3; i++ {
		pair := lower[:i] + " " + lower[i:]
		if n := vocab[pair]; n > bestN {
			best, bestN = pair, n
		}
	}
	return best
}

// knownForm reports whether term is a form or paraphrase the composer knows
// of a word that is common English or in the articles ("sent" for "send",
// "deploy"): a real word the articles do not use, not a misspelling.
func (c *Composer) knownForm(term string, maxIDF float64) bool {
	for _, alt := range paraphrases[term] {
		if commonWords[alt] || c.index.IDF(alt) < maxIDF {
			return true
		}
	}
	return false
}
