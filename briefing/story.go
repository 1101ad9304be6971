package briefing

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/citation"
)

// Limits of a story.
const (
	minPoints         = 2
	maxPoints         = 4
	maxDisagreements  = 3
	maxCorroborations = 2    // extra citations of a point from other articles
	redundantOverlap  = 0.45 // a point this close to a chosen one repeats it
	corroborates      = 0.5  // a sentence this close to a point backs it
	headlineLimit     = 120  // bytes of a headline made from a sentence
	titleLimit        = 150  // bytes of a headline made from a title
	conflictOverlap   = 0.2  // least sentence overlap for a figure conflict
	minPointScore     = 0.5  // of the best score, for a point from a new outlet
	leadBonus         = 0.3  // weight of a sentence's nearness to the top
	leadSentences     = 10.0 // sentences that get a lead bonus
	longSentence      = 45   // words
	longPenalty       = 0.85 // score factor for a long sentence
)

// story is a group of analysed articles about one event.
type story struct {
	docs    []*doc
	sources map[string]bool
	newest  time.Time
	rep     *doc // the most representative article
	center  vector
	ranked  []scored          // claim sentences, best first
	found   []answer.Conflict // see conflicts; nil until computed
	// split is true for a story that fills the briefing: it is told in
	// threads too.
	split bool
}

// scored is a sentence with its score as a point of a story.
type scored struct {
	s     *sent
	score float64
}

func newStory(g []*doc) *story {
	sortDocs(g)
	st := &story{docs: g, sources: map[string]bool{}, rep: medoid(g), center: centroid(g)}
	for _, d := range g {
		st.sources[d.source] = true
		if d.art.PublishedAt.After(st.newest) {
			st.newest = d.art.PublishedAt
		}
	}
	st.ranked = st.rank()
	return st
}

func (st *story) key() string { return st.rep.art.ID }

