package answer

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/quote"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/sentence"
)

// NotCovered is the answer given when the articles do not support one.
const NotCovered = "The articles don't cover this: nothing in them answers the question, so I won't guess."

// metaTerms are words a question uses to talk about the articles rather than
// about the news ("what did the articles report about ..."); they are left out
// when measuring how much of a question the evidence covers.
var metaTerms = termSet("article articles report reported reports outlet outlets news story stories say says said tell told mention mentioned discuss discussed describe described according source sources write wrote written claim claimed state stated think")

// questionForms are the words that make a question of "how much", "how
// long" and the like; they ask, they are not what is asked about.
var questionForms = regexp.MustCompile(`(?i)\bhow\s+(much|many|long|often|far|soon|old|big|large)\b`)

func termSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, t := range retrieval.Analyze(words) {
		m[t] = true
	}
	return m
}

// weightedTerm is a question term and its weight (its IDF).
type weightedTerm struct {
	term   string
	weight float64
	alts   []string // paraphrases and other forms that count as the term
}

// queryTerms weighs the analysed terms of the question (full weight) and of
// the widened follow-up query (half weight), leaving out meta terms.
func (c *Composer) queryTerms(question, query string) []weightedTerm {
	seen := map[string]int{}
	var out []weightedTerm
	add := func(text string, factor float64) {
		for _, t := range retrieval.Analyze(goingToRE.ReplaceAllString(questionForms.ReplaceAllString(text, " "), "$1")) {
			if metaTerms[t] {
				continue
			}
			if i, ok := seen[t]; ok {
				if w := c.index.IDF(t) * factor; w > out[i].weight {
					out[i].weight = w
				}
				continue
			}
			seen[t] = len(out)
			out = append(out, weightedTerm{term: t, weight: c.index.IDF(t) * factor, alts: paraphrases[t]})
		}
	}
	add(question, 1)
	if query != question {
		add(query, 0.5)
	}
	return dropCompounds(out)
}

// goingToRE finds "going to" before a verb ("Is Trump going to attend?"):
// it makes the future, it is not what is asked about.
var goingToRE = regexp.MustCompile(`\bgoing\s+to\s+([a-z])`)

// dropCompounds leaves out the joined term of a hyphenated word whose parts
// are terms of their own ("Putin-Zelenskyy": putinzelenskyy, beside putin
// and zelenskyy): the parts carry its meaning, and evidence that writes
// them apart ("between Putin and Zelenskyy") matches it as well.
func dropCompounds(qt []weightedTerm) []weightedTerm {
	has := make(map[string]bool, len(qt))
	for _, t := range qt {
		has[t.term] = true
	}
	out := qt[:0:0]
	for _, t := range qt {
		joined := false
		for i := 2; i <= len(t.term)-2 && !joined; i++ {
			joined = has[t.term[:i]] && has[t.term[i:]]
		}
		if !joined {
			out = append(out, t)
		}
	}
	return out
}

// candidate is one sentence of a retrieved passage, scored against the
// question.
type candidate struct {
	art        *article.Article
	start, end int // byte offsets into art.Text
	terms      []string
	set        map[string]bool
	meta       map[string]bool // terms of the article's title, outlet and date
	rank       int             // rank of the passage it came from
	cov        float64         // weighted share of the question's terms in the sentence
	window     float64         // the same for the sentence with its neighbours
	typed      bool            // holds a new instance of the answer type the question wants
	bullets    bool            // introduces a bullet list, quoted with its items
	score      float64
}

func (cd *candidate) text() string { return cd.art.Text[cd.start:cd.end] }

// source names where a candidate comes from, for spreading an answer across
// outlets: the outlet, or the article when the outlet is unknown.
func (cd *candidate) source() string {
	if cd.art.Outlet != "" {
		return strings.ToLower(cd.art.Outlet)
	}
	return "id:" + cd.art.ID
}

