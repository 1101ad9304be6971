package answer

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/sentence"
)

// maxScanArticles bounds the articles a topic-less overview or
// disagreement question reads whole; past it the bot asks for a topic.
const maxScanArticles = 30

// overviewPoints bounds the points of an overview.
const overviewPoints = 5

// wholeArticleHits turns every article's body into hits, in article order,
// for a question about all the articles ("Where do the sources
// disagree?"). ok is false when there are too many articles to read.
func (c *Composer) wholeArticleHits() (hits []retrieval.Hit, ok bool) {
	arts := c.index.Articles()
	if len(arts) == 0 || len(arts) > maxScanArticles {
		return nil, false
	}
	for _, a := range arts {
		if len(a.Body) == 0 {
			continue
		}
		start, end := a.Body[0].Start, a.Body[len(a.Body)-1].End
		hits = append(hits, retrieval.Hit{Chunk: retrieval.Chunk{ArticleID: a.ID, Start: start, End: end, Text: a.Text[start:end]}, Article: a})
	}
	return hits, len(hits) > 0
}

// overviewDepth is how many times k passages an overview retrieves when
// the usual depth gives it too few points.
const overviewDepth = 2

// maxDeepTopic is the most terms a topic may have for its overview to
// search deeper: a short topic ("Trump's call with Putin") is told across
// many passages; a long one (a whole sentence) names one event, which the
// usual depth holds.
const maxDeepTopic = 6

// overviewDeep answers an overview from hits and, when that gives fewer than
// three points or points from one article only, from passages retrieved
// overviewDepth times deeper: a short topic's sentences are spread over
// more passages than one fact is. Only overviews short of points pay for
// the deeper search.
func (c *Composer) overviewDeep(ctx context.Context, q Question, query string, hits []retrieval.Hit) (Answer, error) {
	ans := c.overview(q, query, hits)
	if n := len(retrieval.Analyze(overviewTopic(q.Content))); n == 0 || n > maxDeepTopic || len(ans.Citations) >= 3 && citedArticles(ans.Citations) >= 2 {
		return ans, nil
	}
	more, err := c.index.Search(ctx, retrieval.Query{Text: query, K: overviewDepth * c.opts.K, Filter: c.opts.Filter, Diverse: true})
	if err != nil {
		return Answer{}, fmt.Errorf("search %q: %w", query, err)
	}
	if deep := c.overview(q, query, more); len(deep.Citations) > len(ans.Citations) || citedArticles(deep.Citations) > citedArticles(ans.Citations) {
		return deep, nil
	}
	return ans, nil
}

// citedArticles counts the articles citations quote.
func citedArticles(cs []citation.Citation) int {
	arts := map[string]bool{}
	for _, ct := range cs {
		arts[ct.Source] = true
	}
	return len(arts)
}