// rank scores the claim sentences of the story: how close each is to the
// story's centroid, with a bonus for the lead of an article, where news
// writing puts the facts.
func (st *story) rank() []scored {
	var out []scored
	for _, d := range st.docs {
		for _, s := range d.sents {
			if !s.claim {
				continue
			}
			sc := cosine(s.vec, st.center)
			if s.pos < leadSentences {
				sc *= 1 + leadBonus*(1-float64(s.pos)/leadSentences)
			}
			if s.words > longSentence {
				sc *= longPenalty
			}
			out = append(out, scored{s, sc})
		}
	}
	slices.SortStableFunc(out, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	return out
}

// pick chooses the story's points: one from each outlet in turn while
// their best sentences are good enough, then the best remaining ones, never
// repeating a chosen point and at most two from one article.
func (st *story) pick() []*sent {
	if len(st.ranked) == 0 {
		return nil
	}
	target := min(max(len(st.docs), minPoints), maxPoints)
	best := st.ranked[0].score
	var chosen []*sent
	perDoc := map[*doc]int{}
	sources := map[string]bool{}
	redundant := func(s *sent) bool {
		for _, c := range chosen {
			if c == s || overlaps(c, s) || jaccard(c.set, s.set) > redundantOverlap {
				return true
			}
		}
		return false
	}
	choose := func(s *sent) {
		chosen = append(chosen, s)
		perDoc[s.d]++
		sources[s.d.source] = true
	}
	for _, c := range st.ranked {
		if len(chosen) == target {
			break
		}
		if sources[c.s.d.source] || c.score < minPointScore*best || redundant(c.s) {
			continue
		}
		choose(c.s)
	}
	for _, c := range st.ranked {
		if len(chosen) == target {
			break
		}
		if perDoc[c.s.d] >= 2 || redundant(c.s) {
			continue
		}
		choose(c.s)
	}
	return chosen
}

// corroboration finds, in each other article of the story, the sentence
// that most nearly says the same as s, when one is close enough.
func (st *story) corroboration(s *sent) []*sent {
	var out []*sent
	for _, d := range st.docs {
		if d == s.d || d.source == s.d.source {
			continue
		}
		var best *sent
		bestSim := corroborates
		for _, o := range d.sents {
			if !o.claim {
				continue
			}
			if sim := jaccard(s.set, o.set); sim >= bestSim {
				best, bestSim = o, sim
			}
		}
		if best != nil {
			out = append(out, best)
			if len(out) == maxCorroborations {
				break
			}
		}
	}
	return out
}

// headline is the representative article's title, or when it has none a
// sentence of the story from it, the most central one that makes a
// headline of its own (whole, or its leading clause); never a phrase cut
// off in the middle.
func (st *story) headline() string {
	if t := collapse(st.rep.art.Title); t != "" {
		h, _ := headlineOf(t, titleLimit)
		return h
	}
	var fallback string
	for _, c := range st.ranked {
		if c.s.d != st.rep || c.s.joined {
			continue
		}
		h, ok := headlineOf(c.s.text(), headlineLimit)
		if ok {
			return h
		}
		if fallback == "" {
			fallback = h
		}
	}
	for _, c := range st.ranked {
		if c.s.joined {
			continue
		}
		if h, ok := headlineOf(c.s.text(), headlineLimit); ok {
			return h
		}
	}
	if fallback != "" {
		return fallback
	}
	for _, s := range st.rep.sents {
		if h, ok := headlineOf(s.text(), titleLimit); ok {
			return h
		}
	}
	return st.rep.art.ID
}

// outlets lists the story's outlets in alphabetical order.
func (st *story) outlets() []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range st.docs {
		if !seen[d.source] {
			seen[d.source] = true
			out = append(out, d.outlet)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return out
}

func (st *story) articleIDs() []string {
	out := make([]string, len(st.docs))
	for i, d := range st.docs {
		out[i] = d.art.ID
	}
	return out
}

// skeleton is the story without points or disagreements.
func (st *story) skeleton() Story {
	return Story{Key: st.key(), Headline: st.headline(), Outlets: st.outlets(), Articles: st.articleIDs(), Points: []answer.Sentence{}}
}

// extractive writes the story from its own sentences, citing into set.
func (st *story) extractive(set *citation.Set) Story {
	out := st.skeleton()
	picked := st.pick()
	for _, s := range picked {
		n, ok := set.Cite(s.d.art, s.text())
		if !ok {
			continue
		}
		p := answer.Sentence{Text: collapse(s.text()), Citations: []int{n}}
		for _, o := range st.corroboration(s) {
			if m, ok := set.Cite(o.d.art, o.text()); ok && !slices.Contains(p.Citations, m) {
				p.Citations = append(p.Citations, m)
			}
		}
		out.Points = append(out.Points, p)
	}
	if st.split {
		out.Threads = st.extractiveThreads(set, picked, out.Headline)
	}
	out.Disagreements = st.disagreements(set, nil)
	return out
}

// disagreements finds the facts the story's outlets report differently and
// cites both sides of each into set; extra are disagreements found
// elsewhere (by the model), placed first. A fact whose sides say the same as
// one already shown is not shown twice.
func (st *story) disagreements(set *citation.Set, extra []answer.Conflict) []answer.Disagreement {
	if len(st.sources) < 2 {
		return nil
	}
	found := st.conflicts()
	cands := append(append([]answer.Conflict{}, extra...), spread(found)...)
	var out []answer.Disagreement
	seen := map[string]bool{}
	for _, c := range cands {
		if len(out) == maxDisagreements {
			break
		}
		// One fact once, however it is described.
		var says []string
		for _, s := range c.Sides {
			says = append(says, strings.ToLower(collapse(s.Says)))
		}
		slices.Sort(says)
		key := c.Kind + "|" + strings.Join(says, "|")
		if seen[key] {
			continue
		}
		d, _, ok := answer.CiteConflict(set, c)
		if !ok {
			continue
		}
		seen[key] = true
		out = append(out, d)
	}
	return out
}

// conflicts finds, once, the facts the story's outlets give differently.
func (st *story) conflicts() []answer.Conflict {
	if st.found != nil || len(st.sources) < 2 {
		return st.found
	}
	var sents []answer.ArticleSentence
	for _, d := range st.docs {
		for _, s := range d.sents {
			// Whole sentences only: figures in price lists and tables are
			// not facts the outlets report.
			if s.words >= 6 && endsSentence(s.text()) {
				sents = append(sents, answer.ArticleSentence{Article: d.art, Start: s.start, End: s.end, Terms: s.terms})
			}
		}
	}
	st.found = append(answer.FindConflicts(sents, conflictOverlap), timingConflicts(st)...)
	if st.found == nil {
		st.found = []answer.Conflict{}
	}
	return st.found
}

// spread reorders conflicts so that the best of each kind comes first.
func spread(cs []answer.Conflict) []answer.Conflict {
	var first, rest []answer.Conflict
	kinds := map[string]bool{}
	for _, c := range cs {
		if !kinds[c.Kind] {
			kinds[c.Kind] = true
			first = append(first, c)
		} else {
			rest = append(rest, c)
		}
	}
	return append(first, rest...)
}

// overlaps reports two sentences of one article that share text (a
// sentence and the point that takes it in before the next one).
func overlaps(a, b *sent) bool {
	return a.d == b.d && a.start < b.end && b.start < a.end
}