// candidates splits the passages into scored sentences, best first.
func (c *Composer) candidates(hits []retrieval.Hit, qt []weightedTerm, q Question) []*candidate {
	asked := map[string]bool{}
	for _, t := range retrieval.Analyze(q.Text) {
		asked[t] = true
	}
	nameTerms := make([][]string, len(q.Names))
	for i, name := range q.Names {
		nameTerms[i] = retrieval.Analyze(strings.Join(name, " "))
	}
	total := 0.0
	for _, t := range qt {
		total += t.weight
	}
	if total == 0 {
		return nil
	}
	seen := map[string]*candidate{}
	metas := map[string]map[string]bool{}
	var out []*candidate
	for rank, h := range hits {
		a := h.Article
		if a == nil {
			continue
		}
		meta, ok := metas[a.ID]
		if !ok {
			meta = articleTerms(a)
			metas[a.ID] = meta
		}
		spans := sentence.SplitQuotes(h.Chunk.Text)
		var chunkCands []*candidate
		var chunkKeys []string
		for _, s := range spans {
			start, end := h.Chunk.Start+s.Start, h.Chunk.Start+s.End
			key := fmt.Sprintf("%s:%d", a.ID, start)
			cd := &candidate{art: a, start: start, end: end, rank: rank, meta: meta}
			if q.Kind == KindList {
				// A sentence that introduces a bullet list ("The meeting
				// included:") is quoted with its items.
				cd.end = listEnd(a, start, end)
				cd.bullets = cd.end > end
			}
			cd.terms = retrieval.Analyze(cd.text())
			cd.set = make(map[string]bool, len(cd.terms))
			for _, t := range cd.terms {
				cd.set[t] = true
			}
			// A sentence opening with he, she or they speaks of the
			// people named in the sentence before it.
			if n := len(chunkCands); n > 0 && opensWithPronoun(cd.text()) {
				for _, name := range capitalised(chunkCands[n-1].text()) {
					cd.set[name] = true
				}
			}
			// A surname stands for the full name the question gives.
			for i, name := range q.Names {
				if len(name) > 1 && hasWord(cd.text(), name[len(name)-1]) {
					for _, t := range nameTerms[i] {
						cd.set[t] = true
					}
				}
			}
			cd.cov = coverage(qt, total, cd.set)
			if q.Want != TypeAny {
				cd.typed = holdsType(cd.text(), q.Want, asked) || q.Kind == KindList && holdsItems(cd.text(), asked)
			}
			chunkCands = append(chunkCands, cd)
			chunkKeys = append(chunkKeys, key)
			if seen[key] == nil {
				seen[key] = cd
				out = append(out, cd)
			}
		}
		// Window coverage: a sentence with its neighbours in the passage.
		for i, cd := range chunkCands {
			lo, hi := max(0, i-1), min(len(chunkCands)-1, i+1)
			sets := make([]map[string]bool, 0, 3)
			for j := lo; j <= hi; j++ {
				sets = append(sets, chunkCands[j].set)
			}
			cd.window = coverage(qt, total, union(sets...))
			// A sentence that opens one passage and sits inside another
			// has its neighbours in the other: keep its best window.
			if first := seen[chunkKeys[i]]; first != cd {
				first.window = max(first.window, cd.window)
			}
		}
	}
	for _, cd := range out {
		cd.score = 0.75*cd.cov + 0.25*cd.window + bigramBonus(qt, cd.terms) + 0.08/float64(1+cd.rank)
		if cd.typed {
			cd.score += typeBonus
		}
		if q.Kind == KindList {
			// A list question wants the sentences that name the most
			// items.
			cd.score += min(maxItemsBonus, itemBonus*float64(newNames(cd.text(), asked)))
			if cd.bullets {
				// A bullet list is the items themselves.
				cd.score += bulletBonus
			}
		}
		words := len(strings.Fields(cd.text()))
		switch {
		case words < 5:
			cd.score *= 0.4
		case !endsSentence(cd.text()) && words < 15:
			cd.score *= 0.6 // a heading or list item, not a claim
		case words > 70:
			cd.score *= 0.85
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out
}

// maxListItems bounds the bullet items quoted with the sentence that
// introduces them.
const maxListItems = 12

// listEnd returns the end of the bullet list that the sentence
// a.Text[start:end] introduces (it ends with a colon and the next lines are
// bullet items, within the same body span), or end when there is none.
func listEnd(a *article.Article, start, end int) int {
	if !strings.HasSuffix(strings.TrimSpace(a.Text[start:end]), ":") {
		return end
	}
	var body article.Span
	for _, s := range a.Body {
		if start >= s.Start && end <= s.End {
			body = s
		}
	}
	if body.End == 0 {
		return end
	}
	out := end
	pos := end
	for items := 0; items < maxListItems && pos < body.End; {
		nl := strings.IndexByte(a.Text[pos:body.End], '\n')
		lineEnd := body.End
		if nl >= 0 {
			lineEnd = pos + nl
		}
		line := strings.TrimSpace(a.Text[pos:lineEnd])
		switch {
		case line == "":
		case strings.HasPrefix(line, "•") || strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ") || strings.HasPrefix(line, "– "):
			out = pos + strings.Index(a.Text[pos:lineEnd], line) + len(line)
			items++
		default:
			return out
		}
		if nl < 0 {
			break
		}
		pos = lineEnd + 1
	}
	return out
}

// articleTerms are the terms of what a question may name an article by:
// its title, outlet and publication date ("published by TechCrunch on
// October 5, 2023").
func articleTerms(a *article.Article) map[string]bool {
	text := a.Title + " " + a.Outlet
	if !a.PublishedAt.IsZero() {
		text += " " + a.PublishedAt.UTC().Format("January 2, 2006")
	}
	set := map[string]bool{}
	for _, t := range retrieval.Analyze(text) {
		set[t] = true
	}
	return set
}

// minFuzzyLen is the shortest term a near spelling may stand in for: long
// enough for name variants (Zelensky/Zelenskyy, Witkof/Witkoff), too long
// for different short words one letter apart (price/prime).
const minFuzzyLen = 6

// coverage is the weighted share of the question's terms found in set; a
// term also counts when a word of the set is a near spelling of it.
func coverage(qt []weightedTerm, total float64, set map[string]bool) float64 {
	got := 0.0
	for _, t := range qt {
		if set[t.term] {
			got += t.weight
			continue
		}
		if anyIn(t.alts, set) {
			got += 0.9 * t.weight
			continue
		}
		if len(t.term) >= minFuzzyLen {
			for s := range set {
				if len(s) >= minFuzzyLen && nearSpelling(t.term, s) {
					got += t.weight
					break
				}
			}
		}
	}
	return got / total
}

func anyIn(terms []string, set map[string]bool) bool {
	for _, t := range terms {
		if set[t] {
			return true
		}
	}
	return false
}

// nearSpelling reports words at most one edit apart.
func nearSpelling(a, b string) bool { return quote.OneEdit(a, b) }

// bigramBonus rewards sentences where consecutive question terms stand
// together, as in a name or a phrase.
func bigramBonus(qt []weightedTerm, terms []string) float64 {
	if len(qt) < 2 || len(terms) < 2 {
		return 0
	}
	pairs := map[[2]string]bool{}
	for i := 0; i+1 < len(terms); i++ {
		pairs[[2]string{terms[i], terms[i+1]}] = true
	}
	bonus := 0.0
	for i := 0; i+1 < len(qt); i++ {
		if pairs[[2]string{qt[i].term, qt[i+1].term}] {
			bonus += 0.05
		}
	}
	return min(bonus, 0.15)
}

func endsSentence(s string) bool {
	s = strings.TrimRight(s, " \"'”’)]")
	return strings.HasSuffix(s, ".") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, ":")
}

// jaccard is the overlap of two term sets.
func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for t := range a {
		if b[t] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// extract writes an extractive answer: the sentences that best answer the
// question, each cited, with disagreements between outlets shown.
func (c *Composer) extract(question, query string, hits []retrieval.Hit) Answer {
	ans := Answer{Question: question, Mode: "extractive", Passages: passages(hits), Citations: []citation.Citation{}}
	q := parseQuestion(question)
	qt, cands, chosen, sup := c.evidence(q, query, hits)
	ans.Support = sup
	if len(chosen) == 0 || sup == 0 || sup < c.opts.MinCoverage {
		ans.Answer = NotCovered
		return ans
	}
	disagreements := findDisagreements(cands, chosen, qt)
	// Make sure both sides of every disagreement are cited.
	for _, d := range disagreements {
		for _, s := range d.sides {
			if !containsCand(chosen, s.cand) {
				chosen = append(chosen, s.cand)
			}
		}
	}
	b := newBuilder(c)
	for _, cd := range chosen {
		n, shown, ok := b.citeWhole(cd.art, cd.text())
		if !ok {
			continue
		}
		b.sentence(shown, n)
	}
	for _, d := range disagreements {
		b.disagreement(d)
	}
	if len(b.ans.Citations) == 0 {
		ans.Answer = NotCovered
		return ans
	}
	ans.Grounded = true
	ans.Sentences = b.ans.Sentences
	ans.Citations = b.ans.Citations
	ans.Disagreements = b.ans.Disagreements
	ans.Answer = renderText(ans.Sentences)
	return ans
}

// evidence scores the sentences of hits against the question, chooses the
// answer's sentences and measures their support. Grounding is judged on the
// question's own words when it has any: a follow-up must not be grounded by
// the evidence of the question before it. A name in the question that the
// articles do not have (near spellings and surnames considered) makes the
// support 0: the articles are about someone or something else.
func (c *Composer) evidence(q Question, query string, hits []retrieval.Hit) (qt []weightedTerm, cands, chosen []*candidate, sup float64) {
	content := q.Content
	if strings.TrimSpace(content) == "" {
		content = q.Text
	}
	wider := query
	if query == q.Text {
		wider = content
	}
	qt = c.queryTerms(content, wider)
	cands = c.candidates(hits, qt, q)
	chosen = c.choose(cands, qt, q)
	if q.Kind == KindYesNo {
		chosen = leadWithPredicate(chosen, cands, yesNoPredicate(q.Text), c.opts.MaxSentences)
	}
	own := qt
	if wider != content {
		if o := c.queryTerms(content, content); len(o) > 0 {
			own = o
		}
	}
	if c.absentName(q, cands) || c.absentOutlet(q.Text) {
		return qt, cands, chosen, 0
	}
	return qt, cands, chosen, support(chosen, own)
}

// absentName reports a name of the question that neither the articles'
// text nor the retrieved articles' titles and outlets hold, in any near
// spelling. A name of several words is present when its last word (a
// surname) or half of its words are.
func (c *Composer) absentName(q Question, cands []*candidate) bool {
	if len(q.Names) == 0 {
		return false
	}
	maxIDF := c.index.IDF("\x00absent")
	var sets []map[string]bool
	seenArt := map[string]bool{}
	for _, cd := range cands {
		sets = append(sets, cd.set)
		if !seenArt[cd.art.ID] {
			seenArt[cd.art.ID] = true
			sets = append(sets, cd.meta)
		}
	}
	present := func(t string) bool {
		if c.index.IDF(t) < maxIDF {
			return true
		}
		for _, s := range sets {
			if s[t] || anyIn(paraphrases[t], s) {
				return true
			}
		}
		if len(t) >= 5 {
			for _, s := range sets {
				for u := range s {
					if len(u) >= 5 && nearSpelling(t, u) {
						return true
					}
				}
			}
		}
		return false
	}
	for _, name := range q.Names {
		all := true
		for _, t := range retrieval.Analyze(strings.Join(name, " ")) {
			all = all && present(t)
		}
		if all {
			continue
		}
		// A surname: the name's last word, capitalised, in the evidence.
		surname := false
		for _, cd := range cands {
			if len(name) > 1 && hasWord(cd.text(), name[len(name)-1]) {
				surname = true
				break
			}
		}
		if !surname {
			return true
		}
	}
	return false
}

// outletRefRE finds where a question says which outlet published what it
// asks about: "an article from The Verge", "as reported by TechCrunch".
var outletRefRE = regexp.MustCompile(`\b(?:(?:article|articles|report|reports|review|piece|story|coverage)\s+(?:from|in|by|published by|published in)|(?:reported|published|written)\s+(?:by|in))\s+(?:(?:both|an?|the)\s+)?['‘"“]?((?:The\s+)?\p{Lu}[\p{L}\d.&'’-]*(?:\s+(?:\p{Lu}[\p{L}\d.&'’-]*|of|&))*)`)

// absentOutlet reports a question that names the outlet of the article it
// asks about when no article has that outlet: the articles cannot hold
// that outlet's report.
func (c *Composer) absentOutlet(q string) bool {
	ms := outletRefRE.FindAllStringSubmatch(q, -1)
	if len(ms) == 0 {
		return false
	}
	norm := func(s string) string {
		s = strings.ToLower(strings.Trim(s, " '\"‘’“”.,"))
		return strings.TrimPrefix(s, "the ")
	}
	outlets := map[string]bool{}
	for _, a := range c.index.Articles() {
		if o := norm(a.Outlet); len(o) > 2 {
			outlets[o] = true
		}
	}
	if len(outlets) == 0 {
		return false // outlets unknown: nothing to hold the question to
	}
	for _, m := range ms {
		name := norm(m[1])
		found := false
		for o := range outlets {
			if strings.Contains(o, name) || strings.Contains(name, o) {
				found = true
				break
			}
		}
		if !found {
			return true
		}
	}
	return false
}

// hasWord reports whether text holds word, with the same capitals, as a
// whole word.
func hasWord(text, word string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], word)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(word)
		before, _ := utf8.DecodeLastRuneInString(text[:j])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (j == 0 || !unicode.IsLetter(before)) && (end == len(text) || !unicode.IsLetter(after)) {
			return true
		}
		i = j + 1
	}
}