// overview answers "summarize …", "what happened …": 3–5 cited points from
// at least two articles when the topic is covered. Without a topic it
// briefs on the articles' opening sentences.
func (c *Composer) overview(q Question, query string, hits []retrieval.Hit) Answer {
	ans := Answer{Question: q.Text, Mode: "extractive", Passages: passages(hits), Citations: []citation.Citation{}}
	topic := overviewTopic(q.Content)
	var chosen []*candidate
	if !hasTopic(topic) {
		all, ok := c.wholeArticleHits()
		if !ok {
			ans.Answer = "Which topic should I sum up? " + Capabilities
			return ans
		}
		// Each article's opening sentences are its main points.
		per := map[string]int{}
		for _, h := range all {
			cands := c.candidates([]retrieval.Hit{h}, []weightedTerm{{term: "\x00", weight: 1}}, q)
			for _, cd := range orderedByStart(cands) {
				if per[cd.art.ID] >= 1 || len(strings.Fields(cd.text())) < 8 || !endsSentence(cd.text()) {
					continue
				}
				per[cd.art.ID]++
				chosen = append(chosen, cd)
			}
		}
		ans.Support = 1
	} else {
		pq := q
		pq.Content = topic
		qt, cands, _, sup := c.evidence(pq, query, hits)
		ans.Support = sup
		if sup == 0 {
			// A name of the topic is not in the articles.
			ans.Answer = NotCovered
			return ans
		}
		// The points are chosen on the topic's terms weighed as a topic
		// (names and key nouns first), not as a question's.
		tt, common, compounds := topicTerms(topic, q.Names, qt)
		total := 0.0
		for _, t := range tt {
			total += t.weight
		}
		for _, cd := range cands {
			for mod, head := range compounds {
				if cd.set[mod] && !cd.set[head] && inOtherCompound(cd.text(), mod, head) {
					// "a phone interview" is no point on a "phone
					// call": the sentence holds the word, not the topic.
					set := maps.Clone(cd.set)
					delete(set, mod)
					cd.set = set
				}
			}
			cov := coverage(tt, total, cd.set)
			cd.score += 0.75 * (cov - cd.cov)
			cd.cov = cov
		}
		sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
		// An overview gives what there is: any sentence on the topic is
		// worth a point, even when the evidence chosen for a question
		// would not be enough to answer one.
		var rarest weightedTerm
		for _, t := range qt {
			if t.weight > rarest.weight {
				rarest = t
			}
		}
		chosen = topicPoints(cands, tt, common, rarest)
	}
	if len(chosen) > overviewPoints {
		chosen = chosen[:overviewPoints]
	}
	b := newBuilder(c)
	for _, cd := range chosen {
		if n, shown, ok := b.citeWhole(cd.art, cd.text()); ok {
			b.sentence(shown, n)
		}
	}
	if len(b.ans.Citations) == 0 {
		ans.Answer = NotCovered
		return ans
	}
	lead := Sentence{Text: fmt.Sprintf("The main points, from %s:", plural(citedArticles(b.ans.Citations), "article", "articles"))}
	ans.Grounded = true
	ans.Sentences = append([]Sentence{lead}, b.ans.Sentences...)
	ans.Citations = b.ans.Citations
	ans.Answer = renderText(ans.Sentences)
	return ans
}

// onTopic is the share of the topic's weighted terms (paraphrases and
// near spellings counted) that a sentence must hold itself to be a point
// about the topic; its neighbours do not count.
const onTopic = 0.5

// topicPoints picks up to overviewPoints points about the topic from cands
// (best first): sentences that hold at least onTopic of the topic's terms
// qt themselves, and one of its common words when it has any (a sentence
// naming Trump and Putin is not about their call), from at least two
// articles, at most two per article, not repeating each other. When fewer
// than three such sentences are found, sentences holding the topic's
// rarest term (by corpus rarity, or a paraphrase of it) complete the
// points.
func topicPoints(cands []*candidate, qt []weightedTerm, common map[string]bool, rarest weightedTerm) []*candidate {
	pool := cands
	if len(pool) == 0 {
		return nil
	}
	holdsCommon := func(cd *candidate) bool {
		if len(common) == 0 {
			return true
		}
		for _, t := range qt {
			if common[t.term] && (cd.set[t.term] || anyIn(t.alts, cd.set)) {
				return true
			}
		}
		return false
	}
	best := 0.0
	for _, cd := range pool {
		best = max(best, cd.score)
	}
	var out []*candidate
	per := map[string]int{}
	holdsRarest := func(cd *candidate) bool { return cd.set[rarest.term] || anyIn(rarest.alts, cd.set) }
	take := func(minCov, minScore float64, rare bool) {
		for _, cd := range pool {
			if len(out) >= overviewPoints {
				return
			}
			if cd.cov < minCov || cd.score < minScore || rare && !holdsRarest(cd) || !rare && !holdsCommon(cd) || per[cd.art.ID] >= 2 || containsCand(out, cd) || len(strings.Fields(cd.text())) < 8 || !endsSentence(cd.text()) {
				continue
			}
			if len(per) < 2 && per[cd.art.ID] > 0 && len(out) >= overviewPoints-1 {
				continue // keep the last place for a second article
			}
			redundant := false
			for _, ch := range out {
				if jaccard(cd.set, ch.set) > 0.5 {
					redundant = true
					break
				}
			}
			if redundant {
				continue
			}
			out = append(out, cd)
			per[cd.art.ID]++
		}
	}
	take(onTopic, minShare*best, false)
	if len(out) < 3 || len(per) < 2 {
		take(onTopic, 0, false)
	}
	if len(out) < 3 || len(per) < 2 {
		take(1e-9, 0, true)
	}
	return out
}

