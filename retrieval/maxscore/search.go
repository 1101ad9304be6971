package maxscore

import (
	"math"
	"slices"
	"sort"

	"github.com/briefbot/briefbot/retrieval/topk"
)

// slack widens every upper bound a little, so that float32 rounding in the
// exact scores can never make a pruned document the better one.
const slack = 1 + 1e-5

// termBounds are, per term, the largest BM25F pseudo-frequencies (tf over
// the length normalisation) a chunk or an article can have: text part plus
// title part, for the parameters they were computed for.
type termBounds struct {
	chunk, article Params
	chunkX, artX   []float64
}

// Prepare computes the per-term upper bounds for the given chunk-level and
// article-level parameters. Search computes them itself (at the cost of a
// pass over every posting) for parameters it was not prepared for; call
// Prepare again when the parameters change. Prepare must not run
// concurrently with Search.
func (ix *Index) Prepare(chunk, article Params) {
	ix.bounds = ix.computeBounds(chunk, article)
}

func (ix *Index) computeBounds(chunk, article Params) *termBounds {
	n := max(ix.ChunkPost.Terms(), ix.ArtPost.Terms())
	b := &termBounds{chunk: chunk, article: article, chunkX: make([]float64, n), artX: make([]float64, n)}
	maxList := func(p *Postings, t uint32, lens []float32, avg float64, bb, w float64) float64 {
		lo, hi := p.Span(t)
		m := 0.0
		for pos := lo; pos < hi; pos++ {
			norm := (1 - bb) + bb*float64(lens[p.Doc[pos]])/avg
			m = max(m, w*float64(p.Freq(pos))/norm)
		}
		return m
	}
	for t := 0; t < n; t++ {
		id := uint32(t)
		b.chunkX[t] = maxList(&ix.ChunkPost, id, ix.ChunkLen, ix.AvgChunk, chunk.B, 1)
		b.artX[t] = maxList(&ix.ArtPost, id, ix.ArtLen, ix.AvgArt, article.B, 1)
		if chunk.TitleW > 0 {
			b.chunkX[t] += maxList(&ix.TitlePost, id, ix.TitleLen, ix.AvgTitle, chunk.TitleB, chunk.TitleW)
		}
		if article.TitleW > 0 {
			b.artX[t] += maxList(&ix.TitlePost, id, ix.TitleLen, ix.AvgTitle, article.TitleB, article.TitleW)
		}
	}
	return b
}

// level is one of the two scorings: of chunks, or of articles.
type level struct {
	ix       *Index
	p        Params
	text     *Postings // term -> docs of this level
	lens     []float32
	avg      float64
	first    []int32 // article -> first doc of this level; nil: docs are articles
	n        int     // docs of this level
	isChunks bool
}

func (ix *Index) chunkLevel(p Params) level {
	return level{ix: ix, p: p, text: &ix.ChunkPost, lens: ix.ChunkLen, avg: ix.AvgChunk, first: ix.ArtFirst, n: ix.NChunks, isChunks: true}
}

func (ix *Index) articleLevel(p Params) level {
	return level{ix: ix, p: p, text: &ix.ArtPost, lens: ix.ArtLen, avg: ix.AvgArt, n: ix.NArts}
}

// end is the doc of an exhausted cursor.
const end = math.MaxInt32

// cursor walks one query term's docs at one level in increasing order: the
// union of the text postings and the docs of the articles whose title field
// has the term.
type cursor struct {
	term       int     // index in the query
	w          float64 // weight * idf * (k1+1)
	ub         float64 // upper bound of the contribution
	aPos, aEnd uint32  // text postings
	bPos, bEnd uint32  // title postings
	bDoc       int32   // current doc within the current title article, or end
	doc        int32
}

func (lv *level) newCursor(i int, t Term, bound float64) *cursor {
	ix := lv.ix
	c := &cursor{term: i}
	df := ix.ArtDF(t.ID)
	if lv.isChunks {
		df = ix.ChunkDF(t.ID)
	}
	c.w = t.Weight * IDF(lv.n, df) * (lv.p.K1 + 1)
	c.ub = c.w * bound / (lv.p.K1 + bound) * slack
	c.aPos, c.aEnd = lv.text.Span(t.ID)
	if lv.p.TitleW > 0 {
		c.bPos, c.bEnd = ix.TitlePost.Span(t.ID)
	}
	c.loadTitle(lv)
	c.setDoc(lv)
	return c
}

