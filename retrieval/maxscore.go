package retrieval

import (
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/briefbot/briefbot/retrieval/topk"
)

// The lexical search ranks chunks with MaxScore dynamic pruning, document
// at a time, segment after segment into one heap: a term's postings are
// visited only while the term can still lift a chunk into the results,
// given an upper bound of its contribution in the segment. The scores are
// computed with the same floating-point operations, in the same order, as
// scoring every posting would (lexical_oracle_test.go keeps that scorer as
// the test oracle), so the results are identical to the bit.

// segBounds are a segment's upper bounds of the BM25F pseudo-frequencies
// (term frequency over length normalisation) of each term with a long
// posting list, for the length normalisations they were computed with and
// the average lengths of that snapshot. tf/((1-b)+b*len/avg) grows with
// avg, by at most the ratio of the averages, so a later snapshot with
// larger averages scales them up by that ratio. A short list's bound is
// computed when a query asks for it, which costs about what visiting the
// list costs and spares the memory of a bound for every rare term.
type segBounds struct {
	b, artB, titleB, artTitleB float64
	avgChunk, avgArt, avgTitle float64
	chunk, art                 rowBounds
	title, artTitle            rowBounds
}

// minStoredBound is the shortest posting list whose bound is stored.
const minStoredBound = 32

// rowBounds are the bounds of the rows of some postings with at least
// minStoredBound postings.
type rowBounds struct {
	rows []uint32 // increasing
	max  []float32
}

// bounds returns the segment's bounds for the given length
// normalisations, computing them (one pass over its long posting lists)
// when they are not there yet or were computed for others: an add or a
// merge computes them before it publishes its snapshot (prepareBounds), so
// a search computes them only after a restart or a change of tuning.
func (g *lexSeg) bounds(lx *lexIndex, pc, pa bm25f) *segBounds {
	if sb := g.bnd.Load(); sb != nil && sb.b == pc.b && sb.artB == pa.b && sb.titleB == pc.titleB && sb.artTitleB == pa.titleB {
		return sb
	}
	sb := &segBounds{b: pc.b, artB: pa.b, titleB: pc.titleB, artTitleB: pa.titleB,
		avgChunk: lx.avgChunk, avgArt: lx.avgArt, avgTitle: lx.avgTitle}
	// The chunks' postings are most of the work: on another core.
	var wg sync.WaitGroup
	wg.Go(func() { sb.chunk = storedBounds(&g.chunkPost, lx.chunkLen, lx.avgChunk, pc.b) })
	sb.art = storedBounds(&g.artPost, lx.artLen, lx.avgArt, pa.b)
	sb.title = storedBounds(&g.titlePost, lx.titleLen, lx.avgTitle, pc.titleB)
	sb.artTitle = sb.title
	if pa.titleB != pc.titleB {
		sb.artTitle = storedBounds(&g.titlePost, lx.titleLen, lx.avgTitle, pa.titleB)
	}
	wg.Wait()
	g.bnd.Store(sb)
	return sb
}

// prepareBounds computes the bounds that searches with tuning t use in
// every segment that lacks them, so that no search pays for them: an add
// or a merge calls it before it publishes its snapshot (whose new segment
// is then the only one without them). A restart does not: there the first
// search computes them (a pass over the long posting lists), so that the
// restart costs what it did.
func (lx *lexIndex) prepareBounds(t Tuning) {
	pc, pa := t.bm25f()
	for _, g := range lx.segs {
		g.bounds(lx, pc, pa)
	}
}

// bm25f returns the chunk-level and article-level BM25F parameters of t.
func (t Tuning) bm25f() (chunk, article bm25f) {
	return bm25f{k1: t.K1, b: t.B, titleW: t.TitleWeight, titleB: t.TitleB},
		bm25f{k1: t.ArticleK1, b: t.ArticleB, titleW: t.TitleWeight, titleB: t.TitleB}
}

// storedBounds returns the bounds of the long rows of p. Each doc's
// length normalisation is computed once, not once per posting.
func storedBounds(p *postings, lens []float32, avg, b float64) rowBounds {
	var rb rowBounds
	var norms []float64
	for r := 0; r < p.terms(); r++ {
		lo, hi := p.off[r], p.off[r+1]
		if hi-lo < minStoredBound {
			continue
		}
		if norms == nil {
			norms = make([]float64, len(lens))
			for d, l := range lens {
				norms[d] = lengthNorm(l, avg, b)
			}
		}
		m := 0.0
		for pos := lo; pos < hi; pos++ {
			m = max(m, float64(p.freq(pos))/norms[p.doc[pos]])
		}
		rb.rows = append(rb.rows, uint32(r))
		rb.max = append(rb.max, roundUp32(m))
	}
	return rb
}