// support is the grounding measure: the weighted share of the question's
// terms that the chosen evidence contains, counting each sentence's article
// title, outlet and date (a question may name the outlet or the day). The
// answer counts as grounded when it reaches Options.MinCoverage.
func support(chosen []*candidate, qt []weightedTerm) float64 {
	total := 0.0
	for _, t := range qt {
		total += t.weight
	}
	if total == 0 {
		return 0
	}
	return coverage(qt, total, evidenceTerms(chosen))
}

// evidenceTerms is the union of the chosen sentences' terms and their
// articles' metadata terms.
func evidenceTerms(chosen []*candidate) map[string]bool {
	u := map[string]bool{}
	for _, cd := range chosen {
		for t := range cd.set {
			u[t] = true
		}
		for t := range cd.meta {
			u[t] = true
		}
	}
	return u
}

// choose picks up to MaxSentences sentences: relevant, not repeating each
// other, spread across sources, at most two from one article. After the
// first, each pick is also rewarded for the question terms it adds to what
// the chosen sentences already cover, so a question with several parts gets
// evidence for each.
func (c *Composer) choose(cands []*candidate, qt []weightedTerm, q Question) []*candidate {
	limit := c.opts.MaxSentences
	if q.Kind == KindList {
		limit = max(limit, 5)
	}
	if len(cands) == 0 {
		return nil
	}
	total := 0.0
	for _, t := range qt {
		total += t.weight
	}
	best := cands[0].score
	bestCov := 0.0
	for _, cd := range cands {
		bestCov = max(bestCov, cd.cov)
	}
	var chosen []*candidate
	perArticle := map[string]int{}
	perLimit := 2
	if q.Kind == KindList {
		perLimit = 3
	}
	named := map[string]bool{} // the names the chosen sentences hold
	asked := map[string]bool{}
	for _, t := range retrieval.Analyze(q.Text) {
		asked[t] = true
	}
	sources := map[string]bool{}
	covered := map[string]bool{}
	for len(chosen) < limit {
		base := coverage(qt, total, covered)
		var pick *candidate
		pickScore := 0.0
		for _, cd := range cands {
			if cd.score < minShare*best || perArticle[cd.art.ID] >= perLimit || containsCand(chosen, cd) {
				continue
			}
			gain := 0.0
			if len(chosen) > 0 {
				gain = coverage(qt, total, union(covered, cd.set, cd.meta)) - base
			}
			// After the first, a sentence joins for a part of the question
			// the chosen ones leave uncovered, or to corroborate: to answer
			// the question nearly as fully on its own. A weaker sentence
			// joins only for an uncovered part.
			// A list question also takes a sentence that names items the
			// chosen ones do not.
			fresh := 0
			if q.Kind == KindList {
				// Its items must be of the kind asked for ("which
				// cities": places), and it must be on the question.
				if max(cd.cov, cd.window) >= 0.5*bestCov && (q.Want == TypeAny || cd.typed) {
					fresh = freshItems(cd, named, asked)
				}
			}
			if len(chosen) > 0 && gain < minGain && fresh == 0 && (cd.score < strongShare*best || cd.cov < corroborate*bestCov) {
				continue
			}
			redundant := 0.0
			for _, ch := range chosen {
				redundant = max(redundant, jaccard(cd.set, ch.set))
			}
			if redundant > 0.6 {
				continue
			}
			s := cd.score - 0.3*redundant
			if len(chosen) > 0 {
				if !sources[cd.source()] {
					s += 0.05
				}
				s += 0.5*gain + min(maxItemsBonus, itemBonus*float64(fresh))
			}
			if pick == nil || s > pickScore {
				pick, pickScore = cd, s
			}
		}
		if pick == nil {
			break
		}
		chosen = append(chosen, pick)
		perArticle[pick.art.ID]++
		sources[pick.source()] = true
		for _, t := range capitalised(pick.text()) {
			named[t] = true
		}
		covered = union(covered, pick.set, pick.meta)
	}
	// When no chosen sentence holds the kind of answer the question wants
	// (a time, a place, a number), add the best that does.
	if q.Want != TypeAny && len(chosen) > 0 {
		for _, cd := range chosen {
			if cd.typed {
				return chosen
			}
		}
		for _, cd := range cands {
			// It must be on the question, but its share of the best score
			// may be lower: the answer's own words ("a six-hour meeting")
			// are often not the question's.
			if cd.typed && cd.cov > 0 && cd.score >= typedShare*best && !containsCand(chosen, cd) {
				if len(chosen) >= limit {
					chosen = chosen[:limit-1]
				}
				return append(chosen, cd)
			}
		}
	}
	return chosen
}

