package briefing

import (
	"github.com/briefbot/briefbot/citation"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/sentence"
)

// vector is a sparse TF-IDF vector of analysed terms, of unit length.
type vector map[string]float64

// cosine is the cosine similarity of two unit vectors.
func cosine(a, b vector) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	s := 0.0
	for t, w := range a {
		s += w * b[t]
	}
	return s
}

// idfFloor is the least weight of a term. The index's BM25 IDF gives a term
// that nearly every chunk has almost no weight, which in a small corpus about
// one event (the seeds) would ignore the very words the articles share.
const idfFloor = 1.0

// analysis turns articles into term vectors and sentences, with the index's
// IDF. It belongs to one Build and is not safe for concurrent use.
type analysis struct {
	index interface{ IDF(string) float64 }
	idf   map[string]float64
}

func newAnalysis(index interface{ IDF(string) float64 }) *analysis {
	return &analysis{index: index, idf: map[string]float64{}}
}

func (an *analysis) idfOf(t string) float64 {
	w, ok := an.idf[t]
	if !ok {
		w = max(an.index.IDF(t), idfFloor)
		an.idf[t] = w
	}
	return w
}

// vectorOf weighs term counts as (1 + ln tf) * idf and normalises.
func (an *analysis) vectorOf(counts map[string]int) vector {
	v := make(vector, len(counts))
	norm := 0.0
	for t, n := range counts {
		w := (1 + math.Log(float64(n))) * an.idfOf(t)
		if w <= 0 {
			continue
		}
		v[t] = w
		norm += w * w
	}
	if norm == 0 {
		return v
	}
	norm = math.Sqrt(norm)
	for t := range v {
		v[t] /= norm
	}
	return v
}

// doc is an analysed article.
type doc struct {
	art *article.Article
	// outlet is the name shown for the article's outlet; source is the key
	// that counts distinct outlets (an article of unknown outlet is a source
	// of its own).
	outlet, source string
	vec            vector
	sents          []*sent
}

// sent is a sentence of an article's body.
type sent struct {
	d          *doc
	start, end int // byte offsets into d.art.Text
	own        int // start of the sentence itself, after the one joined to it
	pos        int // position among the article's sentences, from 0
	words      int
	terms      []string
	set        map[string]bool
	vec        vector
	// claim is true for a sentence that can stand as a point: a whole
	// sentence of reasonable length, not a heading, question or list item,
	// caption, byline or table row, and not opening with a bare pronoun.
	claim bool
	// named holds the terms of the sentence's capitalised words after its
	// first: names of people, places and bodies. Made by findThreads.
	named map[string]bool
	// joined is true when the sentence opens with a pronoun and start
	// takes in the sentence before, which names whom it is about.
	joined bool
}

// maxJoinedWords bounds a point made of a sentence and the one before it.
const maxJoinedWords = 70

func (s *sent) text() string { return s.d.art.Text[s.start:s.end] }

// unknownOutlet names an article whose outlet is unknown the way answers
// do: by its title, else its site, never by its file name or ID.
func unknownOutlet(a *article.Article) string {
	return citation.Citation{Source: a.ID, Title: a.DisplayTitle(), URL: a.URL}.Name()
}

