package answer

import (
	"cmp"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/retrieval"
)

// This file exports thin wrappers over the composer's internals for other
// composers of cited text, such as the daily briefing: citing a
// disagreement into a citation set, and the cross-outlet disagreement
// finder.

// CiteConflict cites both sides of c into set and returns the disagreement
// with its citation numbers and a sentence that states it ("The reports
// differ on a figure (...): The Guardian: “$100bn” [3] versus ..."). ok is
// false, and nothing is added to the set, when a side's sentence is not
// verbatim in its article or a side's Says is not verbatim in its sentence.
func CiteConflict(set *citation.Set, c Conflict) (d Disagreement, text Sentence, ok bool) {
	in := disagreement{kind: c.Kind, about: c.About}
	for _, side := range c.Sides {
		sent := side.Sentence
		if sent.Article == nil || sent.Start < 0 || sent.End > len(sent.Article.Text) || sent.Start >= sent.End {
			return Disagreement{}, Sentence{}, false
		}
		in.sides = append(in.sides, disSide{cand: &candidate{art: sent.Article, start: sent.Start, end: sent.End}, says: side.Says})
	}
	if len(in.sides) < 2 {
		return Disagreement{}, Sentence{}, false
	}
	// A disagreement that fails half way leaves no stray citation behind.
	before := set.Len()
	b := &builder{set: set, dropped: new(atomic.Int64)}
	b.disagreement(in)
	if len(b.ans.Disagreements) == 0 {
		set.Truncate(before)
		return Disagreement{}, Sentence{}, false
	}
	return b.ans.Disagreements[0], b.ans.Sentences[0], true
}

// ArticleSentence is a sentence of an article: Article.Text[Start:End].
type ArticleSentence struct {
	Article    *article.Article
	Start, End int
	// Terms are the sentence's analysed terms (retrieval.Analyze), when the
	// caller has them; FindConflicts computes them otherwise.
	Terms []string
}

// Text returns the sentence's text.
func (s ArticleSentence) Text() string { return s.Article.Text[s.Start:s.End] }

// Conflict is a fact two sentences of different outlets give differently,
// found by FindConflicts and not yet cited. Kind is "figure" or "title" (or
// any kind a caller finds itself, such as "timing"); each side's Says is a
// verbatim part of its sentence.
type Conflict struct {
	Kind  string
	About string
	Sides []ConflictSide
	// Similarity is the term overlap (Jaccard, 0..1) of the two sentences:
	// how surely they speak of the same thing.
	Similarity float64
}

// ConflictSide is one version of a disputed fact.
type ConflictSide struct {
	Sentence ArticleSentence
	Says     string
}