// leadWithPredicate puts first the sentence that settles a yes/no question:
// the best one holding the question's predicate (its verb, or a paraphrase)
// that, with its neighbours, covers the question nearly as well as the best
// sentence does. The rest keep their order; the answer keeps at most limit
// sentences.
func leadWithPredicate(chosen, cands []*candidate, pred string, limit int) []*candidate {
	if pred == "" || len(chosen) == 0 {
		return chosen
	}
	bestCov := 0.0
	for _, cd := range cands {
		bestCov = max(bestCov, cd.cov)
	}
	for _, cd := range cands {
		if !cd.set[pred] && !anyIn(paraphrases[pred], cd.set) {
			continue
		}
		if cd.window < corroborate*bestCov {
			continue
		}
		out := []*candidate{cd}
		for _, ch := range chosen {
			if !containsCand(out, ch) {
				out = append(out, ch)
			}
		}
		if len(out) > max(limit, len(chosen)) {
			out = out[:max(limit, len(chosen))]
		}
		return out
	}
	return chosen
}

// yesNoSkip are the words between a yes/no question's auxiliary and its
// predicate: articles, negation, "going to", forms of "be".
var yesNoSkip = map[string]bool{"the": true, "a": true, "an": true, "not": true, "n't": true, "going": true, "to": true, "be": true, "been": true, "being": true, "ever": true, "really": true, "actually": true, "still": true, "already": true, "also": true, "finally": true}