func (an *analysis) doc(a *article.Article) *doc {
	d := &doc{art: a, outlet: strings.TrimSpace(a.Outlet)}
	if d.outlet == "" {
		d.outlet = unknownOutlet(a)
		d.source = "\x00" + a.ID
	} else {
		d.source = strings.ToLower(d.outlet)
	}
	counts := map[string]int{}
	for _, t := range retrieval.Analyze(a.Title) {
		counts[t] += 2 // the title says what the article is about
	}
	title := collapse(a.Title)
	type raw struct{ start, end int }
	var raws [][]raw // sentences of each body span
	var texts []string
	for _, span := range a.Body {
		var rs []raw
		for _, sp := range sentence.Split(a.Text[span.Start:span.End]) {
			rs = append(rs, raw{span.Start + sp.Start, span.Start + sp.End})
			texts = append(texts, a.Text[span.Start+sp.Start:span.Start+sp.End])
		}
		raws = append(raws, rs)
	}
	var known *names // made when first needed: few sentences open with a pronoun
	seen := map[string]bool{}
	for _, rs := range raws {
		for i, r := range rs {
			s := &sent{d: d, start: r.start, own: r.start, end: r.end, pos: len(d.sents)}
			txt := s.text()
			key := strings.ToLower(collapse(txt))
			if seen[key] {
				continue // a live blog repeats its posts
			}
			seen[key] = true
			words := len(strings.Fields(txt))
			claim := isClaim(txt, words) && !strings.EqualFold(key, strings.ToLower(title)) &&
				!isCaptionOrByline(txt, a.Author) && !isTableLine(txt)
			if claim && opensWithPronoun(txt) {
				// A point never opens with a bare pronoun: it takes in the
				// sentence before when that one names whom it is about,
				// and is no point otherwise.
				claim = false
				if i > 0 {
					p := a.Text[rs[i-1].start:rs[i-1].end]
					pw := len(strings.Fields(p))
					namesSomeone := func() bool {
						if len(nameRuns(p)) > 0 {
							return true
						}
						if known == nil {
							n := newNames(texts)
							known = &n
						}
						return known.namesSomeone(p)
					}
					if !opensWithPronoun(p) && endsSentence(p) && pw >= 4 && words+pw <= maxJoinedWords &&
						namesSomeone() && !isCaptionOrByline(p, a.Author) && !isTableLine(p) {
						s.start, s.joined = rs[i-1].start, true
						txt = s.text()
						words += pw
						claim = true
					}
				}
			}
			s.claim = claim
			if s.joined {
				for _, t := range retrieval.Analyze(a.Text[r.start:r.end]) {
					counts[t]++ // the sentence's own words, once
				}
			}
			s.terms = retrieval.Analyze(txt)
			s.words = words
			sc := make(map[string]int, len(s.terms))
			s.set = make(map[string]bool, len(s.terms))
			for _, t := range s.terms {
				sc[t]++
				if !s.joined {
					counts[t]++
				}
				s.set[t] = true
			}
			s.vec = an.vectorOf(sc)
			d.sents = append(d.sents, s)
		}
	}
	d.vec = an.vectorOf(counts)
	return d
}

// isClaim reports a sentence that can stand as a point.
func isClaim(s string, words int) bool {
	if words < 8 || words > 60 {
		return false
	}
	if !endsSentence(s) || strings.HasSuffix(strings.TrimRight(s, ` "'”’)`), "?") {
		return false
	}
	if strings.Count(s, "“") != strings.Count(s, "”") || strings.Count(s, `"`)%2 != 0 {
		return false // a piece of a quotation
	}
	r, _ := utf8.DecodeRuneInString(s)
	if unicode.IsLower(r) {
		return false // a fragment, such as the rest of a quotation
	}
	// A headline in title case ("Trump Brokers Ukraine Peace Talks As ...").
	caps, all := 0, 0
	for _, w := range strings.Fields(s) {
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsLetter(r) {
			continue
		}
		all++
		if unicode.IsUpper(r) {
			caps++
		}
	}
	return all == 0 || float64(caps)/float64(all) < 0.6
}

func endsSentence(s string) bool {
	s = strings.TrimRight(s, ` "'”’)]`)
	return strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?")
}

// collapse folds runs of white space to single spaces.
func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// jaccard is the overlap of two term sets.
func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	inter := 0
	for t := range a {
		if b[t] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// namedTerms returns the terms of the capitalised words of s after its
// first word.
func namedTerms(s string) map[string]bool {
	var caps []string
	for i, w := range strings.Fields(s) {
		if i == 0 {
			continue
		}
		w = strings.TrimLeft(w, `"“‘'([`)
		if r, _ := utf8.DecodeRuneInString(w); unicode.IsUpper(r) {
			caps = append(caps, w)
		}
	}
	out := make(map[string]bool, len(caps))
	for _, t := range retrieval.Analyze(strings.Join(caps, " ")) {
		out[t] = true
	}
	return out
}