// lengthNorm is BM25's length normalisation of a doc of length l.
func lengthNorm(l float32, avg, b float64) float64 {
	return (1 - b) + b*float64(l)/avg
}

// maxPseudoTF returns the largest tf/norm of row r of p, rounded up to a
// float32.
func maxPseudoTF(p *postings, r uint32, lens []float32, avg, b float64) float32 {
	m := 0.0
	for pos := p.off[r]; pos < p.off[r+1]; pos++ {
		m = max(m, float64(p.freq(pos))/lengthNorm(lens[p.doc[pos]], avg, b))
	}
	return roundUp32(m)
}

// roundUp32 returns the least float32 at or above m.
func roundUp32(m float64) float32 {
	x := float32(m)
	if float64(x) < m {
		x = math.Nextafter32(x, float32(math.Inf(1)))
	}
	return x
}

// bound returns the bound of term t in p: stored (computed at average
// length ref, now avg), or computed now for a short list; 0 without
// postings.
func (rb *rowBounds) bound(p *postings, t uint32, lens []float32, avg, ref, b float64) float64 {
	r, ok := p.row(t)
	if !ok {
		return 0
	}
	if p.off[r+1]-p.off[r] < minStoredBound {
		return float64(maxPseudoTF(p, r, lens, avg, b))
	}
	i, _ := slices.BinarySearch(rb.rows, r)
	return float64(rb.max[i]) * grow(avg, ref)
}

// grow is the factor by which a bound computed at average length ref
// grows at average length now.
func grow(now, ref float64) float64 {
	if now > ref {
		return now / ref
	}
	return 1
}

// msLevel is one of the two scorings, of chunks or of articles, over one
// segment at a time.
type msLevel struct {
	lx    *lexIndex
	p     bm25f
	bp    [2]bm25f  // the chunk and article parameters, which the bounds are for
	ws    []float64 // per query term: weight * idf * (k1+1)
	lens  []float32
	avg   float64
	first []int32 // article -> first chunk; nil when docs are articles
	chunk bool
	// boundScale multiplies every bound: above 1, a margin for float32
	// rounding; tests set it below 1 to see pruning go wrong.
	boundScale float64
	// margin lowers the threshold a doc must reach by that share of it:
	// the checks that put a doc's exact contributions in place of their
	// bounds compare float64 sums, while its score is a float32 sum that
	// may round up past the threshold.
	margin float64

	g    *lexSeg   // the segment being scored
	text *postings // its postings at this level
}

// setSeg moves the level to segment g.
func (lv *msLevel) setSeg(g *lexSeg) {
	lv.g = g
	lv.text = &g.artPost
	if lv.chunk {
		lv.text = &g.chunkPost
	}
}

// bound returns the upper bound of query term t's pseudo-frequency in the
// current segment.
func (lv *msLevel) bound(sb *segBounds, t uint32) float64 {
	lx, g := lv.lx, lv.g
	var x float64
	if lv.chunk {
		x = sb.chunk.bound(&g.chunkPost, t, lx.chunkLen, lx.avgChunk, sb.avgChunk, lv.p.b)
	} else {
		x = sb.art.bound(&g.artPost, t, lx.artLen, lx.avgArt, sb.avgArt, lv.p.b)
	}
	if lv.p.titleW > 0 {
		title := &sb.title
		if !lv.chunk {
			title = &sb.artTitle
		}
		x += lv.p.titleW * title.bound(&g.titlePost, t, lx.titleLen, lx.avgTitle, sb.avgTitle, lv.p.titleB)
	}
	return x
}

// docEnd is the doc of an exhausted cursor.
const docEnd = math.MaxInt32

// msCursor walks one query term's docs in the current segment at one
// level, in increasing order: the union of the text postings and the docs
// of the articles whose title field has the term.
type msCursor struct {
	term       int     // index in the query
	ub         float64 // upper bound of the contribution
	aPos, aEnd uint32  // text postings
	bPos, bEnd uint32  // title postings
	bDoc       int32   // current doc within the current title article, or docEnd
	doc        int32
}

