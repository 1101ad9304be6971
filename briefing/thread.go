package briefing

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/briefbot/briefbot/answer"
	"github.com/briefbot/briefbot/citation"
	"github.com/briefbot/briefbot/retrieval"
)

// Threads: a story that fills the briefing (the seeds are one event told by
// five outlets) is split into its strands. The story's key terms, words
// that several of its articles use in some but not most of its sentences,
// are clustered by the sentences they share ("boots", "ground", "troops";
// "weapons", "purchase"); each cluster is a thread, and the sentences
// closest to it are its points.

// Limits of threads.
const (
	minThreadDocs    = 3    // articles a story needs to be split
	maxThreads       = 5    // threads of a story
	maxThreadPoints  = 3    // points of a thread
	minThreadPoints  = 2    // a thread with fewer is left out
	maxKeyTerms      = 150  // key terms clustered, the most frequent
	minTermSentences = 3    // sentences a key term is in
	maxTermShare     = 0.3  // of the story's sentences a key term may be in
	termLink         = 0.15 // least average overlap of two term clusters to merge
	threadFit        = 0.2  // least cosine of a sentence to its thread
	pointFit         = 0.3  // least cosine of a sentence to its thread to be one of its points
)

// fillsBriefing reports a story that is to be split into threads: one
// that holds at least half of the briefing's articles, and at least
// minThreadDocs of them.
func fillsBriefing(st *story, articles int) bool {
	return len(st.docs) >= minThreadDocs && 2*len(st.docs) >= articles
}

// thread is a cluster of key terms and the sentences that fit it.
type thread struct {
	terms   vector // key terms, unit length
	members []fit  // sentences, best fit first
	docs    int    // articles of the members
	// core counts the members that hold two or more of the key terms, and
	// coreDocs their articles: a thread is what several sentences say
	// with the same words, not one word that recurs.
	core, coreDocs int
	weight         float64 // sum of the members' fits
}

type fit struct {
	s    *sent
	cos  float64
	core bool // holds two or more of the thread's key terms
}