// yesNoPredicate returns the analysed term of the verb a yes/no question
// asks about ("Did Trump accept the golf club?": accept): the first word
// after the auxiliary that is neither capitalised (the subject's name) nor
// a filler; after a form of "be" it is the word that follows. "" when there
// is none.
func yesNoPredicate(q string) string {
	words := strings.Fields(q)
	if len(words) < 2 || !yesNoRE.MatchString(strings.ToLower(words[0])) {
		return ""
	}
	for i := 1; i < len(words); i++ {
		core := strings.TrimFunc(words[i], func(r rune) bool { return !unicode.IsLetter(r) })
		r, _ := utf8.DecodeRuneInString(core)
		if core == "" || unicode.IsUpper(r) {
			continue
		}
		lower := strings.ToLower(core)
		if yesNoSkip[lower] {
			continue
		}
		// "Will American soldiers be deployed": the subject ends at "be".
		for j := i + 1; j < len(words) && j <= i+2; j++ {
			if b := strings.ToLower(strings.Trim(words[j], ",.?!")); b == "be" || b == "been" {
				return yesNoPredicate(words[0] + " " + strings.Join(words[j+1:], " "))
			}
		}
		if ts := retrieval.Analyze(lower); len(ts) == 1 {
			return ts[0]
		}
	}
	return ""
}