// newCursor sets c to a cursor over query term i in the current segment,
// whose pseudo-frequency is at most x.
func (lv *msLevel) newCursor(c *msCursor, i int, t qterm, x float64) {
	*c = msCursor{term: i}
	c.ub = lv.ws[i] * x / (lv.p.k1 + x) * lv.boundScale
	c.aPos, c.aEnd = lv.text.span(t.id)
	if lv.p.titleW > 0 {
		c.bPos, c.bEnd = lv.g.titlePost.span(t.id)
	}
	c.loadTitle(lv)
	c.setDoc(lv)
}

// loadTitle sets c.bDoc to the first doc of the title posting at c.bPos,
// skipping articles without docs at this level (an article with no
// chunks), or to docEnd when the title postings are exhausted.
func (c *msCursor) loadTitle(lv *msLevel) {
	tp := &lv.g.titlePost
	for ; c.bPos < c.bEnd; c.bPos++ {
		a := int32(tp.doc[c.bPos])
		if lv.first == nil {
			c.bDoc = a
			return
		}
		if lv.first[a] < lv.first[a+1] {
			c.bDoc = lv.first[a]
			return
		}
	}
	c.bDoc = docEnd
}

// titleEnd returns the end of the docs of the title posting at pos.
func (lv *msLevel) titleEnd(pos uint32) int32 {
	a := int32(lv.g.titlePost.doc[pos])
	if lv.first == nil {
		return a + 1
	}
	return lv.first[a+1]
}

func (c *msCursor) setDoc(lv *msLevel) {
	c.doc = docEnd
	if c.aPos < c.aEnd {
		c.doc = int32(lv.text.doc[c.aPos])
	}
	c.doc = min(c.doc, c.bDoc)
}