// keyVector is the sentence's vector over the key terms, of unit length.
func keyVector(s *sent, w map[string]float64) vector {
	v := vector{}
	norm := 0.0
	for t := range s.set {
		if x, ok := w[t]; ok {
			v[t] = x
			norm += x * x
		}
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

// findThreads clusters the story's claim sentences into threads, largest
// first.
func (st *story) findThreads() []*thread {
	var claims []*sent
	for _, d := range st.docs {
		for _, s := range d.sents {
			if s.claim {
				claims = append(claims, s)
			}
		}
	}
	n := len(claims)
	if n < 2*minThreadPoints {
		return nil
	}
	// Key terms and their sentences.
	inSents := map[string][]int{}
	inDocs := map[string]map[*doc]bool{}
	for i, s := range claims {
		for t := range s.set {
			if !hasLetter(t) {
				continue
			}
			inSents[t] = append(inSents[t], i)
			if inDocs[t] == nil {
				inDocs[t] = map[*doc]bool{}
			}
			inDocs[t][s.d] = true
		}
	}
	named := map[string]int{}
	for _, s := range claims {
		if s.named == nil {
			s.named = namedTerms(s.d.art.Text[s.own:s.end])
		}
		for t := range s.named {
			named[t]++
		}
	}
	var keys []string
	for t, ss := range inSents {
		if len(ss) >= minTermSentences && float64(len(ss)) <= maxTermShare*float64(n) && len(inDocs[t]) >= 2 &&
			2*named[t] < len(ss) && !commonWords[t] {
			keys = append(keys, t)
		}
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(len(inSents[b]), len(inSents[a])); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	if len(keys) > maxKeyTerms {
		keys = keys[:maxKeyTerms]
	}
	weight := make(map[string]float64, len(keys))
	for _, t := range keys {
		weight[t] = math.Log(float64(n) / float64(len(inSents[t])))
	}
	// Average-linkage clustering of the key terms by the sentences they
	// share.
	k := len(keys)
	sim := make([][]float64, k)
	for i := range sim {
		sim[i] = make([]float64, k)
	}
	for i := 0; i < k; i++ {
		a := inSents[keys[i]]
		for j := i + 1; j < k; j++ {
			b := inSents[keys[j]]
			s := float64(countCommon(a, b)) / math.Sqrt(float64(len(a)*len(b)))
			sim[i][j], sim[j][i] = s, s
		}
	}
	members := make([][]int, k)
	alive := make([]bool, k)
	for i := range members {
		members[i] = []int{i}
		alive[i] = true
	}
	for {
		bi, bj, best := -1, -1, termLink
		for i := 0; i < k; i++ {
			if !alive[i] {
				continue
			}
			for j := i + 1; j < k; j++ {
				if alive[j] && sim[i][j] > best+1e-12 {
					bi, bj, best = i, j, sim[i][j]
				}
			}
		}
		if bi < 0 {
			break
		}
		ni, nj := float64(len(members[bi])), float64(len(members[bj]))
		for x := 0; x < k; x++ {
			if !alive[x] || x == bi || x == bj {
				continue
			}
			s := (ni*sim[bi][x] + nj*sim[bj][x]) / (ni + nj)
			sim[bi][x], sim[x][bi] = s, s
		}
		members[bi] = append(members[bi], members[bj]...)
		alive[bj] = false
	}
	var ths []*thread
	for i := 0; i < k; i++ {
		if !alive[i] || len(members[i]) < 2 {
			continue // one word alone is no thread
		}
		th := &thread{terms: vector{}}
		norm := 0.0
		for _, m := range members[i] {
			w := weight[keys[m]]
			th.terms[keys[m]] = w
			norm += w * w
		}
		norm = math.Sqrt(norm)
		for t := range th.terms {
			th.terms[t] /= norm
		}
		ths = append(ths, th)
	}
	// Each sentence goes to the thread it fits best.
	for _, s := range claims {
		v := keyVector(s, weight)
		var best *thread
		bestCos := threadFit
		for _, th := range ths {
			if c := cosine(v, th.terms); c > bestCos+1e-12 {
				best, bestCos = th, c
			}
		}
		if best != nil {
			best.members = append(best.members, fit{s: s, cos: bestCos})
		}
	}
	var out []*thread
	for _, th := range ths {
		docs, coreDocs := map[*doc]bool{}, map[*doc]bool{}
		for i := range th.members {
			m := &th.members[i]
			docs[m.s.d] = true
			th.weight += m.cos
			shared := 0
			for t := range th.terms {
				if m.s.set[t] {
					shared++
				}
			}
			if shared >= 2 {
				m.core = true
				th.core++
				coreDocs[m.s.d] = true
			}
		}
		th.docs, th.coreDocs = len(docs), len(coreDocs)
		if th.coreDocs < 2 || th.core < minThreadPoints {
			continue
		}
		slices.SortStableFunc(th.members, func(a, b fit) int {
			if c := cmp.Compare(b.cos*leadWeight(b.s), a.cos*leadWeight(a.s)); c != 0 {
				return c
			}
			return cmp.Compare(a.s.pos, b.s.pos)
		})
		out = append(out, th)
	}
	slices.SortStableFunc(out, func(a, b *thread) int {
		if c := cmp.Compare(b.core, a.core); c != 0 {
			return c
		}
		if c := cmp.Compare(b.coreDocs, a.coreDocs); c != 0 {
			return c
		}
		return cmp.Compare(b.weight, a.weight)
	})
	return out
}

// commonWords are the terms of words common in any English text, verbs and
// adverbs of reporting above all: a thread is about what they do, not that
// someone said or wanted it. Read only.
var commonWords = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range retrieval.Analyze(`say said says tell told ask asked want see seen look take took make made go
		went come came get got give gave know knew think thought use find found keep kept put call called seem
		leave left need show showed help try tried work move begin began start started continue hold held bring
		brought turn turned mean meant feel felt become became add added note noted describe described
		also just even still well back way part one two three first last next new old good great big
		little long high day week month year time today yesterday tomorrow now then later earlier recent
		recently many much more most some such other another same own very really already yet again ago
		people thing things lot place case point fact number group side end kind able likely possible
		according including without within around across among toward towards per`) {
		m[t] = true
	}
	return m
}()

// leadWeight favours a sentence near the top of its article.
func leadWeight(s *sent) float64 {
	return 1 + leadBonus*max(0, 1-float64(s.pos)/leadSentences)
}

func countCommon(a, b []int) int { // both sorted
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			n++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return n
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// extractiveThreads writes the story's threads, citing into set. used
// holds the sentences already shown as the story's points; a thread's
// points repeat none of them nor another thread's.
func (st *story) extractiveThreads(set *citation.Set, used []*sent, storyHeadline string) []Thread {
	var out []Thread
	headlines := map[string]bool{strings.ToLower(storyHeadline): true}
	for _, th := range st.findThreads() {
		if len(out) == maxThreads {
			break
		}
		var chosen []*sent
		docs := map[*doc]bool{}
		redundant := func(s *sent) bool {
			for _, c := range append(slices.Clone(used), chosen...) {
				if c == s || overlaps(c, s) || jaccard(c.set, s.set) > redundantOverlap {
					return true
				}
			}
			return false
		}
		// One point per article first, then the best remaining.
		for pass := 0; pass < 2; pass++ {
			for _, m := range th.members {
				if len(chosen) == maxThreadPoints {
					break
				}
				if pass == 0 && docs[m.s.d] || !m.core || m.cos < pointFit || redundant(m.s) {
					continue
				}
				chosen = append(chosen, m.s)
				docs[m.s.d] = true
			}
		}
		if len(chosen) < minThreadPoints {
			continue
		}
		t := Thread{Points: []answer.Sentence{}}
		ids := map[string]bool{}
		outlets := map[string]string{}
		for _, s := range chosen {
			n, ok := set.Cite(s.d.art, s.text())
			if !ok {
				continue
			}
			p := answer.Sentence{Text: collapse(s.text()), Citations: []int{n}}
			ids[s.d.art.ID], outlets[s.d.source] = true, s.d.outlet
			for _, o := range st.corroboration(s) {
				if m, ok := set.Cite(o.d.art, o.text()); ok && !slices.Contains(p.Citations, m) {
					p.Citations = append(p.Citations, m)
					ids[o.d.art.ID], outlets[o.d.source] = true, o.d.outlet
				}
			}
			t.Points = append(t.Points, p)
		}
		if len(t.Points) < minThreadPoints {
			continue
		}
		t.Headline = st.threadHeadline(th, chosen, headlines)
		headlines[strings.ToLower(t.Headline)] = true
		for _, d := range st.docs { // oldest first, as the story's
			if ids[d.art.ID] {
				t.Articles = append(t.Articles, d.art.ID)
			}
		}
		for _, o := range outlets {
			t.Outlets = append(t.Outlets, o)
		}
		slices.SortFunc(t.Outlets, func(a, b string) int { return cmp.Compare(strings.ToLower(a), strings.ToLower(b)) })
		used = append(used, chosen...)
		out = append(out, t)
	}
	if len(out) < 2 {
		return nil // one thread is the story itself
	}
	return out
}

// threadHeadline is the leading clause (or the whole) of the thread's
// best point that makes a headline of its own; else, of the story's
// headings ("Disagreements Over Territorial Concessions") and the thread's
// other sentences, the one closest to what its points say that holds some
// of its key terms; never one already taken.
func (st *story) threadHeadline(th *thread, points []*sent, taken map[string]bool) string {
	for _, s := range points {
		if h, ok := headlineOf(s.text(), headlineLimit); ok && !taken[strings.ToLower(h)] {
			return h
		}
	}
	center := vector{}
	for _, s := range points {
		for t, w := range s.vec {
			center[t] += w
		}
	}
	holdsKey := func(h string) bool {
		for _, t := range retrieval.Analyze(h) {
			if th.terms[t] > 0 {
				return true
			}
		}
		return false
	}
	best, bestScore, fallback := "", 0.0, ""
	consider := func(s *sent, bonus float64) {
		h, ok := headlineOf(s.text(), headlineLimit)
		if taken[strings.ToLower(h)] {
			return
		}
		if !ok {
			if fallback == "" {
				fallback = h
			}
			return
		}
		if !holdsKey(h) {
			return
		}
		if sc := cosine(s.vec, center) * bonus; sc > bestScore+1e-12 {
			best, bestScore = h, sc
		}
	}
	for _, d := range st.docs {
		for _, s := range d.sents {
			if isHeading(s) {
				consider(s, headingBonus)
			}
		}
	}
	for _, m := range th.members {
		consider(m.s, 1)
	}
	if best != "" {
		return best
	}
	return fallback
}

// headingBonus favours a heading the article gives over a clause cut
// from a sentence, when they say as much of the thread.
const headingBonus = 1.2

// isHeading reports a line that heads a section: a few words, most of
// them capitalised, not ending like a sentence.
func isHeading(s *sent) bool {
	txt := collapse(s.text())
	if s.words < 3 || s.words > 14 || s.joined || strings.HasSuffix(txt, ".") || strings.HasSuffix(txt, ":") {
		return false
	}
	r, _ := utf8.DecodeRuneInString(txt)
	return unicode.IsUpper(r)
}
