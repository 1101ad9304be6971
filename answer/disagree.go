package answer

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/retrieval"
)

// disagreement is a fact two articles report differently.
type disagreement struct {
	kind  string // "figure" or "title"
	about string
	sides []disSide
	// shared counts the context words a figure's two sides share.
	shared int
}

type disSide struct {
	cand *candidate
	says string // verbatim part of the candidate's sentence
}

// findDisagreements looks, among the relevant candidates, for articles that
// give the same fact differently: a different figure in the same context, or
// a different title for the same person. At least one side must be among the
// chosen sentences, or the person must be asked about.
func findDisagreements(cands, chosen []*candidate, qt []weightedTerm) []disagreement {
	if len(cands) == 0 {
		return nil
	}
	best := cands[0].score
	var pool []*candidate
	for _, cd := range cands {
		if cd.score >= 0.35*best && len(pool) < 25 {
			pool = append(pool, cd)
		}
	}
	asked := map[string]bool{}
	for _, t := range qt {
		asked[t.term] = true
	}
	var out []disagreement
	seen := map[string]bool{}
	add := func(d disagreement) {
		key := d.kind + "|" + strings.ToLower(d.about)
		for _, s := range d.sides {
			key += "|" + strings.ToLower(s.says)
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, d)
		}
	}
	for i, a := range pool {
		for _, b := range pool[i+1:] {
			if a.art.ID == b.art.ID {
				continue
			}
			relevant := containsCand(chosen, a) || containsCand(chosen, b)
			if relevant {
				for _, d := range figureConflicts(a, b) {
					add(d)
				}
			}
			for _, d := range titleConflicts(a, b) {
				if relevant || asked[lastTerm(d.about)] {
					add(d)
				}
			}
		}
	}
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

func lastTerm(name string) string {
	ts := retrieval.Analyze(name)
	if len(ts) == 0 {
		return ""
	}
	return ts[len(ts)-1]
}

// figure is a number with its unit in a sentence.
type figure struct {
	text    string            // verbatim
	value   string            // normalised: "$100bn"
	class   string            // "money", "percent", "time", or "count:<noun>"
	context map[string]string // analysed term -> the word it came from
}

var figureRE = regexp.MustCompile(`(?i)(?:(?:US|A|C)?[$€£]\s?)?\d+(?:[.,]\d+)*(?:\s?(?:bn|billion|mn|million|trillion|tn|per ?cent|percent)\b|\s?%|(?:m|k)\b)?`)

var timeUnits = map[string]bool{"second": true, "minut": true, "minute": true, "hour": true, "day": true, "week": true, "month": true, "year": true}

// figures finds the figures of a sentence, leaving out years and numbers
// that are part of a name ("Article 5", "World War 2").
func figures(s string) []figure {
	var out []figure
	for _, loc := range figureRE.FindAllStringIndex(s, -1) {
		text := strings.TrimSpace(s[loc[0]:loc[1]])
		if text == "" {
			continue
		}
		before := wordsBefore(s[:loc[0]], 4)
		after := wordsAfter(s[loc[1]:], 6)
		lower := strings.ToLower(text)
		money := strings.ContainsAny(text, "$€£") || hasAnySuffix(lower, "bn", "billion", "mn", "million", "trillion", "tn")
		if !money && hasAnySuffix(lower, "m", "k") {
			continue // "5m" without a currency: metres, a name; not a figure
		}
		percent := hasAnySuffix(lower, "%", "cent", "percent")
		if !money && !percent {
			if isYear(text) {
				continue
			}
			if len(before) > 0 && startsUpper(before[len(before)-1]) && !strings.HasSuffix(before[len(before)-1], ",") {
				continue // "Article 5", "Level 3"
			}
		}
		// A figure glued to a word ("5-like", "24/7", "3-year-long") is part
		// of a phrase, not a quantity.
		if loc[1] < len(s) {
			if r, _ := utf8.DecodeRuneInString(s[loc[1]:]); r == '-' || r == '/' || unicode.IsLetter(r) {
				if !money && !percent {
					continue
				}
			}
		}
		f := figure{text: text, value: normFigure(lower), context: map[string]string{}}
		switch {
		case money:
			f.class = "money"
		case percent:
			f.class = "percent"
		default:
			next := retrieval.Analyze(strings.Join(after, " "))
			if len(next) == 0 {
				continue
			}
			if timeUnits[next[0]] || timeUnits[strings.TrimSuffix(next[0], "s")] {
				f.class = "time"
			} else {
				f.class = "count:" + next[0]
			}
			// A count keeps its noun ("8 posts"), a time its unit
			// ("six hours"): the number alone says nothing.
			if unit := strings.TrimRight(after[0], ".,;:!?)”\"’"); unit != "" && len(retrieval.Analyze(unit)) > 0 && strings.HasPrefix(s[loc[1]:], " "+unit) {
				f.text = text + " " + unit
			}
		}
		for _, w := range append(before, after...) {
			for _, t := range retrieval.Analyze(w) {
				if !isNumeric(t) {
					f.context[t] = strings.Trim(w, ".,;:!?()“”\"'‘’")
				}
			}
		}
		out = append(out, f)
	}
	return out
}