// seek moves the cursor to its first doc at or after d.
func (c *msCursor) seek(lv *msLevel, d int32) {
	if c.doc >= d {
		return
	}
	if c.aPos < c.aEnd && int32(lv.text.doc[c.aPos]) < d {
		docs := lv.text.doc[c.aPos:c.aEnd]
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

// next moves the cursor past its current doc.
func (c *msCursor) next(lv *msLevel) { c.seek(lv, c.doc+1) }

// contribution returns the cursor's term's float32 contribution to doc
// c.doc, computed as scoring every posting computes it.
func (c *msCursor) contribution(lv *msLevel) float32 {
	lx, p := lv.lx, lv.p
	d := c.doc
	var acc float32
	if c.aPos < c.aEnd && int32(lv.text.doc[c.aPos]) == d {
		norm := (1 - p.b) + p.b*float64(lv.lens[d])/lv.avg
		acc += float32(float64(lv.text.freq(c.aPos)) / norm)
	}
	if c.bDoc == d {
		tp := &lv.g.titlePost
		a := tp.doc[c.bPos]
		norm := (1 - p.titleB) + p.titleB*float64(lx.titleLen[a])/lx.avgTitle
		acc += float32(p.titleW * float64(tp.freq(c.bPos)) / norm)
	}
	x := float64(acc)
	return float32(lv.ws[c.term] * x / (p.k1 + x))
}

// run is MaxScore at one level over every segment: it pushes into h the
// docs best by final(doc, BM25F score), where final(d, s) <= s*scale +
// extras[d/msBlock] (extras nil: 0). Docs that allow rejects are skipped.
func (lv *msLevel) run(q []qterm, h *topk.Heap[float64], allow func(d int32) bool, scale float64, extras []float64, final func(d int32, s float32) float64) {
	var ws msScratch
	var theta msTheta
	hi := int32(lv.lx.nArts)
	if lv.chunk {
		hi = int32(lv.lx.nChunks)
	}
	lv.runRange(&ws, q, h, allow, scale, extras, final, 0, hi, &theta)
}

// msScratch is the scratch of one goroutine's MaxScore pieces, reused
// from piece to piece.
type msScratch struct {
	contrib []float32
	present []bool
	all     []msCursor
	cs      []*msCursor
	prefix  []float64
	h       topk.Heap[float64] // a piece's own best
	arts    []float32          // a piece's article scores
	extras  []float64          // a second run's block extras
}

// reset sizes the scratch for n query terms.
func (ws *msScratch) reset(n int) {
	if cap(ws.all) < n {
		ws.contrib = make([]float32, n)
		ws.present = make([]bool, n)
		ws.all = make([]msCursor, n)
		ws.cs = make([]*msCursor, 0, n)
		ws.prefix = make([]float64, 0, n+1)
	}
	ws.contrib, ws.present, ws.all = ws.contrib[:n], ws.present[:n], ws.all[:n]
}

// runRange is run over the docs [lo, hi) alone, lo a multiple of msBlock
// (or 0) and hi too unless it is the last doc's end, with the threshold
// theta shared with the runs over the other ranges.
func (lv *msLevel) runRange(ws *msScratch, q []qterm, h *topk.Heap[float64], allow func(d int32) bool, scale float64, extras []float64, final func(d int32, s float32) float64, lo, hi int32, theta *msTheta) {
	ws.reset(len(q))
	for _, g := range lv.lx.segs {
		lv.setSeg(g)
		glo, ghi := lv.segRange()
		glo, ghi = max(glo, lo), min(ghi, hi)
		if glo >= ghi {
			continue
		}
		sb := g.bounds(lv.lx, lv.bp[0], lv.bp[1])
		cs := ws.cs[:0]
		for i, t := range q {
			c := &ws.all[i]
			lv.newCursor(c, i, t, lv.bound(sb, t.id))
			c.seek(lv, glo)
			if c.doc < ghi {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			continue
		}
		slices.SortStableFunc(cs, func(a, b *msCursor) int {
			switch {
			case a.ub < b.ub:
				return -1
			case a.ub > b.ub:
				return 1
			}
			return 0
		})
		prefix := append(ws.prefix[:0], 0) // prefix[i]: sum of the i smallest bounds
		for i, c := range cs {
			prefix = append(prefix, prefix[i]+c.ub)
		}
		lv.runSeg(q, cs, prefix, h, allow, scale, extras, final, ws.contrib, ws.present, glo, ghi, theta)
	}
}

// msTheta is a threshold shared by the pieces of one MaxScore run, each
// with its own heap of the k best: the largest of their heaps'
// thresholds. A doc below it cannot enter the k best of the whole run
// (some piece holds k better ones), while one at it still can on a tie,
// so pruning docs whose bound is below it keeps the run's result exact.
// The zero msTheta is -Inf.
type msTheta struct {
	// bits are math.Float64bits of the threshold, 0 for -Inf: a
	// threshold of +0 reads as -Inf, which prunes less, never wrongly.
	bits atomic.Uint64
}

// raise raises the threshold to x if x is above it, and returns the
// threshold.
func (t *msTheta) raise(x float64) float64 {
	for {
		b := t.bits.Load()
		cur := math.Inf(-1)
		if b != 0 {
			cur = math.Float64frombits(b)
		}
		if x <= cur || math.IsNaN(x) {
			return cur
		}
		if t.bits.CompareAndSwap(b, math.Float64bits(x)) {
			return x
		}
	}
}

// msBlock is how many consecutive docs share one bound of the part of the
// final score that is not the BM25F score (extras in run).
const msBlock = 64

// segRange returns the docs of the current segment at the level.
func (lv *msLevel) segRange() (lo, hi int32) {
	if lv.chunk {
		return lv.g.firstChunk, lv.g.firstChunk + lv.g.chunks
	}
	return lv.g.firstArt, lv.g.firstArt + lv.g.arts
}

// runSeg is MaxScore over the docs [lo, hi) of the current segment, with
// the cursors cs, sorted by bound, at or before lo (at their first doc at
// or after lo for a range that does not start the segment). With extras,
// the range is walked block by block: a block's extra decides which
// cursors are essential there, and a block where no doc can reach the
// threshold is skipped; a range that does not end the segment ends at a
// multiple of msBlock. The threshold is the larger of h's and shared's,
// and h's raises shared's.
func (lv *msLevel) runSeg(q []qterm, cs []*msCursor, prefix []float64, h *topk.Heap[float64], allow func(d int32) bool, scale float64, extras []float64, final func(d int32, s float32) float64, contrib []float32, present []bool, lo, hi int32, shared *msTheta) {
	n := len(cs)
	ess := 0 // cs[ess:] are essential: a doc must have one of them to enter
	theta := lv.lower(shared.raise(h.Threshold()))
	extra := 0.0
	pos, segEnd := lo, hi // every doc before pos is done
	blkEnd := segEnd
	if extras != nil {
		blkEnd = pos // enter the first block
	}
	for {
		if pos >= blkEnd {
			// The next block where a doc can reach theta; the cursors
			// essential there move up to pos, since those that were not
			// may lag behind.
			if pos >= segEnd {
				return
			}
			b := pos / msBlock
			last := (segEnd - 1) / msBlock
			for b <= last && prefix[n]*scale+extras[b] < theta {
				b++
			}
			if b > last {
				return
			}
			pos = max(pos, b*msBlock)
			blkEnd, extra, ess = (b+1)*msBlock, extras[b], 0
			theta = lv.lower(shared.raise(h.Threshold()))
			for ess < n && prefix[ess+1]*scale+extra < theta {
				ess++
			}
			for _, c := range cs[ess:] {
				c.seek(lv, pos)
			}
		}
		for ess < n && prefix[ess+1]*scale+extra < theta {
			ess++
		}
		if ess == n {
			if extras == nil {
				return
			}
			pos = blkEnd
			continue
		}
		d := int32(docEnd)
		for _, c := range cs[ess:] {
			d = min(d, c.doc)
		}
		if d >= blkEnd {
			if extras == nil {
				return // d >= segEnd
			}
			pos = blkEnd
			continue
		}
		pos = d + 1
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
		for i := range q {
			if present[i] {
				s += contrib[i]
			}
		}
		h.Push(topk.Item[float64]{ID: d, Score: final(d, s)})
		theta = lv.lower(shared.raise(h.Threshold()))
	}
}

// lower returns the threshold theta lowered by the level's margin.
func (lv *msLevel) lower(theta float64) float64 {
	return theta - math.Abs(theta)*lv.margin
}

// lexQuery is a lexical search over a lexIndex.
type lexQuery struct {
	terms []qterm
	// chunk and article parameterise the chunk-level and article-level
	// BM25F scores; artW weighs the article's score (over the best
	// article's) against the chunk's (over the best chunk's); 0 leaves it
	// out.
	chunk, article bm25f
	artW           float64
	// allowed, when not nil, admits only the chunks of the articles a
	// with allowed[a].
	allowed []bool
	k       int
	// order breaks ties between equal scores (cmpChunk).
	order func(a, b int32) int
	// boundScale multiplies the upper bounds (0: 1). Below 1 they are no
	// longer bounds: for tests only.
	boundScale float64
}

// levels returns the chunk and article levels of q: term weights with the
// live statistics, and the margin on the bounds for float32 rounding (a
// few units in the last place per term).
func (lx *lexIndex) levels(q *lexQuery) (cl, al msLevel) {
	margin := max(1e-5, float64(len(q.terms)+16)*0x1p-22)
	scale := 1 + margin
	if q.boundScale != 0 {
		scale *= q.boundScale
	}
	cl = msLevel{lx: lx, p: q.chunk, lens: lx.chunkLen, avg: lx.avgChunk, first: lx.artFirst, chunk: true, boundScale: scale, margin: margin}
	al = msLevel{lx: lx, p: q.article, lens: lx.artLen, avg: lx.avgArt, boundScale: scale, margin: margin}
	cl.bp = [2]bm25f{q.chunk, q.article}
	al.bp = cl.bp
	cl.ws = make([]float64, len(q.terms))
	al.ws = make([]float64, len(q.terms))
	for i, t := range q.terms {
		cl.ws[i] = t.weight * idf(lx.liveChunks, lx.chunkDF(t.id)) * (q.chunk.k1 + 1)
		al.ws[i] = t.weight * idf(lx.liveArts, lx.artDF(t.id)) * (q.article.k1 + 1)
	}
	return cl, al
}

// allowFuncs return the filters of live, allowed chunks and articles, nil
// when every one is.
func (lx *lexIndex) allowFuncs(allowed []bool) (chunk, art func(int32) bool) {
	if allowed == nil && lx.nDead == 0 {
		return nil, nil
	}
	art = func(a int32) bool {
		return (allowed == nil || allowed[a]) && (lx.nDead == 0 || !lx.isDead(uint32(a)))
	}
	chunk = func(c int32) bool { return art(lx.chunkArt[c]) }
	return chunk, art
}

// chunkScores returns the k allowed live chunks best by BM25F score (the
// chunk-level score alone), best first, ties in q.order.
func (lx *lexIndex) chunkScores(q *lexQuery, k int) []topk.Item[float64] {
	cl, _ := lx.levels(q)
	chunkAllow, _ := lx.allowFuncs(q.allowed)
	h := topk.New[float64](k)
	h.Order = q.order
	cl.run(q.terms, &h, chunkAllow, 1, nil, func(_ int32, s float32) float64 { return float64(s) })
	return h.Sorted()
}

// search returns the q.k allowed live chunks best by lexical score, best
// first, ties in q.order: a chunk's BM25F score over the best chunk's,
// plus artW times its article's over the best article's. It finds the
// best chunk's score with MaxScore and scores every article that has a
// query term (there are several times fewer articles than chunks), then
// finds the best chunks by the normalised sum with MaxScore again, with a
// bound of the article part per block of chunks. Each step is cut into
// pieces by doc range, which every core takes (lexRun).
func (lx *lexIndex) search(q *lexQuery) []topk.Item[float64] {
	if len(q.terms) == 0 || q.k <= 0 {
		return nil
	}
	return lx.newRun(q).run(0)
}

// lexPiece is one piece of a lexical search: the docs [lo, hi) of one
// step.
type lexPiece struct {
	step   lexStep
	lo, hi int32
}

// lexStep is what a piece does.
type lexStep uint8

const (
	stepBest   lexStep = iota // MaxScore for the best chunk's score, over chunks
	stepArts                  // the scores of articles with a query term
	stepChunks                // MaxScore for the k best chunks
)

// piece runs piece i of stage st, p, with the scratch ws, and adds its
// result to the run's unless another run of the piece did first. again
// tells that the piece ran before, so that its block extras are there.
func (r *lexRun) piece(st, i int, p lexPiece, ws *msScratch, again bool) {
	q := r.q
	if r.hold != nil {
		r.hold(st, again)
	}
	switch p.step {
	case stepBest:
		lv := r.cl
		ws.h = topk.Heap[float64]{K: 1, Items: ws.h.Items[:0], Order: q.order}
		lv.runRange(ws, q.terms, &ws.h, r.chunkAllow, 1, nil, chunkScore, p.lo, p.hi, &r.theta[0])
	case stepArts:
		lv := r.al
		ws.arts = append(ws.arts[:0], make([]float32, p.hi-p.lo)...)
		m := lv.scoreRange(q.terms, ws.arts, p.lo, p.hi, r.artAllow)
		r.finish(st, i, func() {
			copy(r.artScore[p.lo:p.hi], ws.arts)
			r.maxArt = max(r.maxArt, m)
		})
		return
	case stepChunks:
		extras := r.extras
		if extras != nil {
			if again {
				// The first run may still be writing the piece's blocks:
				// a second run writes its own copy of them.
				if len(ws.extras) < len(extras) {
					ws.extras = make([]float64, len(extras))
				}
				extras = ws.extras
				clear(extras[p.lo/msBlock : (p.hi+msBlock-1)/msBlock])
			}
			r.lx.blockExtras(extras, r.artScore, r.maxArt, q.artW*r.cl.boundScale, p.lo, p.hi)
		}
		lv := r.cl
		ws.h = topk.Heap[float64]{K: q.k, Items: ws.h.Items[:0], Order: q.order}
		lv.runRange(ws, q.terms, &ws.h, r.chunkAllow, r.cl.boundScale/float64(r.maxChunk), extras, r.final, p.lo, p.hi, &r.theta[1])
	}
	r.finish(st, i, func() {
		for _, x := range ws.h.Items {
			r.best.Push(x)
		}
	})
}

// chunkScore is the final score of the first step: the BM25F score.
func chunkScore(_ int32, s float32) float64 { return float64(s) }

// final is the lexical score of chunk c with BM25F score s.
func (r *lexRun) final(c int32, s float32) float64 {
	x := float64(s / r.maxChunk)
	if r.maxArt > 0 {
		x += r.q.artW * float64(r.artScore[r.lx.chunkArt[c]]/r.maxArt)
	}
	return x
}

// firstPieces returns the pieces of the first stage: the best chunk's
// score and, with an article part, the articles' scores, which need
// nothing from each other.
func (r *lexRun) firstPieces() []lexPiece {
	ps := r.cut(nil, stepBest, int32(r.lx.nChunks), r.chunkPiece)
	if r.q.artW > 0 {
		r.artScore = make([]float32, r.lx.nArts)
		ps = r.cut(ps, stepArts, int32(r.lx.nArts), r.artPiece)
	}
	return ps
}

// nextStage is called, under r.mu, when the pieces of stage st are all
// done: it returns the pieces of the next stage, or sets the result and
// returns none.
func (r *lexRun) nextStage(st int) []lexPiece {
	if st == 1 {
		r.result = r.best.Sorted()
		return nil
	}
	best := r.best.Sorted()
	if len(best) == 0 {
		return nil
	}
	r.maxChunk = float32(best[0].Score)
	if r.maxArt > 0 {
		r.extras = make([]float64, (r.lx.nChunks+msBlock-1)/msBlock)
	}
	r.best = topk.New[float64](r.q.k)
	r.best.Order = r.q.order
	return r.cut(nil, stepChunks, int32(r.lx.nChunks), r.chunkPiece)
}

// cut appends to ps the pieces of step over the docs [0, n), size docs
// each.
func (r *lexRun) cut(ps []lexPiece, step lexStep, n, size int32) []lexPiece {
	for lo := int32(0); lo < n; lo += size {
		ps = append(ps, lexPiece{step: step, lo: lo, hi: min(lo+size, n)})
	}
	return ps
}

// scoreRange sets sc[a-lo] to the BM25F score of every live article a
// in [lo, hi) with a query term (sc zero before), at the article level
// (whose title postings are by doc too), term after term: the same
// operations in the same order as msCursor.contribution and runSeg's sum,
// so the same float32 scores. It returns the best score of the articles
// that allow admits (nil: all).
func (lv *msLevel) scoreRange(q []qterm, sc []float32, lo, hi int32, allow func(int32) bool) float32 {
	lx, p := lv.lx, lv.p
	for i, t := range q {
		w := lv.ws[i]
		for _, g := range lx.segs {
			if g.firstArt >= hi || g.firstArt+g.arts <= lo {
				continue
			}
			lv.setSeg(g)
			a, aEnd := subSpan(lv.text, t.id, lo, hi)
			var b, bEnd uint32
			if p.titleW > 0 {
				b, bEnd = subSpan(&g.titlePost, t.id, lo, hi)
			}
			for a < aEnd || b < bEnd {
				d := uint32(docEnd)
				if a < aEnd {
					d = lv.text.doc[a]
				}
				if b < bEnd {
					d = min(d, g.titlePost.doc[b])
				}
				var acc float32
				if a < aEnd && lv.text.doc[a] == d {
					norm := (1 - p.b) + p.b*float64(lv.lens[d])/lv.avg
					acc += float32(float64(lv.text.freq(a)) / norm)
					a++
				}
				if b < bEnd && g.titlePost.doc[b] == d {
					norm := (1 - p.titleB) + p.titleB*float64(lx.titleLen[d])/lx.avgTitle
					acc += float32(p.titleW * float64(g.titlePost.freq(b)) / norm)
					b++
				}
				if lx.nDead > 0 && lx.isDead(d) {
					continue
				}
				x := float64(acc)
				sc[d-uint32(lo)] += float32(w * x / (p.k1 + x))
			}
		}
	}
	var m float32
	for a := lo; a < hi; a++ {
		if s := sc[a-lo]; s > m && (allow == nil || allow(a)) {
			m = s
		}
	}
	return m
}

// subSpan returns the positions of term t's postings in p whose docs are
// in [lo, hi).
func subSpan(p *postings, t uint32, lo, hi int32) (uint32, uint32) {
	a, b := p.span(t)
	docs := p.doc[a:b]
	i, _ := slices.BinarySearch(docs, uint32(lo))
	j, _ := slices.BinarySearch(docs[i:], uint32(hi))
	return a + uint32(i), a + uint32(i+j)
}

// blockExtras sets out[b], for the blocks of msBlock chunks in the
// chunks [lo, hi) (lo a multiple of msBlock), to w times the best score
// over maxArt of the articles of its chunks.
func (lx *lexIndex) blockExtras(out []float64, artScore []float32, maxArt float32, w float64, lo, hi int32) {
	for a := lx.chunkArt[lo]; a <= lx.chunkArt[hi-1]; a++ {
		s := artScore[a]
		if s == 0 {
			continue
		}
		x := w * float64(s/maxArt)
		clo, chi := max(lx.artFirst[a], lo), min(lx.artFirst[a+1], hi)
		for b := clo / msBlock; b < (chi+msBlock-1)/msBlock; b++ {
			out[b] = max(out[b], x)
		}
	}
}