// freshItems counts the names in cd that neither the question nor the
// sentences already chosen hold: the new items it adds to a list.
func freshItems(cd *candidate, named, asked map[string]bool) int {
	n := 0
	for _, t := range capitalised(cd.text()) {
		if !named[t] && !asked[t] && !timeRE.MatchString(t) {
			n++
		}
	}
	return n
}

// Selection thresholds. A sentence after the first joins an answer when it
// adds minGain of the question's weighted terms (scoring at least minShare
// of the best score), or when it corroborates: it scores at least
// strongShare of the best and covers at least corroborate of the best
// sentence coverage.
const (
	itemBonus     = 0.04
	maxItemsBonus = 0.2
	typeBonus     = 0.12
	bulletBonus   = 0.3
	strongShare   = 0.6
	minShare      = 0.4
	typedShare    = 0.2
	minGain       = 0.15
	corroborate   = 0.8
)

// union returns a new set holding the members of every set.
func union(sets ...map[string]bool) map[string]bool {
	n := 0
	for _, s := range sets {
		n += len(s)
	}
	u := make(map[string]bool, n)
	for _, s := range sets {
		for t := range s {
			u[t] = true
		}
	}
	return u
}

func containsCand(list []*candidate, cd *candidate) bool {
	for _, x := range list {
		if x.art.ID == cd.art.ID && x.start == cd.start {
			return true
		}
	}
	return false
}

