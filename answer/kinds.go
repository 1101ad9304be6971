package answer

import (
	"context"
	"fmt"
	"strings"

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
		qt, cands, picked, sup := c.evidence(pq, query, hits)
		ans.Support = sup
		if len(picked) == 0 || sup == 0 || sup < c.opts.MinCoverage {
			ans.Answer = NotCovered
			return ans
		}
		chosen = topicPoints(cands, picked, qt)
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
	arts := map[string]bool{}
	for _, ct := range b.ans.Citations {
		arts[ct.Source] = true
	}
	lead := Sentence{Text: fmt.Sprintf("The main points, from %s:", plural(len(arts), "article", "articles"))}
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

// topicPoints picks up to overviewPoints points about the topic from
// picked and then cands (best first): sentences that hold at least onTopic
// of the topic's terms qt themselves, from at least two articles, at most
// two per article, not repeating each other. When fewer than three such
// sentences are found, sentences holding the topic's rarest term (or a
// paraphrase of it) complete the points.
func topicPoints(cands, picked []*candidate, qt []weightedTerm) []*candidate {
	pool := append(append([]*candidate(nil), picked...), cands...)
	if len(pool) == 0 {
		return nil
	}
	best := 0.0
	for _, cd := range pool {
		best = max(best, cd.score)
	}
	var out []*candidate
	per := map[string]int{}
	var rarest weightedTerm
	for _, t := range qt {
		if t.weight > rarest.weight {
			rarest = t
		}
	}
	holdsRarest := func(cd *candidate) bool { return cd.set[rarest.term] || anyIn(rarest.alts, cd.set) }
	take := func(minCov, minScore float64, rare bool) {
		for _, cd := range pool {
			if len(out) >= overviewPoints {
				return
			}
			if cd.cov < minCov || cd.score < minScore || rare && !holdsRarest(cd) || per[cd.art.ID] >= 2 || containsCand(out, cd) || len(strings.Fields(cd.text())) < 8 || !endsSentence(cd.text()) {
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

// topicFrames are words that frame an overview's topic without naming it
// ("the territory question", "what happened today"): they are left out of
// the topic.
var topicFrames = termSet("question questions issue issues matter matters topic subject situation story today yesterday tonight now recently lately overnight so far this week weekend morning afternoon evening")

// overviewTopic is an overview question's content without the words that
// frame the topic.
func overviewTopic(content string) string {
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