// topicFrames are words that frame an overview's topic without naming it:
// words about the matter ("the territory question"), about time ("what
// happened today") and about the news itself ("the coverage of", "the
// latest on", "everything on", "what the outlets say about"). They are
// left out of the topic.
var topicFrames = termSet("question questions issue issues matter matters topic subject situation story stories debate debates row controversy saga today yesterday tonight now recently lately overnight so far this week weekend morning afternoon evening " +
	"coverage covered covering reporting reports reported report article articles news newest latest update updates headline headlines everything anything")

// frameRE finds the phrases that frame an overview's topic: "the press
// coverage of", "what the outlets say about", "the latest on", "everything
// (we know) on". A framing word outside such a phrase ("press conference",
// "social media") names the topic and is kept.
var frameRE = regexp.MustCompile(`(?i)^(?:(?:on|about|of|for|me|us|up|in|what|how|are|is|do|does|did|have|has|a|an|the|all|any|this|these|their|its|today'?s|recent|latest|main|key)\s+)*(?:(?:press|media|news|newspaper|outlets?'?|sources?'?|reports?'?|articles?'?|stories|story|papers?'?)\s+)?(?:coverage|reporting|reports?|articles?|stories|story|news|headlines?|pieces?|updates?|latest|everything|anything|outlets?|sources?|papers?|press|media)(?:\s+(?:we|you|i)\s+(?:know|have|has))?(?:(?:\s+all)?(?:\s+(?:do|does|did|have|has))?\s+(?:say|says|said|saying|report|reports|reported|reporting|write|writes|wrote|writing|tell|tells|told|cover|covers|covered|covering)(?:\s+us)?(?:\s+(?:of|on|about|around|regarding|concerning|over|for|from|into))*|(?:\s+(?:of|on|about|around|regarding|concerning|over|for|from|into))+)\s+`)

// overviewTopic is an overview question's content without the words that
// frame the topic.
func overviewTopic(content string) string {
	// Framing phrases at the front, repeated ("the latest reporting on the
	// coverage of …"), are cut whole.
	for {
		m := frameRE.FindStringIndex(content)
		if m == nil || m[1] == 0 {
			break
		}
		content = content[m[1]:]
	}
	var kept []string
	for _, w := range strings.Fields(content) {
		ts := retrieval.Analyze(w)
		frame := len(ts) > 0
		for _, t := range ts {
			frame = frame && topicFrames[t]
		}
		if !frame {
			kept = append(kept, w)
		}
	}
	return strings.TrimSpace(strings.Join(kept, " "))
}

// topicTerms weighs an overview topic's terms as a topic, not by corpus
// rarity alone: the names it gives weigh at least as much as its heaviest
// common word, for names shared by every article weigh next to nothing by
// rarity, yet a point on "Trump's call with Putin" must be about them. qt
// gives the terms and their paraphrases. common holds the topic's common
// words (not names); compounds maps each word that modifies the next one
// ("phone" in "phone call") to the word it modifies.
func topicTerms(topic string, names [][]string, qt []weightedTerm) (out []weightedTerm, common map[string]bool, compounds map[string]string) {
	isName := map[string]bool{}
	for _, n := range names {
		for _, t := range retrieval.Analyze(strings.Join(n, " ")) {
			isName[t] = true
		}
	}
	common, compounds = map[string]bool{}, map[string]string{}
	nameTerms := map[string]bool{}
	// In a topic written as a headline ("Territorial Concessions on the
	// Table") capitals mark no names.
	headline := true
	for _, w := range strings.Fields(topic) {
		r, _ := utf8.DecodeRuneInString(w)
		if len(retrieval.Analyze(w)) > 0 && !unicode.IsUpper(r) {
			headline = false
		}
	}
	prev, prevName := "", false
	words := strings.Fields(topic)
	for i, w := range words {
		ts := retrieval.Analyze(w)
		if len(ts) == 0 {
			prev, prevName = "", false // "with", "of", "the": a phrase ends
			continue
		}
		core := strings.TrimLeftFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		r, _ := utf8.DecodeRuneInString(core)
		// "US", "EU": an acronym is a name, though "us" is a common word.
		acronym := len(core) > 1 && strings.ToUpper(core) == core && strings.ToLower(core) != core
		// "von der" in "Ursula von der Leyen": a short lower-case word
		// between a name and a capitalised word is part of the name.
		particle := false
		if prevName && len(core) <= 3 && i+1 < len(words) {
			nr, _ := utf8.DecodeRuneInString(words[i+1])
			particle = unicode.IsUpper(nr) || len(words[i+1]) <= 3 && i+2 < len(words)
		}
		name := !headline && (particle || unicode.IsUpper(r) && (acronym || !isCommonWord(core)))
		for _, t := range ts {
			name = name || isName[t] && !headline
		}
		prevName = name
		if name {
			for _, t := range ts {
				nameTerms[t] = true
			}
			prev = ""
			continue
		}
		for _, t := range ts {
			common[t] = true
			if prev != "" && prev != t {
				compounds[prev] = t
			}
			prev = t
		}
		if strings.ContainsAny(w[len(w)-1:], ",.;:?!") {
			prev = ""
		}
	}
	top := 0.0
	for _, t := range qt {
		if common[t.term] {
			top = max(top, t.weight)
		}
	}
	out = make([]weightedTerm, len(qt))
	for i, t := range qt {
		out[i] = t
		if nameTerms[t.term] && !common[t.term] {
			out[i].weight = max(t.weight, top)
		}
	}
	return out, common, compounds
}