// collapse folds runs of white space to single spaces.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// renderText joins the sentences with their citation markers.
func renderText(ss []Sentence) string {
	var b strings.Builder
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s.Text + s.Marks())
	}
	return b.String()
}

// builder assembles an answer's sentences and citations, verifying every
// quote before it becomes a citation. ans.Citations is the list of set,
// refreshed on every cite.
type builder struct {
	set     *citation.Set
	dropped *atomic.Int64 // counts the quotes that fail verification
	ans     Answer
}

func newBuilder(c *Composer) *builder {
	return &builder{set: citation.NewSet(c.log), dropped: &c.stats.QuotesDropped, ans: Answer{Citations: []citation.Citation{}}}
}

// cite verifies q against a and returns its citation number, reusing the
// number of an identical citation. A quote that fails is counted and
// dropped.
func (b *builder) cite(a *article.Article, q string) (int, bool) {
	n, ok := b.set.Cite(a, q)
	if !ok {
		b.dropped.Add(1)
		return 0, false
	}
	b.ans.Citations = b.set.List()
	return n, true
}

// citeWhole cites q as cite does, widened to the whole quotation it
// opens or closes ("“I just want to see what happens at the meeting." and
// the sentences up to its closing mark), and returns the text shown for
// it: the quote with its quotation marks paired for display.
func (b *builder) citeWhole(a *article.Article, q string) (int, string, bool) {
	if m, ok := quote.FindIn(a, q); ok {
		start, end := wholeQuote(a, m.Start, m.End)
		q = a.Text[start:end]
	}
	n, ok := b.cite(a, q)
	if !ok {
		return 0, "", false
	}
	return n, displayQuotes(collapse(b.ans.Citations[n-1].Quote)), true
}

func (b *builder) sentence(text string, cites ...int) {
	b.ans.Sentences = append(b.ans.Sentences, Sentence{Text: text, Citations: cites})
}

// disagreement adds a disagreement whose every side is a verified part of
// its cited quote, and a sentence that states it.
func (b *builder) disagreement(d disagreement) {
	out := Disagreement{Kind: d.kind, About: d.about}
	var parts []string
	var cites []int
	for _, s := range d.sides {
		n, _, ok := b.citeWhole(s.cand.art, s.cand.text())
		if !ok {
			return
		}
		if _, _, ok := quote.Find(s.cand.text(), s.says); !ok {
			return
		}
		out.Sides = append(out.Sides, Side{Says: s.says, Citation: n})
		cites = append(cites, n)
		parts = append(parts, fmt.Sprintf("%s“%s” [%d]", sourceLabel(s.cand.art), s.says, n))
	}
	b.ans.Disagreements = append(b.ans.Disagreements, out)
	b.ans.Sentences = append(b.ans.Sentences, Sentence{
		Text:      fmt.Sprintf("The reports differ on a %s (%s): %s.", d.kind, d.about, strings.Join(parts, " versus ")),
		Citations: cites,
	})
}

// sourceLabel prefixes a side of a disagreement with its outlet when known.
func sourceLabel(a *article.Article) string {
	if a.Outlet != "" {
		return a.Outlet + ": "
	}
	return ""
}