func figureConflicts(a, b *candidate) []disagreement {
	fa, fb := figures(a.text()), figures(b.text())
	var out []disagreement
	for _, x := range fa {
		for _, y := range fb {
			if x.class != y.class || x.value == y.value {
				continue
			}
			// The other side must not also give this figure.
			if hasFigure(fb, x.value) || hasFigure(fa, y.value) {
				continue
			}
			shared := sharedTerms(x.context, y.context)
			if len(shared) < 2 && !(len(shared) == 1 && jaccard(a.set, b.set) >= 0.15) {
				continue
			}
			out = append(out, disagreement{
				kind:   "figure",
				about:  figureLabel(a.text(), x, y),
				shared: len(shared),
				sides:  []disSide{{cand: a, says: x.text}, {cand: b, says: y.text}},
			})
		}
	}
	return out
}

func hasFigure(fs []figure, value string) bool {
	for _, f := range fs {
		if f.value == value {
			return true
		}
	}
	return false
}

// sharedTerms returns the words of a whose terms b shares.
func sharedTerms(a, b map[string]string) []string {
	var out []string
	for t, w := range a {
		if _, ok := b[t]; ok {
			out = append(out, w)
		}
	}
	slices.Sort(out) // deterministic order
	return out
}

func normFigure(s string) string {
	s = strings.ReplaceAll(s, " ", "")
	s = strings.TrimPrefix(s, "us")
	for _, r := range [][2]string{{"billion", "bn"}, {"million", "m"}, {"mn", "m"}, {"trillion", "tn"}, {"percent", "%"}, {"percent", "%"}, {"per cent", "%"}} {
		s = strings.Replace(s, r[0], r[1], 1)
	}
	s = strings.ReplaceAll(s, ",", "")
	return s
}

// roleHeads are the nouns that make a title; roleModifiers may stand in a
// title but do not decide it ("special envoy", "prime minister").
var roleHeads = map[string]bool{
	"president": true, "vice-president": true, "chancellor": true, "leader": true, "minister": true,
	"secretary": true, "spokesperson": true, "spokesman": true, "spokeswoman": true, "envoy": true,
	"admiral": true, "general": true, "commander": true, "chief": true, "ceo": true, "director": true,
	"senator": true, "governor": true, "mayor": true, "king": true, "queen": true, "ambassador": true,
	"adviser": true, "advisor": true, "aide": true, "chair": true, "chairman": true, "chairwoman": true,
	"premier": true, "host": true, "founder": true, "editor": true, "correspondent": true, "official": true,
}

var roleModifiers = map[string]bool{
	"prime": true, "foreign": true, "defence": true, "defense": true, "special": true, "press": true,
	"vice": true, "deputy": true, "former": true, "opposition": true, "senior": true, "top": true,
	"the": true, "a": true, "an": true, "of": true, "state": true, "secretary-general": true, "policy": true,
	"security": true, "national": true, "chief": true, "military": true, "executive": true, "show": true, "talk": true,
}

// titled is a person named in a sentence with the title given there.
type titled struct {
	name  string // verbatim
	key   string // lower-cased last word of the name
	title string // verbatim title phrase
	heads map[string]bool
}

var capRunRE = regexp.MustCompile(`\p{Lu}[\p{L}’'.-]*(?:\s+\p{Lu}[\p{L}’'.-]*)*`)