// inOtherCompound reports whether every use of the topic's modifier mod in
// text modifies another word than the topic's head: "phone interview" when
// the topic is a "phone call". There the sentence is about another thing.
func inOtherCompound(text, mod, head string) bool {
	words := strings.Fields(text)
	found := false
	for i, w := range words {
		// A stem is the start of its words: only words starting so are
		// analysed.
		core := strings.TrimLeftFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if len(core) < len(mod) || !strings.EqualFold(core[:len(mod)], mod) || !slices.Contains(retrieval.Analyze(w), mod) {
			continue
		}
		found = true
		if strings.ContainsAny(w[len(w)-1:], ",.;:?!)”\"'’") || i+1 == len(words) {
			return false
		}
		next := retrieval.Analyze(words[i+1])
		if len(next) == 0 || slices.Contains(next, head) || anyIn(paraphrases[head], termSet(words[i+1])) {
			return false
		}
	}
	return found
}

// orderedByStart sorts candidates of one article by position.
func orderedByStart(cands []*candidate) []*candidate {
	out := append([]*candidate(nil), cands...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].start < out[j-1].start; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// disagreements answers "where do the sources disagree?": the facts the
// outlets report differently on the topic (or across all the articles when
// there is none), both sides quoted.
func (c *Composer) disagreements(q Question, query string, hits []retrieval.Hit) Answer {
	ans := Answer{Question: q.Text, Mode: "extractive", Passages: passages(hits), Citations: []citation.Citation{}}
	topic := strings.TrimSpace(q.Content)
	var cands []*candidate
	if !hasTopic(topic) {
		all, ok := c.wholeArticleHits()
		if !ok {
			ans.Answer = "Which topic should I compare the sources on? For example “Do the reports agree on the weapons deal?”"
			return ans
		}
		cands = c.candidates(all, []weightedTerm{{term: "\x00", weight: 1}}, q)
	} else {
		pq := q
		pq.Content = topic
		var sup float64
		_, cands, _, sup = c.evidence(pq, query, hits)
		ans.Support = sup
		if sup == 0 || sup < c.opts.MinCoverage {
			ans.Answer = NotCovered
			return ans
		}
	}
	found := allDisagreements(cands)
	b := newBuilder(c)
	for _, d := range found {
		b.disagreement(d)
	}
	if len(b.ans.Disagreements) == 0 {
		ans.Grounded = len(cands) > 0 && ans.Support >= c.opts.MinCoverage
		if !ans.Grounded {
			ans.Answer = NotCovered
			return ans
		}
		// The topic is covered but no two outlets report it differently:
		// say so, with the best evidence.
		ext := c.extract(q.Text, query, hits)
		ext.Answer = "I found no fact the sources report differently on this. " + ext.Answer
		ext.Sentences = append([]Sentence{{Text: "I found no fact the sources report differently on this."}}, ext.Sentences...)
		return ext
	}
	if !hasTopic(topic) {
		ans.Support = 1
	}
	ans.Grounded = true
	lead := Sentence{Text: fmt.Sprintf("The sources differ on %s:", plural(len(b.ans.Disagreements), "point", "points"))}
	ans.Sentences = append([]Sentence{lead}, b.ans.Sentences...)
	ans.Citations = b.ans.Citations
	ans.Disagreements = b.ans.Disagreements
	ans.Answer = renderText(ans.Sentences)
	return ans
}

// maxDisagreements bounds the disagreements one answer lists.
const maxDisagreements = 5

// allDisagreements compares every pair of sentences from different
// articles that give a figure or a person's title, most relevant first, and
// returns the facts they report differently.
func allDisagreements(cands []*candidate) []disagreement {
	var pool []*candidate
	for _, cd := range cands {
		if len(figures(cd.text())) > 0 || len(titledPeople(cd.text())) > 0 {
			pool = append(pool, cd)
		}
		if len(pool) == 200 {
			break
		}
	}
	var out []disagreement
	seen := map[string]bool{}
	for i, a := range pool {
		for _, b := range pool[i+1:] {
			if a.art.ID == b.art.ID {
				continue
			}
			for _, d := range append(figureConflicts(a, b), titleConflicts(a, b)...) {
				key := d.kind + "|" + strings.ToLower(d.about)
				if seen[key] {
					continue
				}
				seen[key] = true
				out = append(out, d)
				if len(out) == maxDisagreements {
					return out
				}
			}
		}
	}
	return out
}

// quoteLookup answers "who said '…'?" with the source lookup: where the
// line appears, who the article says said it, cited.
func (c *Composer) quoteLookup(ctx context.Context, q Question) (Answer, error) {
	ans := Answer{Question: q.Text, Mode: "extractive", Citations: []citation.Citation{}, Passages: []Passage{}}
	res, err := c.Source(ctx, q.Quoted)
	if err != nil {
		return Answer{}, err
	}
	b := newBuilder(c)
	for _, m := range res.Matches {
		if !m.Exact && m.Similarity < 0.8 {
			continue
		}
		a, ok := c.index.Article(m.Source)
		if !ok {
			continue
		}
		text := m.Sentence
		if text == "" {
			text = m.Quote
		}
		// A quotation standing as a sentence of its own is attributed in
		// the sentence before it ("Trump said … “I just want to see …”"):
		// quote both.
		if m.Speaker == "" && strings.HasPrefix(text, "“") {
			if ps, ok := sentenceBefore(a, text); ok {
				text = a.Text[ps : strings.Index(a.Text[ps:], text)+ps+len(text)]
				if i := strings.Index(a.Text, text); i >= 0 {
					m.Speaker = speaker(a, i, i+len(text))
				}
			}
		}
		n, shown, ok := b.citeWhole(a, text)
		if !ok {
			continue
		}
		ct := b.ans.Citations[n-1]
		if m.Speaker == "" {
			// The whole quotation may name its speaker where it closes.
			m.Speaker = speaker(a, ct.Start, ct.End)
		}
		lead := fmt.Sprintf("%s has the line:", ct.Name())
		if m.Speaker != "" {
			lead = fmt.Sprintf("%s said it, according to %s:", m.Speaker, ct.Name())
		}
		b.sentence(lead+" "+shown, n)
		if len(b.ans.Sentences) == 3 {
			break
		}
	}
	if len(b.ans.Citations) == 0 {
		ans.Answer = fmt.Sprintf("I couldn't find “%s” in the articles, word for word or nearly.", q.Quoted)
		return ans, nil
	}
	ans.Grounded, ans.Support = true, 1
	ans.Sentences = b.ans.Sentences
	ans.Citations = b.ans.Citations
	ans.Answer = renderText(ans.Sentences)
	return ans, nil
}

// hasTopic reports whether content names something to look for, besides
// words about the articles themselves ("the reports", "the sources").
func hasTopic(content string) bool {
	for _, t := range retrieval.Analyze(content) {
		if !metaTerms[t] && !askWords[t] {
			return true
		}
	}
	return false
}

// sentenceBefore returns the start of the body sentence just before the
// sentence text, when both lie in the same body span.
func sentenceBefore(a *article.Article, text string) (int, bool) {
	at := strings.Index(a.Text, text)
	if at < 0 {
		return 0, false
	}
	for _, span := range a.Body {
		if at < span.Start || at >= span.End {
			continue
		}
		prev := -1
		for _, sp := range sentence.SplitQuotes(a.Text[span.Start:span.End]) {
			if span.Start+sp.Start >= at {
				break
			}
			prev = span.Start + sp.Start
		}
		return prev, prev >= 0
	}
	return 0, false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