// loadTitle sets c.bDoc to the first doc of the title posting at c.bPos,
// skipping articles without docs at this level (an article with no
// chunks), or to end when the title postings are exhausted.
func (c *cursor) loadTitle(lv *level) {
	for ; c.bPos < c.bEnd; c.bPos++ {
		a := int32(lv.ix.TitlePost.Doc[c.bPos])
		if lv.first == nil {
			c.bDoc = a
			return
		}
		if lv.first[a] < lv.first[a+1] {
			c.bDoc = lv.first[a]
			return
		}
	}
	c.bDoc = end
}

// titleEnd returns the end of the docs of the title posting at pos.
func (lv *level) titleEnd(pos uint32) int32 {
	a := int32(lv.ix.TitlePost.Doc[pos])
	if lv.first == nil {
		return a + 1
	}
	return lv.first[a+1]
}

func (c *cursor) setDoc(lv *level) {
	c.doc = end
	if c.aPos < c.aEnd {
		c.doc = int32(lv.text.Doc[c.aPos])
	}
	c.doc = min(c.doc, c.bDoc)
}

// seek moves the cursor to its first doc at or after d.
func (c *cursor) seek(lv *level, d int32) {
	if c.doc >= d {
		return
	}
	if c.aPos < c.aEnd && int32(lv.text.Doc[c.aPos]) < d {
		docs := lv.text.Doc[c.aPos:c.aEnd]
		// Gallop, then binary search.
		step := 1
		for step < len(docs) && int32(docs[step]) < d {
			step *= 2
		}
		i := sort.Search(min(step+1, len(docs)), func(i int) bool { return int32(docs[i]) >= d })
		c.aPos += uint32(i)
	}
	for c.bDoc < d {
		if e := lv.titleEnd(c.bPos); d < e {
			c.bDoc = d
			break
		}
		c.bPos++
		c.loadTitle(lv)
	}
	c.setDoc(lv)
}

// contribution returns the cursor's term's float32 contribution to doc
// c.doc, computed exactly as the exhaustive scorer does.
func (c *cursor) contribution(lv *level) float32 {
	ix := lv.ix
	d := c.doc
	var acc float32
	if c.aPos < c.aEnd && int32(lv.text.Doc[c.aPos]) == d {
		norm := (1 - lv.p.B) + lv.p.B*float64(lv.lens[d])/lv.avg
		acc += float32(float64(lv.text.Freq(c.aPos)) / norm)
	}
	if c.bDoc == d {
		a := ix.TitlePost.Doc[c.bPos]
		norm := (1 - lv.p.TitleB) + lv.p.TitleB*float64(ix.TitleLen[a])/ix.AvgTitle
		acc += float32(lv.p.TitleW * float64(ix.TitlePost.Freq(c.bPos)) / norm)
	}
	x := float64(acc)
	return float32(c.w * x / (lv.p.K1 + x))
}

// next moves the cursor past its current doc.
func (c *cursor) next(lv *level) { c.seek(lv, c.doc+1) }