// titledPeople finds "German Chancellor Friedrich Merz" and
// "Sergei Lavrov, the Russian foreign minister," shapes.
func titledPeople(s string) []titled {
	var out []titled
	for _, loc := range capRunRE.FindAllStringIndex(s, -1) {
		run := strings.Fields(s[loc[0]:loc[1]])
		// Leading capitalised title words move to the title, up to the last
		// role word: "German Chancellor | Friedrich Merz".
		i := 0
		for j := 0; j < len(run)-1 && (isRoleWord(run[j]) || isDemonym(run[j])); j++ {
			if isRoleWord(run[j]) {
				i = j + 1
			}
		}
		name := run[i:]
		if isRoleWord(name[len(name)-1]) {
			continue
		}
		nameText := strings.Join(name, " ")
		titleWords := append([]string{}, run[:i]...)
		// Lower-case title words just before the run ("opposition leader").
		before := wordsBefore(s[:loc[0]], 5)
		for j := len(before) - 1; j >= 0; j-- {
			w := strings.TrimSuffix(before[j], ",")
			if isRoleWord(w) || isDemonym(w) {
				titleWords = append([]string{w}, titleWords...)
				continue
			}
			break
		}
		// An apposition after the name: "Sergei Lavrov, the Russian foreign minister,".
		if len(titleWords) == 0 {
			rest := s[loc[1]:]
			if strings.HasPrefix(rest, ", ") {
				for _, w := range wordsAfter(rest[2:], 6) {
					clean := strings.TrimRight(w, ",.;")
					if isRoleWord(clean) || isDemonym(clean) {
						titleWords = append(titleWords, clean)
						if clean != w {
							break
						}
						continue
					}
					break
				}
			}
		}
		if len(name) < 2 && len(titleWords) < 2 {
			continue // a lone capitalised word needs a clear title to count as a person
		}
		heads := map[string]bool{}
		for _, w := range titleWords {
			if l := strings.ToLower(w); roleHeads[l] {
				heads[l] = true
			}
		}
		if len(heads) == 0 {
			continue
		}
		title := strings.Join(titleWords, " ")
		if _, _, ok := findPlain(s, title); !ok {
			continue // the title is not one verbatim run of the sentence
		}
		out = append(out, titled{name: nameText, key: strings.ToLower(strings.Trim(name[len(name)-1], "’'.,")), title: title, heads: heads})
	}
	return out
}

func findPlain(s, sub string) (int, int, bool) {
	i := strings.Index(s, sub)
	if i < 0 || sub == "" {
		return 0, 0, false
	}
	return i, i + len(sub), true
}

func titleConflicts(a, b *candidate) []disagreement {
	var out []disagreement
	for _, x := range titledPeople(a.text()) {
		for _, y := range titledPeople(b.text()) {
			if x.key != y.key && !nearSpelling(x.key, y.key) {
				continue
			}
			overlap := false
			for h := range x.heads {
				if y.heads[h] {
					overlap = true
				}
			}
			if overlap {
				continue
			}
			out = append(out, disagreement{
				kind:  "title",
				about: x.name,
				sides: []disSide{{cand: a, says: x.title}, {cand: b, says: y.title}},
			})
		}
	}
	return out
}

func isRoleWord(w string) bool {
	l := strings.ToLower(strings.TrimRight(w, ","))
	return roleHeads[l] || (roleModifiers[l] && l != "the" && l != "a" && l != "an" && l != "of")
}

// isDemonym recognises nationality and institution words that stand in
// titles: "German", "Ukrainian", "British", "NATO", "U.S.".
func isDemonym(w string) bool {
	w = strings.TrimRight(w, ",")
	if w == "" || !startsUpper(w) {
		return false
	}
	if strings.ToUpper(w) == w && len(w) <= 5 {
		return true // NATO, U.S., EU, UK
	}
	l := strings.ToLower(w)
	for _, suf := range []string{"ian", "an", "ish", "ese", "ch", "i"} {
		if strings.HasSuffix(l, suf) && len(l) > 4 {
			return true
		}
	}
	return false
}

func startsUpper(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

func isYear(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s >= "1900" && s <= "2100"
}

func isNumeric(t string) bool {
	for _, r := range t {
		if !unicode.IsDigit(r) && r != '.' && r != ',' {
			return false
		}
	}
	return t != ""
}

func hasAnySuffix(s string, sufs ...string) bool {
	for _, suf := range sufs {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

func wordsBefore(s string, n int) []string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[len(f)-n:]
	}
	return f
}

func wordsAfter(s string, n int) []string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return f
}

// figureLabel names what a disputed figure is about, as a phrase of the
// sentence that gives x: its words from the first to the last that the
// other side's figure y shares around it, the figure itself left out
// ("purchase … worth of U.S. weapons").
func figureLabel(sentence string, x, y figure) string {
	at := strings.Index(sentence, x.text)
	if at < 0 {
		return strings.Join(sharedTerms(x.context, y.context), ", ")
	}
	before := wordsBefore(sentence[:at], 4)
	after := wordsAfter(sentence[at+len(x.text):], 6)
	isShared := func(w string) bool {
		for _, t := range retrieval.Analyze(w) {
			if _, ok := y.context[t]; ok {
				return true
			}
		}
		return false
	}
	lo := len(before)
	for i, w := range before {
		if isShared(w) {
			lo = i
			break
		}
	}
	hi := -1
	for i, w := range after {
		if isShared(w) {
			hi = i
		}
	}
	var parts []string
	if lo < len(before) {
		parts = append(parts, before[lo:]...)
	}
	parts = append(parts, "…")
	if hi >= 0 {
		parts = append(parts, after[:hi+1]...)
	}
	label := strings.Trim(strings.Join(parts, " "), " …,;:")
	label = strings.Trim(label, "“”\"‘’()")
	if label == "" || !strings.ContainsFunc(label, unicode.IsLetter) {
		return strings.Join(sharedTerms(x.context, y.context), ", ")
	}
	return label
}