// FindConflicts looks, among sentences of several articles, for pairs from
// different sources (outlets, or articles when the outlet is unknown) that
// give the same fact differently: a different title for the same person, or
// a different figure in the same context. It uses the same tests as the
// composer's answers, and, because its sentences are not chosen for a
// question, asks more of a figure: the two sentences must overlap by at
// least minSimilarity (Jaccard of their analysed terms), share a name (a
// capitalised word past the first) and two words of the figures' context,
// and a pair of sentences gives at most one figure; a former title ("ex-Y
// Combinator president", "former minister") is no conflict with a present
// one. Results are best first (titles, then by similarity), one per
// fact.
func FindConflicts(sents []ArticleSentence, minSimilarity float64) []Conflict {
	type prepared struct {
		cd      *candidate
		figures bool
		people  map[string]bool
		names   map[string]bool
		source  string
	}
	preps := make([]prepared, 0, len(sents))
	for _, s := range sents {
		if s.Article == nil || s.Start < 0 || s.End > len(s.Article.Text) || s.Start >= s.End {
			continue
		}
		cd := &candidate{art: s.Article, start: s.Start, end: s.End}
		cd.terms = s.Terms
		if cd.terms == nil {
			cd.terms = retrieval.Analyze(cd.text())
		}
		cd.set = make(map[string]bool, len(cd.terms))
		for _, t := range cd.terms {
			cd.set[t] = true
		}
		p := prepared{cd: cd, figures: len(figures(cd.text())) > 0, source: cd.source()}
		if p.figures {
			p.names = namesIn(cd.text())
		}
		for _, tp := range titledPeople(cd.text()) {
			if p.people == nil {
				p.people = map[string]bool{}
			}
			p.people[tp.key] = true
		}
		preps = append(preps, p)
	}
	var out []Conflict
	seen := map[string]bool{}
	add := func(d disagreement, sim float64) {
		key := d.kind + "|" + strings.ToLower(d.about)
		if d.kind == "figure" {
			for _, s := range d.sides {
				key += "|" + strings.ToLower(s.says)
			}
		}
		if seen[key] {
			return
		}
		seen[key] = true
		c := Conflict{Kind: d.kind, About: d.about, Similarity: sim}
		for _, s := range d.sides {
			c.Sides = append(c.Sides, ConflictSide{
				Sentence: ArticleSentence{Article: s.cand.art, Start: s.cand.start, End: s.cand.end},
				Says:     s.says,
			})
		}
		out = append(out, c)
	}
	for i, a := range preps {
		for _, b := range preps[i+1:] {
			figs := a.figures && b.figures
			if !figs && (a.people == nil || b.people == nil) {
				continue
			}
			if a.source == b.source || a.cd.art.ID == b.cd.art.ID {
				continue
			}
			people := sharesKey(a.people, b.people)
			if !figs && !people {
				continue
			}
			sim := jaccard(a.cd.set, b.cd.set)
			if figs && sim >= minSimilarity && sharesKey(a.names, b.names) {
				// One figure per pair of sentences: the first that differs.
				for _, d := range figureConflicts(a.cd, b.cd) {
					if d.shared >= 2 {
						add(d, sim)
						break
					}
				}
			}
			if people {
				for _, d := range titleConflicts(a.cd, b.cd) {
					if !pastTitle(d.sides[0]) && !pastTitle(d.sides[1]) {
						add(d, sim)
					}
				}
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Conflict) int {
		if (x.Kind == "title") != (y.Kind == "title") {
			if x.Kind == "title" {
				return -1
			}
			return 1
		}
		return cmp.Compare(y.Similarity, x.Similarity)
	})
	return out
}

func sharesKey(a, b map[string]bool) bool {
	for k := range a {
		if b[k] {
			return true
		}
		for l := range b {
			if len(k) >= 5 && nearSpelling(k, l) {
				return true
			}
		}
	}
	return false
}

// namesIn returns the capitalised words of a sentence past its first word,
// lower-cased and without possessives or punctuation: the names it mentions.
func namesIn(s string) map[string]bool {
	out := map[string]bool{}
	for i, w := range strings.Fields(s) {
		if i == 0 || !startsUpper(strings.TrimLeft(w, "“\"‘'(")) {
			continue
		}
		w = strings.Trim(w, ".,;:!?()“”\"'‘’")
		w = strings.TrimSuffix(strings.TrimSuffix(w, "’s"), "'s")
		if len(w) > 1 {
			out[strings.ToLower(w)] = true
		}
	}
	return out
}

// pastTitle reports a title someone no longer holds: "former", "ex-",
// "then-" or the like in it or just before it.
func pastTitle(side disSide) bool {
	text := side.cand.text()
	i := strings.Index(text, side.says)
	if i < 0 {
		return false
	}
	from := i
	for n := 0; from > 0 && n < 3; n++ { // up to three words back
		from = strings.LastIndexAny(text[:from], " \t\n")
		if from < 0 {
			from = 0
		}
	}
	l := strings.ToLower(text[from : i+len(side.says)])
	for _, w := range []string{"former", "ex-", "then-", "onetime", "one-time", "erstwhile", "outgoing", "ousted"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}