// run is MaxScore at one level: it returns the k docs best by
// final(doc, BM25F score), where final(d, s) <= s*scale + extra. Docs that
// allow rejects are skipped.
func (lv *level) run(terms []Term, bounds []float64, k int, allow func(d int32) bool, scale, extra float64, final func(d int32, s float32) float64) []Result {
	var cs []*cursor
	for i, t := range terms {
		x := 0.0
		if int(t.ID) < len(bounds) {
			x = bounds[t.ID]
		}
		c := lv.newCursor(i, t, x)
		if c.doc != end {
			cs = append(cs, c)
		}
	}
	if len(cs) == 0 {
		return nil
	}
	slices.SortStableFunc(cs, func(a, b *cursor) int {
		switch {
		case a.ub < b.ub:
			return -1
		case a.ub > b.ub:
			return 1
		}
		return 0
	})
	prefix := make([]float64, len(cs)+1) // prefix[i]: sum of the i smallest bounds
	for i, c := range cs {
		prefix[i+1] = prefix[i] + c.ub
	}
	contrib := make([]float32, len(terms))
	present := make([]bool, len(terms))
	h := topk.New[float64](k)
	ess := 0 // cs[ess:] are essential: a doc must have one of them to enter
	theta := math.Inf(-1)
	for {
		for ess < len(cs) && prefix[ess+1]*scale+extra < theta {
			ess++
		}
		if ess == len(cs) {
			break
		}
		d := int32(end)
		for _, c := range cs[ess:] {
			d = min(d, c.doc)
		}
		if d == end {
			break
		}
		if allow != nil && !allow(d) {
			for _, c := range cs[ess:] {
				if c.doc == d {
					c.next(lv)
				}
			}
			continue
		}
		clear(present)
		partial := 0.0
		for _, c := range cs[ess:] {
			if c.doc == d {
				x := c.contribution(lv)
				contrib[c.term], present[c.term] = x, true
				partial += float64(x)
				c.next(lv)
			}
		}
		bound := (partial+prefix[ess])*scale + extra
		pruned := false
		for i := ess - 1; i >= 0; i-- {
			if bound < theta {
				pruned = true
				break
			}
			c := cs[i]
			c.seek(lv, d)
			if c.doc == d {
				x := c.contribution(lv)
				contrib[c.term], present[c.term] = x, true
				bound += (float64(x) - c.ub) * scale
			} else {
				bound -= c.ub * scale
			}
		}
		if pruned || bound < theta {
			continue
		}
		var s float32
		for i := range terms {
			if present[i] {
				s += contrib[i]
			}
		}
		h.Push(Result{ID: d, Score: final(d, s)})
		theta = h.Threshold()
	}
	return h.Sorted()
}

// Search returns the K best chunks of q by lexical score, best first (ties
// by chunk): the same chunks with the same scores as Exhaustive, visiting
// only the postings that can still matter. It finds the best article's
// score and the best chunk's score (the normalisers) with MaxScore, then
// the K best chunks by the normalised sum with MaxScore again, an article's
// score computed when one of its chunks needs it.
func (ix *Index) Search(q Query) []Result {
	if len(q.Terms) == 0 || q.K <= 0 {
		return nil
	}
	b := ix.bounds
	if b == nil || b.chunk != q.Chunk || b.article != q.Article {
		b = ix.computeBounds(q.Chunk, q.Article)
	}
	var artAllow, chunkAllow func(int32) bool
	if q.Allowed != nil {
		artAllow = func(a int32) bool { return q.Allowed[a] }
		chunkAllow = func(c int32) bool { return q.Allowed[ix.ChunkArt[c]] }
	}
	id := func(_ int32, s float32) float64 { return float64(s) }

	cl := ix.chunkLevel(q.Chunk)
	best := cl.run(q.Terms, b.chunkX, 1, chunkAllow, 1, 0, id)
	if len(best) == 0 {
		return nil
	}
	maxChunk := float32(best[0].Score)

	var maxArt float32
	al := ix.articleLevel(q.Article)
	if q.ArticleWeight > 0 {
		if top := al.run(q.Terms, b.artX, 1, artAllow, 1, 0, id); len(top) > 0 {
			maxArt = float32(top[0].Score)
		}
	}
	// Chunks come in increasing order, so their articles do too: one
	// cursor per term at the article level, only ever moving forward,
	// scores each article once.
	acs := make([]*cursor, len(q.Terms))
	for i, t := range q.Terms {
		acs[i] = al.newCursor(i, t, 0)
	}
	lastArt, lastScore := int32(-1), float32(0)
	extra := 0.0
	final := func(c int32, s float32) float64 {
		x := float64(s / maxChunk)
		if maxArt > 0 {
			if a := ix.ChunkArt[c]; a != lastArt {
				lastArt, lastScore = a, 0
				for _, ac := range acs {
					ac.seek(&al, a)
					if ac.doc == a {
						lastScore += ac.contribution(&al)
					}
				}
			}
			x += q.ArticleWeight * float64(lastScore/maxArt)
		}
		return x
	}
	if maxArt > 0 {
		extra = q.ArticleWeight
	}
	return cl.run(q.Terms, b.chunkX, q.K, chunkAllow, 1/float64(maxChunk)*slack, extra*slack, final)
}
