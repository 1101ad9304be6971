package retrieval

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
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
// minStoredBound postings: of each row, and of each block of postBlock
// postings of the row (its block maxima, quantised upward against the
// row's bound, a byte each: see blockBound).
type rowBounds struct {
	rows []uint32 // increasing
	max  []float32
	// blk holds the block maxima of rows[i] from blkBase(off, i), one per
	// postBlock postings.
	blk []uint8
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
// every segment that lacks them, and the articles' norms (artNorms), so
// that no search pays for them: an add or a merge calls it before it
// publishes its snapshot (whose new segment is then the only one without
// them; the norms are new with every snapshot). A restart does not: there
// the first search computes them (a pass over the long posting lists and
// the articles), so that the restart costs what it did.
func (lx *lexIndex) prepareBounds(t Tuning) {
	pc, pa := t.bm25f()
	for _, g := range lx.segs {
		g.bounds(lx, pc, pa)
	}
	if lx.nArts > 0 {
		lx.artNorms(pa, pc)
	}
}

// bm25f returns the chunk-level and article-level BM25F parameters of t.
func (t Tuning) bm25f() (chunk, article bm25f) {
	return bm25f{k1: t.K1, b: t.B, titleW: t.TitleWeight, titleB: t.TitleB},
		bm25f{k1: t.ArticleK1, b: t.ArticleB, titleW: t.TitleWeight, titleB: t.TitleB}
}

// postBlock is how many consecutive postings of a long list share one
// stored block maximum: a byte per 64 postings (of 6 bytes each) is a
// 384th of the postings' memory.
const postBlock = 64

// blkBase returns where the block maxima of the i-th stored row, whose
// postings start at off, start in rowBounds.blk. The rows' blocks do not
// overlap: from one stored row to the next, off/postBlock grows by at
// least the row's length over postBlock, rounded down, and i by one.
func blkBase(off uint32, i int) int { return int(off/postBlock) + i }

// quantUp returns the least q in 1..255 with blockBound(top, q) >= m, for
// m <= top.
func quantUp(m float64, top float32) uint8 {
	if top <= 0 {
		return 255
	}
	q := min(255, max(1, math.Ceil(m/float64(top)*255)))
	for q < 255 && blockBound(top, uint8(q)) < m {
		q++
	}
	return uint8(q)
}

// blockBound is the bound of a block whose maximum was quantised to q
// against its row's bound top.
func blockBound(top float32, q uint8) float64 { return float64(top) * float64(q) / 255 }

// storedBounds returns the bounds of the long rows of p. Each doc's
// length normalisation is computed once, not once per posting.
func storedBounds(p *postings, lens []float32, avg, b float64) rowBounds {
	var rb rowBounds
	var norms []float64
	var blk []float64
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
		blk = blk[:0]
		for pos := lo; pos < hi; pos++ {
			if (pos-lo)%postBlock == 0 {
				blk = append(blk, 0)
			}
			x := float64(p.freq(pos)) / norms[p.doc[pos]]
			blk[len(blk)-1] = max(blk[len(blk)-1], x)
			m = max(m, x)
		}
		top := roundUp32(m)
		base := blkBase(lo, len(rb.rows))
		rb.blk = append(rb.blk, make([]uint8, base+len(blk)-len(rb.blk))...)
		for k, x := range blk {
			rb.blk[base+k] = quantUp(x, top)
		}
		rb.rows = append(rb.rows, uint32(r))
		rb.max = append(rb.max, top)
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
// postings. Of a long list it also returns its block maxima (blk[k]
// bounds the postings from off[row]+k*postBlock) and the row's bound
// they are quantised against, before growth; nil for a short list.
func (rb *rowBounds) bound(p *postings, t uint32, lens []float32, avg, ref, b float64) (x float64, blk []uint8, top float32) {
	r, ok := p.row(t)
	if !ok {
		return 0, nil, 0
	}
	n := p.off[r+1] - p.off[r]
	if n < minStoredBound {
		return float64(maxPseudoTF(p, r, lens, avg, b)), nil, 0
	}
	i, _ := slices.BinarySearch(rb.rows, r)
	base := blkBase(p.off[r], i)
	return float64(rb.max[i]) * grow(avg, ref), rb.blk[base : base+int((n+postBlock-1)/postBlock)], rb.max[i]
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

	// artScore, when not nil, bounds the part of a chunk's final score
	// that is not its BM25F score one chunk at a time, tighter than its
	// block's extra: artW times its article's score over maxArt (the third
	// step, as blockExtras computes it for each article of a block).
	artScore []float32
	maxArt   float32
	artW     float64
	// caps and artTerm, when not nil, bound the final score of a chunk:
	// caps by block of the walk (caps[b-capBase] for block b), and
	// artTerm by article (artTerm[a-artBase]), the sum of the chunk-level
	// bounds of the query terms the article has (unscaled, as the
	// cursors' bounds), to which a chunk's article part is added.
	caps    []float64
	artTerm []float64
	capBase int32
	artBase int32
	// capTerm, when not nil, are the articles' term bounds (unscaled,
	// by article) from which a block whose cap does not skip it gets a
	// tighter one (blockCap), capScale their scale: caps then bound a
	// block's best score and term bound apart (blockCaps).
	capTerm  []float64
	capScale float64

	g    *lexSeg   // the segment being scored
	text *postings // its postings at this level

	work *lexWork // counts the work when not nil (benchmarks)
}

// lexWork counts the work of pruned searches, a noise-free measure beside
// their times: benchmarks set lexQuery.work, searches leave it nil. A
// piece of a run counts in its own lexWork and adds it at its end (add),
// so pieces may go on at once.
type lexWork struct {
	docs     int64 // docs taken from the essential lists
	contribs int64 // contributions computed
	pushed   int64 // docs pushed into the heap
	blocks   int64 // blocks of the walk whose terms' bounds were summed
	skipped  int64 // of those, the blocks skipped whole
	coasted  int64 // blocks skipped whole after a skipped block, on its bounds (coast)
	capped   int64 // blocks skipped by their cap (caps), before their terms' bounds
	docCaps  int64 // docs pruned by their article's bound (artTerm)
	artPosts int64 // article-level postings scored (scoreRange)
}

// add adds the counts of x to w, atomically.
func (w *lexWork) add(x *lexWork) {
	atomic.AddInt64(&w.docs, x.docs)
	atomic.AddInt64(&w.contribs, x.contribs)
	atomic.AddInt64(&w.pushed, x.pushed)
	atomic.AddInt64(&w.blocks, x.blocks)
	atomic.AddInt64(&w.skipped, x.skipped)
	atomic.AddInt64(&w.capped, x.capped)
	atomic.AddInt64(&w.docCaps, x.docCaps)
	atomic.AddInt64(&w.coasted, x.coasted)
	atomic.AddInt64(&w.artPosts, x.artPosts)
}

// setSeg moves the level to segment g.
func (lv *msLevel) setSeg(g *lexSeg) {
	lv.g = g
	lv.text = &g.artPost
	if lv.chunk {
		lv.text = &g.chunkPost
	}
}

// msBound is a query term's upper bound of its pseudo-frequency in the
// current segment at a level: of its text postings (whole, and by block
// of postings when the list is long) and of its title postings.
type msBound struct {
	text  float64
	blk   []uint8 // the text postings' block maxima; nil for a short list
	top   float32 // the row bound they are quantised against
	grow  float64 // the growth of the text bounds since they were computed
	title float64 // times the title weight
}

// bound returns query term t's bounds in the current segment.
func (lv *msLevel) bound(sb *segBounds, t uint32) msBound {
	lx, g := lv.lx, lv.g
	var x msBound
	if lv.chunk {
		x.text, x.blk, x.top = sb.chunk.bound(&g.chunkPost, t, lx.chunkLen, lx.avgChunk, sb.avgChunk, lv.p.b)
		x.grow = grow(lx.avgChunk, sb.avgChunk)
	} else {
		x.text, x.blk, x.top = sb.art.bound(&g.artPost, t, lx.artLen, lx.avgArt, sb.avgArt, lv.p.b)
		x.grow = grow(lx.avgArt, sb.avgArt)
	}
	if lv.p.titleW > 0 {
		title := &sb.title
		if !lv.chunk {
			title = &sb.artTitle
		}
		y, _, _ := title.bound(&g.titlePost, t, lx.titleLen, lx.avgTitle, sb.avgTitle, lv.p.titleB)
		x.title = lv.p.titleW * y
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
	aDoc       int32   // the doc of the text posting at aPos, or docEnd
	bDoc       int32   // current doc within the current title article, or docEnd
	bStop      int32   // the end of the docs of the title posting at bPos
	doc        int32   // min(aDoc, bDoc)
	w          float64 // the term's weight: lv.ws[term]
	// bAcc is the title field's part of the pseudo-frequency at the
	// title posting bAt-1, the same for every doc of its article.
	bAcc float32
	bAt  uint32

	// The bounds by block of the walk (windowBound): x are the bounds of
	// the pseudo-frequency, aLo the first text posting; blkAt is the
	// block of postings (of x.blk) and tAt the title posting that the
	// current block of the walk starts in or before. wub is the bound of
	// the contribution there.
	x     msBound
	aLo   uint32
	blkAt uint32
	tAt   uint32
	wub   float64

	// What windowBound found before, which holds for the later blocks
	// of the walk lo..hi-1 below (the blocks come in increasing order):
	// a text bound that one block of postings alone gave (or a short
	// list's), for lo <= cLast (that block's last doc) and hi <= cNext
	// (the next block's first doc) while aDoc < hi; and the first title
	// posting tc that ends after lo, whose docs are tStart..tEnd-1 (both
	// docEnd past the last), for lo < tEnd while bPos <= tc (it reaches
	// the block if tStart < hi). cw, cwT and cT are the contribution
	// bounds of the text alone, the text and the title, and the title
	// alone. A posting block of all but the densest terms, and an
	// article, spans several blocks of the walk, so most calls end there.
	cLast, cNext int32
	// aStable is the first doc of the first posting block that the last
	// text bound left out: until a block of the walk reaches it, the text
	// bound does not grow (stableTo).
	aStable      int32
	tc           uint32
	tStart, tEnd int32
	cw, cwT, cT  float64
}

// newCursor sets c to a cursor over query term i in the current segment,
// with bounds x.
func (lv *msLevel) newCursor(c *msCursor, i int, t qterm, x msBound) {
	*c = msCursor{term: i, x: x, w: lv.ws[i]}
	c.ub = lv.contribBound(i, x.text+x.title)
	c.aPos, c.aEnd = lv.text.span(t.id)
	c.aLo = c.aPos
	if lv.p.titleW > 0 {
		c.bPos, c.bEnd = lv.g.titlePost.span(t.id)
	}
	c.tAt = c.bPos
	c.cLast = -1
	if x.blk == nil && x.text > 0 {
		c.cacheText(lv, x.text, docEnd, docEnd)
		c.aStable = docEnd
	}
	if x.title > 0 {
		c.cT = min(c.ub, lv.contribBound(i, x.title))
	}
	c.loadTitle(lv)
	c.setDoc(lv)
}

// contribBound returns the bound of query term i's contribution where
// its pseudo-frequency is at most x.
func (lv *msLevel) contribBound(i int, x float64) float64 {
	return lv.ws[i] * x / (lv.p.k1 + x) * lv.boundScale
}

// windowBound returns the bound of the cursor's contribution to the docs
// lo..hi-1 of a block of the walk, 0 when it has no doc there: the block
// maxima of its text postings there (or the whole list's bound, for a
// short list) plus its title bound if a title posting reaches there. The
// blocks come in increasing order and the cursor is at or before lo.
func (c *msCursor) windowBound(lv *msLevel, lo, hi int32) float64 {
	text := c.aDoc < hi
	if text && (lo > c.cLast || hi > c.cNext) {
		return c.windowBoundAll(lv, lo, hi)
	}
	title := false
	switch {
	case c.bDoc >= hi:
	case c.bDoc >= lo:
		// A title doc in the block: the title posting at bPos reaches it
		// (and ends after lo, so windowBoundAll would stop there too).
		title = true
	case c.bPos > c.tc || lo >= c.tEnd:
		return c.windowBoundAll(lv, lo, hi)
	default:
		title = c.tStart < hi
	}
	switch {
	case text && title:
		return c.cwT
	case text:
		return c.cw
	case title:
		return c.cT
	}
	return 0
}

// stableTo returns a doc e such that for every block of the walk lo'..hi'-1
// after lo..hi-1 with hi' <= e, windowBound is at most c.wub, its value
// for lo..hi-1 (just computed, or 0 when c.doc >= hi), as long as the
// cursor does not move: up to its first doc when it has none before hi;
// else while what windowBound found holds, and no text doc or title
// posting left out of c.wub comes in.
func (c *msCursor) stableTo(lo, hi int32) int32 {
	if c.doc >= hi {
		return c.doc
	}
	e := c.aDoc // a text doc comes in
	if c.aDoc < hi {
		// The text bound is that of some of the posting blocks it took.
		e = c.aStable
	}
	switch {
	case c.bDoc >= hi:
		e = min(e, c.bDoc) // a title doc comes in
	case c.bDoc >= lo:
		// The title is in c.wub.
	case c.bPos > c.tc || lo >= c.tEnd:
		return hi
	case c.tStart >= hi:
		e = min(e, c.tStart) // the title posting tc comes in
	}
	return e
}

// cacheText keeps the text bound x (a pseudo-frequency), which holds
// for the blocks of the walk lo..hi-1 with lo <= last and hi <= next, for
// windowBound.
func (c *msCursor) cacheText(lv *msLevel, x float64, last, next int32) {
	c.cLast, c.cNext = last, next
	c.cw = min(c.ub, lv.contribBound(c.term, x))
	if c.x.title > 0 {
		c.cwT = min(c.ub, lv.contribBound(c.term, x+c.x.title))
	}
}

// windowBoundAll is windowBound without what it found before, which it
// keeps where it holds for later blocks.
func (c *msCursor) windowBoundAll(lv *msLevel, lo, hi int32) float64 {
	if c.doc >= hi {
		return 0
	}
	x := 0.0
	if c.aPos < c.aEnd {
		docs := lv.text.doc
		switch {
		case c.aDoc >= hi:
		case c.x.blk == nil:
			x = c.x.text
		default:
			k := max(c.blkAt, (c.aPos-c.aLo)/postBlock)
			n := uint32(len(c.x.blk))
			for k < n && int32(docs[min(c.aLo+(k+1)*postBlock, c.aEnd)-1]) < lo {
				k++
			}
			c.blkAt = k
			c.aStable = docEnd
			if k < n {
				c.aStable = int32(docs[max(c.aLo+k*postBlock, c.aPos)])
			}
			if c.aStable < hi {
				q := c.x.blk[k]
				k0 := k
				for k++; k < n && int32(docs[c.aLo+k*postBlock]) < hi; k++ {
					q = max(q, c.x.blk[k])
				}
				x = blockBound(c.x.top, q) * c.x.grow
				c.aStable = docEnd
				if k < n {
					c.aStable = int32(docs[c.aLo+k*postBlock])
				}
				if k == k0+1 {
					c.cacheText(lv, x, int32(docs[min(c.aLo+k*postBlock, c.aEnd)-1]), c.aStable)
				}
			}
		}
	}
	if c.x.title > 0 && c.bDoc < hi {
		t := max(c.tAt, c.bPos)
		t = lv.titleAfter(t, c.bEnd, lo)
		c.tAt, c.tc, c.tStart, c.tEnd = t, t, docEnd, docEnd
		if t < c.bEnd {
			c.tStart, c.tEnd = lv.titleStart(t), lv.titleEnd(t)
		}
		if c.tStart < hi {
			x += c.x.title
		}
	}
	if x == 0 {
		return 0
	}
	return min(c.ub, lv.contribBound(c.term, x))
}

// loadTitle sets c.bDoc to the first doc of the title posting at c.bPos,
// skipping articles without docs at this level (an article with no
// chunks), or to docEnd when the title postings are exhausted.
func (c *msCursor) loadTitle(lv *msLevel) {
	tp := &lv.g.titlePost
	for ; c.bPos < c.bEnd; c.bPos++ {
		a := int32(tp.doc[c.bPos])
		if lv.first == nil {
			c.bDoc, c.bStop = a, a+1
			return
		}
		if f, e := lv.first[a], lv.first[a+1]; f < e {
			c.bDoc, c.bStop = f, e
			return
		}
	}
	c.bDoc = docEnd
}

// titleAfter returns the first title posting in from..to-1 whose docs end
// after d (titleEnd grows with the posting), or to: a gallop, then a
// binary search.
func (lv *msLevel) titleAfter(from, to uint32, d int32) uint32 {
	if from >= to || lv.titleEnd(from) > d {
		return from
	}
	step := uint32(1)
	for from+step < to && lv.titleEnd(from+step) <= d {
		step *= 2
	}
	// titleEnd(from+step/2) <= d: the answer is in from+step/2+1 ..
	// min(from+step, to).
	i, j := from+step/2+1, min(from+step, to)
	for i < j {
		h := i + (j-i)/2
		if lv.titleEnd(h) <= d {
			i = h + 1
		} else {
			j = h
		}
	}
	return i
}

// titleStart returns the first doc of the title posting at pos.
func (lv *msLevel) titleStart(pos uint32) int32 {
	a := int32(lv.g.titlePost.doc[pos])
	if lv.first == nil {
		return a
	}
	return lv.first[a]
}

// titleEnd returns the end of the docs of the title posting at pos.
func (lv *msLevel) titleEnd(pos uint32) int32 {
	a := int32(lv.g.titlePost.doc[pos])
	if lv.first == nil {
		return a + 1
	}
	return lv.first[a+1]
}

// setDoc sets the cursor's aDoc and doc after a move.
func (c *msCursor) setDoc(lv *msLevel) {
	c.aDoc = docEnd
	if c.aPos < c.aEnd {
		c.aDoc = int32(lv.text.doc[c.aPos])
	}
	c.doc = min(c.aDoc, c.bDoc)
}

// seek moves the cursor to its first doc at or after d.
func (c *msCursor) seek(lv *msLevel, d int32) {
	if c.doc >= d {
		return
	}
	if c.aDoc < d {
		docs := lv.text.doc[c.aPos:c.aEnd]
		// Gallop, then binary search.
		step := 1
		for step < len(docs) && int32(docs[step]) < d {
			step *= 2
		}
		// The first doc at or after d is in docs[step/2+1 : step+1]
		// (docs[step/2] < d): binary search there, without a closure.
		i, j := step/2+1, min(step+1, len(docs))
		for i < j {
			h := int(uint(i+j) >> 1)
			if int32(docs[h]) < d {
				i = h + 1
			} else {
				j = h
			}
		}
		c.aPos += uint32(i)
		c.aDoc = docEnd
		if i < len(docs) {
			c.aDoc = int32(docs[i])
		}
	}
	if c.bDoc < d {
		c.seekTitle(lv, d)
	}
	c.doc = min(c.aDoc, c.bDoc)
}

// seekTitle moves the cursor's title postings to d, as seek does, when
// c.bDoc < d.
func (c *msCursor) seekTitle(lv *msLevel, d int32) {
	if d >= c.bStop {
		c.bPos = lv.titleAfter(c.bPos+1, c.bEnd, d)
		c.loadTitle(lv)
	}
	// Past d (an article after d), docEnd, or in the article with d.
	c.bDoc = max(c.bDoc, d)
}

// next moves the cursor past its current doc: seek to c.doc+1, whose text
// posting, when it has one at c.doc, is the next one.
func (c *msCursor) next(lv *msLevel) {
	d := c.doc + 1
	if c.aDoc < d {
		c.aPos++
		c.aDoc = docEnd
		if c.aPos < c.aEnd {
			c.aDoc = int32(lv.text.doc[c.aPos])
		}
	}
	if c.bDoc < d {
		c.seekTitle(lv, d)
	}
	c.doc = min(c.aDoc, c.bDoc)
}

// contribution returns the cursor's term's float32 contribution to doc
// c.doc, computed as scoring every posting computes it.
func (c *msCursor) contribution(lv *msLevel) float32 {
	p := &lv.p
	d := c.doc
	var acc float32
	if c.aDoc == d {
		norm := (1 - p.b) + p.b*float64(lv.lens[d])/lv.avg
		acc += float32(float64(lv.text.freq(c.aPos)) / norm)
	}
	if c.bDoc == d {
		if c.bAt != c.bPos+1 {
			lx, tp := lv.lx, &lv.g.titlePost
			a := tp.doc[c.bPos]
			norm := (1 - p.titleB) + p.titleB*float64(lx.titleLen[a])/lx.avgTitle
			c.bAcc, c.bAt = float32(p.titleW*float64(tp.freq(c.bPos))/norm), c.bPos+1
		}
		acc += c.bAcc
	}
	x := float64(acc)
	return float32(c.w * x / (p.k1 + x))
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
	all    []msCursor
	cs     []*msCursor
	win    *msWindow
	h      topk.Heap[float64]   // a piece's own best
	seen   []topk.Item[float32] // the chunks a first-step piece scored in full, with their scores
	top    topk.Heap[float64]   // a second-step piece's best articles
	worst  float64              // top's threshold (seeArt)
	bar    float64              // the least of worst and maxArt
	maxArt float32              // a second-step piece's best article score
	scaled []float64            // a piece's article term bounds scaled (tests: lexQuery.capScale)
	extras []float64            // a second run's block extras
	caps   []float64            // and caps
	caps1  []float64            // a piece's first-step caps
	// A second-step piece's best article score and term bound by block
	// of the walk, from block blkBase: the third step's block extras and
	// caps (blockCaps), merged into the run's when the piece finishes.
	blkArt  []float32
	blkTerm []float64
	blkBase int32
}

// reset sizes the scratch for n query terms.
func (ws *msScratch) reset(n int) {
	if len(ws.all) != n {
		ws.all = make([]msCursor, n)
		ws.cs = make([]*msCursor, 0, n)
		ws.win = newMsWindow(n)
	}
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
		lv.runSeg(q, cs, glo, ghi, h, allow, scale, extras, final, ws.win, theta)
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

// msBlock is how many consecutive docs make one block of the walk, which
// share one bound of the part of the final score that is not the BM25F
// score (extras in run).
const msBlock = 64

// segRange returns the docs of the current segment at the level.
func (lv *msLevel) segRange() (lo, hi int32) {
	if lv.chunk {
		return lv.g.firstChunk, lv.g.firstChunk + lv.g.chunks
	}
	return lv.g.firstArt, lv.g.firstArt + lv.g.arts
}

// msWindow is runSeg's scratch for one block of the walk: the essential
// terms' contributions to its docs, by term then doc (valid where the
// term's bit in has is set), and the float64 sums of those of each doc.
type msWindow struct {
	contrib []float32 // term*msBlock + doc-lo
	has     []uint64  // by term: the docs with a contribution in contrib
	partial [msBlock]float64
	act     []*msCursor // the cursors with docs in the block, by bound
	prefix  []float64   // prefix[i]: the sum of the i smallest bounds of act
}

func newMsWindow(terms int) *msWindow {
	return &msWindow{contrib: make([]float32, terms*msBlock), has: make([]uint64, terms),
		act: make([]*msCursor, 0, terms), prefix: make([]float64, 0, terms+1)}
}

// runSeg is block-max MaxScore over the docs lo..hi-1 of the current
// segment, whose cursors with docs are cs, at or before lo; a range that
// does not end the segment ends at a multiple of msBlock. The threshold
// is the larger of h's and shared's, and h's raises shared's; pieces of
// one run that go on at once each have their own cursors, heap and
// window. The docs are walked a block
// of msBlock at a time (aligned with extras). A block's bounds are those
// of the block maxima of the terms with docs there (windowBound) plus
// its extra: a block where no doc can reach the threshold is skipped
// whole; in the others the terms are ordered by their bounds there, the
// essential ones (a doc must have one of them to enter) are scored over
// the block, and each doc they hit that can still reach the threshold
// is completed with the other terms, most promising first, while it can.
func (lv *msLevel) runSeg(q []qterm, cs []*msCursor, lo, hi int32, h *topk.Heap[float64], allow func(d int32) bool, scale float64, extras []float64, final func(d int32, s float32) float64, win *msWindow, shared *msTheta) {
	var wk lexWork
	if lv.work != nil {
		defer lv.work.add(&wk)
	}
	for wlo := lo; wlo < hi; {
		theta := lv.lower(shared.raise(h.Threshold()))
		b := wlo / msBlock
		whi := min((b+1)*msBlock, hi)
		extra := 0.0
		if extras != nil {
			extra = extras[b]
		}
		if lv.caps != nil && (lv.caps[b-lv.capBase] < theta || lv.capTerm != nil && lv.blockCap(wlo, whi) < theta) {
			// No doc of the block can reach the threshold: skipped
			// before the terms' bounds there are looked at.
			wk.capped++
			wlo = whi
			continue
		}
		wk.blocks++
		// The terms with docs in the block, by bound there.
		act := win.act[:0]
		total := extra
		terms := 0.0 // total without the extra
		for _, c := range cs {
			if c.doc >= whi {
				c.wub = 0
				continue
			}
			if c.wub = c.windowBound(lv, wlo, whi); c.wub > 0 {
				act = append(act, c)
				total += c.wub * scale
				terms += c.wub * scale
			}
		}
		if total < theta {
			wk.skipped++
			wlo = coast(cs, wlo, whi, hi, terms, extras, theta, &wk)
			continue
		}
		for i := 1; i < len(act); i++ {
			for j := i; j > 0 && act[j].wub < act[j-1].wub; j-- {
				act[j], act[j-1] = act[j-1], act[j]
			}
		}
		prefix := append(win.prefix[:0], 0)
		for i, c := range act {
			prefix = append(prefix, prefix[i]+c.wub)
		}
		ess := 0
		for ess < len(act) && prefix[ess+1]*scale+extra < theta {
			ess++
		}
		// Score the essential terms over the block.
		var hit uint64
		for _, c := range act[ess:] {
			c.seek(lv, wlo)
			row := win.contrib[c.term*msBlock : (c.term+1)*msBlock]
			for c.doc < whi {
				j := c.doc - wlo
				x := c.contribution(lv)
				wk.contribs++
				row[j] = x
				win.has[c.term] |= 1 << j
				win.partial[j] += float64(x)
				c.next(lv)
			}
			hit |= win.has[c.term]
		}
		for ; hit != 0; hit &= hit - 1 {
			j := int32(bits.TrailingZeros64(hit))
			d := wlo + j
			partial := win.partial[j]
			win.partial[j] = 0
			wk.docs++
			if allow != nil && !allow(d) {
				continue
			}
			x := extra
			if lv.artScore != nil {
				x = lv.artW * float64(lv.artScore[lv.lx.chunkArt[d]]/lv.maxArt)
			}
			if lv.artTerm != nil && lv.artTerm[lv.lx.chunkArt[d]-lv.artBase]*scale+x < theta {
				wk.docCaps++
				continue
			}
			bound := (partial+prefix[ess])*scale + x
			pruned := false
			for i := ess - 1; i >= 0; i-- {
				if bound < theta {
					pruned = true
					break
				}
				c := act[i]
				if c.doc < d { // seek, without a call where it would not move
					c.seek(lv, d)
				}
				if c.doc == d {
					x := c.contribution(lv)
					wk.contribs++
					win.contrib[c.term*msBlock+int(j)] = x
					win.has[c.term] |= 1 << j
					bound += (float64(x) - c.wub) * scale
				} else {
					bound -= c.wub * scale
				}
			}
			if pruned || bound < theta {
				continue
			}
			var s float32
			for i := range q {
				if win.has[i]>>j&1 != 0 {
					s += win.contrib[i*msBlock+int(j)]
				}
			}
			if s <= 0 {
				// Its terms' contributions round to nothing (a title
				// weight near the smallest float): no match, as for the
				// exhaustive scorer and the seeds.
				continue
			}
			wk.pushed++
			h.Push(topk.Item[float64]{ID: d, Score: final(d, s)})
			theta = lv.lower(shared.raise(h.Threshold()))
		}
		for _, c := range act {
			win.has[c.term] = 0
		}
		wlo = whi
	}
}

// coast returns where the walk goes on after the block lo..hi-1 of the
// range that ends at end is skipped, its terms' bounds summing to terms
// (times scale): past the blocks after it that are skipped too, without
// the bounds of each term there. No term's bound grows before the
// least of their stableTo, so up to there a block whose extra keeps
// terms below theta is skipped.
func coast(cs []*msCursor, lo, hi, end int32, terms float64, extras []float64, theta float64, wk *lexWork) int32 {
	e := int32(docEnd)
	for _, c := range cs {
		if e = min(e, c.stableTo(lo, hi)); e <= hi {
			return hi
		}
	}
	if e >= end {
		e = end
	}
	if extras == nil {
		// Every block ending at or before e: on to the one with e.
		next := max(hi, min(e/msBlock*msBlock, end))
		if e == end {
			next = end
		}
		wk.coasted += int64((next - hi + msBlock - 1) / msBlock)
		return next
	}
	for lo = hi; lo < end && min(lo+msBlock, end) <= e && terms+extras[lo/msBlock] < theta; lo += msBlock {
		wk.coasted++
	}
	return min(lo, end)
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
	// work, when not nil, counts the search's work (benchmarks).
	work *lexWork
	// seed, where not 0, is the threshold the first or the third step
	// starts from instead of its own seed: for tests only (a seed above
	// the step's true k-th best score is no longer a bound).
	seed [2]float64
	// capScale, where not 0, multiplies the third step's caps by block
	// ([0]) or the article bounds per chunk ([1]): below 1 no longer
	// bounds, for tests only.
	capScale [2]float64
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
	cl.work, al.work = q.work, q.work
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
	cl.run(q.terms, &h, chunkAllow, 1, nil, chunkScore)
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
		ws.seen = ws.seen[:0]
		lv.runRange(ws, q.terms, &ws.h, r.chunkAllow, 1, nil, ws.scored, p.lo, p.hi, &r.theta[0])
		r.finish(st, i, func() {
			for _, x := range ws.h.Items {
				r.best.Push(x)
			}
			r.seen = append(r.seen, ws.seen...)
		})
		return
	case stepArts:
		// A first run writes the scores in place, in the run's arrays; a
		// second one, which may go on beside the first, in arrays of its
		// own that it hands to the run if it finishes first (nextStage).
		lv := r.al
		arts := r.arts0[p.lo:p.hi]
		var terms []float64
		if r.terms0 != nil {
			terms = r.terms0[p.lo:p.hi]
		}
		if again {
			arts = make([]float32, p.hi-p.lo)
			if terms != nil {
				terms = make([]float64, p.hi-p.lo)
			}
		} else {
			// The run's arrays come from the pool, not cleared.
			clear(arts)
			clear(terms)
		}
		lv.scoreRange(q.terms, arts, terms, &r.termCaps, p.lo, p.hi)
		ws.top = topk.Heap[float64]{K: seedArts, Items: ws.top.Items[:0], Order: cmpInt32}
		ws.worst, ws.maxArt, ws.bar = math.Inf(-1), 0, math.Inf(-1)
		if terms != nil {
			r.bestOfArts(ws, p, arts, terms) // which sees every article too
		} else {
			ws.seeArts(p.lo, arts, r.artAllow)
		}
		m := ws.maxArt
		r.finish(st, i, func() {
			if again {
				r.late = append(r.late, lateArts{p, arts, terms})
			}
			r.maxArt = max(r.maxArt, m)
			for _, x := range ws.top.Items {
				r.topArts.Push(x)
			}
			if terms != nil {
				for _, x := range ws.h.Items {
					r.best.Push(x)
				}
				r.seen = append(r.seen, ws.seen...)
				for j, x := range ws.blkArt {
					b := ws.blkBase + int32(j)
					r.blkArt[b] = max(r.blkArt[b], x)
					r.blkTerm[b] = max(r.blkTerm[b], ws.blkTerm[j])
				}
			}
		})
		return
	case stepChunks:
		scale := r.cl.boundScale / float64(r.maxChunk)
		extras, caps := r.extras, r.caps
		if extras != nil {
			if again {
				// The first run may still be writing the piece's blocks:
				// a second run writes its own copy of them.
				if len(ws.extras) < len(extras) {
					ws.extras = make([]float64, len(extras))
					ws.caps = make([]float64, len(extras))
				}
				extras = ws.extras
				if caps != nil {
					caps = ws.caps
				}
			}
			w := q.artW * r.cl.boundScale
			if r.blkArt != nil {
				blockCaps(extras, caps, r.blkArt, r.blkTerm, r.maxArt, w, scale*r.capScale(0), p.lo/msBlock, (p.hi+msBlock-1)/msBlock)
			} else {
				r.lx.blockExtras(extras, r.artScore, r.maxArt, w, p.lo, p.hi)
			}
		}
		lv := r.cl
		if extras != nil {
			lv.artScore, lv.maxArt, lv.artW = r.artScore, r.maxArt, q.artW*r.cl.boundScale
			lv.caps, lv.artTerm = caps, r.docTerm
			if r.blkArt != nil {
				lv.capTerm, lv.capScale = r.artTerm, scale*r.capScale(0)
			}
		}
		ws.h = topk.Heap[float64]{K: q.k, Items: ws.h.Items[:0], Order: q.order}
		lv.runRange(ws, q.terms, &ws.h, r.chunkAllow, scale, extras, r.final, p.lo, p.hi, &r.theta[1])
	}
	r.finish(st, i, func() {
		for _, x := range ws.h.Items {
			r.best.Push(x)
		}
	})
}

// bestOfArts is the first step over the chunks of the articles of the
// second step's piece p, once their scores and term bounds are in arts
// and terms: MaxScore with k = 1 into ws.h, each block bounded by the
// term bounds of its articles (caps) and each chunk by its article's.
// It also keeps, by block, the best score and term bound of the
// piece's articles there (ws.blkArt, ws.blkTerm), for the third step.
func (r *lexRun) bestOfArts(ws *msScratch, p lexPiece, arts []float32, terms []float64) {
	lx := r.lx
	ws.h = topk.Heap[float64]{K: 1, Items: ws.h.Items[:0], Order: r.q.order}
	ws.seen = ws.seen[:0]
	ws.blkArt, ws.blkTerm = ws.blkArt[:0], ws.blkTerm[:0]
	lo, hi := lx.artFirst[p.lo], lx.artFirst[p.hi]
	if lo >= hi {
		ws.seeArts(p.lo, arts, r.artAllow)
		return
	}
	base := lo / msBlock
	n := int((hi+msBlock-1)/msBlock - base)
	// Every block is set below.
	ws.caps1 = sized(ws.caps1, n)
	ws.blkArt, ws.blkTerm, ws.blkBase = sized(ws.blkArt, n), sized(ws.blkTerm, n), base
	// Block by block, over the articles of each (consecutive): the cap is
	// the best term bound times f (the product is monotone in the bound).
	// Each article with chunks goes to ws.top once, in the block of its
	// first chunk: one that begins in an earlier block (before next) is
	// only one of the block's maxima.
	f, allow := r.capScale(0), r.artAllow
	next := int32(0)
	for clo := lo; clo < hi; {
		chi := min((clo/msBlock+1)*msBlock, hi)
		alo, ahi := lx.chunkArt[clo]-p.lo, lx.chunkArt[chi-1]+1-p.lo
		m, s := 0.0, float32(0)
		if alo < next {
			m, s, alo = terms[alo], arts[alo], next
		}
		// Articles without chunks, between those of two blocks.
		ws.seeArts(p.lo+next, arts[next:alo], allow)
		for j, x := range terms[alo:ahi] {
			a := alo + int32(j)
			m = max(m, x)
			s = max(s, arts[a])
			ws.seeArt(a+p.lo, arts[a], allow)
		}
		j := clo/msBlock - base
		ws.caps1[j], ws.blkTerm[j], ws.blkArt[j] = m*f, m, s
		clo, next = chi, max(next, ahi)
	}
	ws.seeArts(p.lo+next, arts[next:], allow)
	lv := r.cl
	lv.caps, lv.capBase, lv.artTerm, lv.artBase = ws.caps1, base, terms, p.lo
	if f := r.capScale(1); f != 1 {
		ws.scaled = zeroed(ws.scaled, len(terms))
		for j, x := range terms {
			ws.scaled[j] = x * f
		}
		lv.artTerm = ws.scaled
	}
	lv.runRange(ws, r.q.terms, &ws.h, r.chunkAllow, 1, nil, ws.scored, lo, hi, &r.theta[0])
}

// seeArt takes article a with score s into a second-step piece's best
// score (ws.maxArt) and best articles (ws.top), if it is allowed (allow
// nil: all). Most articles fall below both: not a call of allow each.
func (ws *msScratch) seeArt(a int32, s float32, allow func(int32) bool) {
	if x := float64(s); x > 0 && x >= ws.bar {
		ws.addArt(a, s, allow)
	}
}

// addArt is seeArt past the bests.
func (ws *msScratch) addArt(a int32, s float32, allow func(int32) bool) {
	if allow != nil && !allow(a) {
		return
	}
	ws.maxArt = max(ws.maxArt, s)
	if x := float64(s); x >= ws.worst {
		ws.top.Push(topk.Item[float64]{ID: a, Score: x})
		ws.worst = ws.top.Threshold()
	}
	ws.bar = min(ws.worst, float64(ws.maxArt))
}

// seeArts is seeArt for the articles from a on, with scores arts.
func (ws *msScratch) seeArts(a int32, arts []float32, allow func(int32) bool) {
	for j, s := range arts {
		ws.seeArt(a+int32(j), s, allow)
	}
}

// sized returns buf resized to n, reusing its array when it is large
// enough; what it holds is not cleared.
func sized[T any](buf []T, n int) []T { return slices.Grow(buf[:0], n)[:n] }

// zeroed returns buf resized to n and cleared (sized).
func zeroed[T any](buf []T, n int) []T {
	buf = sized(buf, n)
	clear(buf)
	return buf
}

// capScale returns the test factor of the third step's caps by block
// (i = 0) or article bounds per chunk (1): 1 in searches.
func (r *lexRun) capScale(i int) float64 {
	if r.q.capScale[i] != 0 {
		return r.q.capScale[i]
	}
	return 1
}

// chunkScore is the final score of the first step: the BM25F score.
func chunkScore(_ int32, s float32) float64 { return float64(s) }

// scored is chunkScore for the first step's pieces, which also keeps the
// chunks it scores in full in ws.seen: candidates for the seed of the
// third step's threshold (seedChunks).
func (ws *msScratch) scored(d int32, s float32) float64 {
	if len(ws.seen) < maxSeen {
		ws.seen = append(ws.seen, topk.Item[float32]{ID: d, Score: s})
	}
	return float64(s)
}

// cmpInt32 orders int32s, lowest first.
func cmpInt32(a, b int32) int { return cmp.Compare(a, b) }

// seedArts is how many of the best articles of the second step give
// their chunks to the seed of the third step's threshold (seedChunks), and
// maxSeen how many chunks each piece of the first step gives at most.
const (
	seedArts      = 32
	maxSeen       = 256
	maxSeedChunks = 64 // of one article
)

// seedChunks returns a lower bound of the k-th best final score of the
// third step, from which its threshold starts: the k-th best exact final
// score of some real allowed chunks, those that the first step scored in
// full and those of the best articles, or -Inf with fewer than k of them.
// Those are real chunks, so k chunks score at least that: a chunk below
// it cannot be in the results, and one at it still can (pruning is by
// bound < threshold), so the results stay exact. Else every piece would
// start from -Inf, scoring its first chunks in full until its heap is
// full.
func (r *lexRun) seedChunks() float64 {
	q, lx := r.q, r.lx
	// The first step's chunks come with their scores; those of the best
	// articles not among them are scored here.
	seen := r.seen
	slices.SortFunc(seen, func(x, y topk.Item[float32]) int { return cmp.Compare(x.ID, y.ID) })
	var ids []int32
	for _, x := range r.topArts.Items {
		a := x.ID
		for c := lx.artFirst[a]; c < min(lx.artFirst[a+1], lx.artFirst[a]+maxSeedChunks); c++ {
			if _, ok := slices.BinarySearchFunc(seen, c, func(x topk.Item[float32], c int32) int { return cmp.Compare(x.ID, c) }); !ok {
				ids = append(ids, c)
			}
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	seen = slices.CompactFunc(seen, func(x, y topk.Item[float32]) bool { return x.ID == y.ID })
	if len(ids)+len(seen) < q.k {
		return math.Inf(-1)
	}
	sc := make([]float32, len(ids))
	lv := r.cl // a copy: a second run of a first-step piece may still read r.cl
	lv.exactScores(q.terms, ids, sc)
	h := topk.New[float64](q.k)
	push := func(c int32, s float32) {
		if s > 0 && (r.chunkAllow == nil || r.chunkAllow(c)) {
			h.Push(topk.Item[float64]{ID: c, Score: r.final(c, s)})
		}
	}
	for j, c := range ids {
		push(c, sc[j])
	}
	for _, x := range seen {
		push(x.ID, x.Score)
	}
	return h.Threshold()
}

// seedTerms is how many query terms, those of the largest bounds, give
// the chunks of their best block of postings to the seed of the first
// step's threshold (seedBest).
const seedTerms = 2

// seedBest returns a lower bound of the best chunk's BM25F score, from
// which the first step's threshold starts: the best exact score of some
// real allowed chunks, those of the best block of postings (by its
// stored maximum; a short list whole) of the seedTerms terms with the
// largest bounds in each segment, or -Inf. The best chunk scores at least
// that, and pruning is by bound < threshold, so it is still found; else
// every piece would start from -Inf.
func (r *lexRun) seedBest() float64 {
	q, lx := r.q.terms, r.lx
	lv := r.cl // a copy: setSeg moves it
	var ids []int32
	top := make([]int, 0, len(q))
	ub := make([]float64, len(q))
	for _, g := range lx.segs {
		lv.setSeg(g)
		sb := g.bounds(lx, lv.bp[0], lv.bp[1])
		xs := make([]msBound, len(q))
		top = top[:0]
		for i, t := range q {
			xs[i] = lv.bound(sb, t.id)
			ub[i] = lv.contribBound(i, xs[i].text)
			top = append(top, i)
			if r.termUB != nil {
				r.termUB[i] = max(r.termUB[i], lv.contribBound(i, xs[i].text+xs[i].title))
			}
		}
		slices.SortStableFunc(top, func(a, b int) int { return cmp.Compare(ub[b], ub[a]) })
		for _, i := range top[:min(seedTerms, len(top))] {
			lo, hi := g.chunkPost.span(q[i].id)
			if blk := xs[i].blk; blk != nil {
				k := 0
				for j, b := range blk {
					if b > blk[k] {
						k = j
					}
				}
				lo, hi = lo+uint32(k)*postBlock, min(lo+uint32(k+1)*postBlock, hi)
			}
			for pos := lo; pos < hi; pos++ {
				ids = append(ids, int32(g.chunkPost.doc[pos]))
			}
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	sc := make([]float32, len(ids))
	lv.exactScores(q, ids, sc)
	best := math.Inf(-1)
	for j, c := range ids {
		if sc[j] > 0 && (r.chunkAllow == nil || r.chunkAllow(c)) {
			best = max(best, float64(sc[j]))
		}
	}
	return best
}

// exactScores adds to sc[j] the BM25F score of chunk ids[j] (ids
// increasing, sc zero before): the same float32 as runSeg sums, term
// after term, from the same contributions.
func (lv *msLevel) exactScores(q []qterm, ids []int32, sc []float32) {
	var c msCursor
	for i, t := range q {
		for _, g := range lv.lx.segs {
			lv.setSeg(g)
			glo, ghi := lv.segRange()
			j, _ := slices.BinarySearch(ids, glo)
			end, _ := slices.BinarySearch(ids, ghi)
			if j >= end {
				continue
			}
			lv.newCursor(&c, i, t, msBound{})
			for ; j < end && c.doc != docEnd; j++ {
				if c.seek(lv, ids[j]); c.doc == ids[j] {
					sc[j] += c.contribution(lv)
				}
			}
		}
	}
}

// final is the lexical score of chunk c with BM25F score s.
func (r *lexRun) final(c int32, s float32) float64 {
	x := float64(s / r.maxChunk)
	if r.maxArt > 0 {
		x += r.q.artW * float64(r.artScore[r.lx.chunkArt[c]]/r.maxArt)
	}
	return x
}

// firstPieces returns the pieces of the first stage: the best chunk's
// score and, with an article part, the articles' scores. With the
// articles' term bounds (artTerm), each piece of articles scores them,
// then finds the best of their chunks (bestOfArts); else the two steps
// are pieces of their own, which need nothing from each other.
func (r *lexRun) firstPieces() []lexPiece {
	q := r.q
	// A chunk has only terms its article has (its text is part of the
	// article's body, its title field the article's title) when both
	// levels score the title field or neither does.
	nb := (r.lx.nChunks + msBlock - 1) / msBlock
	if q.artW > 0 {
		r.arr = r.lx.pool.get(r.lx.nArts, nb)
	}
	if q.artW > 0 && q.chunk.titleW > 0 == (q.article.titleW > 0) {
		r.termUB = make([]float64, len(q.terms))
		r.terms0 = r.arr.terms[:r.lx.nArts]
	}
	r.seeded[0] = r.seedBest()
	if r.termUB != nil {
		r.termCaps = newTermCaps(&r.cl, r.termUB)
	}
	if r.q.seed[0] != 0 {
		r.seeded[0] = r.q.seed[0]
	}
	r.theta[0].raise(r.seeded[0])
	var ps []lexPiece
	if r.terms0 == nil {
		// Else the articles' pieces do the first step too.
		ps = r.cut(nil, stepBest, int32(r.lx.nChunks), r.chunkPiece)
	}
	if r.q.artW > 0 {
		if r.terms0 != nil {
			// Merged by max as the pieces finish; their arts0 and terms0
			// each piece clears.
			r.blkArt, r.blkTerm = r.arr.blkArt[:nb], r.arr.blkTerm[:nb]
			clear(r.blkArt)
			clear(r.blkTerm)
		}
		r.arts0 = r.arr.arts[:r.lx.nArts]
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
	r.artScore, r.artTerm = r.arts0, r.terms0
	if len(r.late) > 0 {
		r.lateScores()
	}
	if r.maxArt > 0 {
		// Every block is set by its piece (blockExtras, blockCaps).
		r.extras = r.arr.extras[:(r.lx.nChunks+msBlock-1)/msBlock]
		if r.artTerm != nil {
			r.caps = r.arr.caps[:len(r.extras)]
			r.docTerm = r.artTerm
			if f := r.capScale(1); f != 1 {
				r.docTerm = make([]float64, len(r.artTerm))
				for a, x := range r.artTerm {
					r.docTerm[a] = x * f
				}
			}
		}
	}
	r.best = topk.New[float64](r.q.k)
	r.best.Order = r.q.order
	r.seeded[1] = r.seedChunks()
	if r.q.seed[1] != 0 {
		r.seeded[1] = r.q.seed[1]
	}
	r.theta[1].raise(r.seeded[1])
	return r.cut(nil, stepChunks, int32(r.lx.nChunks), r.chunkPiece)
}

// lateArts are the scores and term bounds of the articles of piece p of
// the second step by a second run that finished first.
type lateArts struct {
	p     lexPiece
	arts  []float32
	terms []float64
}

// lateScores sets the run's article scores and term bounds, where second
// runs of some pieces finished first (r.late), to other arrays (pooled
// with the run's, not cleared: every piece's range is copied), from
// theirs and from the others' in place: the first runs of those pieces
// may still be writing in the arrays.
func (r *lexRun) lateScores() {
	r.arr.lateA = sized(r.arr.lateA, len(r.arts0))
	r.artScore = r.arr.lateA
	if r.terms0 != nil {
		r.arr.lateT = sized(r.arr.lateT, len(r.terms0))
		r.artTerm = r.arr.lateT
	}
	for _, p := range r.stages[0] {
		if p.step != stepArts {
			continue
		}
		arts, terms := r.arts0[p.lo:p.hi], []float64(nil)
		if r.terms0 != nil {
			terms = r.terms0[p.lo:p.hi]
		}
		for _, x := range r.late {
			if x.p == p {
				arts, terms = x.arts, x.terms
			}
		}
		copy(r.artScore[p.lo:p.hi], arts)
		if r.terms0 != nil {
			copy(r.artTerm[p.lo:p.hi], terms)
		}
	}
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
// so the same float32 scores. With terms not nil (zero before), it also
// sets terms[a-lo] to the sum of ub[i] over the query terms i that a has.
// The articles' length normalisations are the snapshot's (artNorms), and
// a text posting of frequency 1, most of them, takes its article's
// pseudo-frequency from there, without a division.
func (lv *msLevel) scoreRange(q []qterm, sc []float32, terms []float64, tc *termCaps, lo, hi int32) {
	lx, p := lv.lx, lv.p
	nm := lx.artNorms(p, lv.bp[0])
	text, title, one, cap1 := nm.text, nm.title, nm.one, nm.cap1
	dead := lx.nDead > 0
	// The chunk level's title norm is the article level's when their
	// title normalisations are the same.
	sameTitle := tc.titleB == p.titleB
	var posts int64
	for i, t := range q {
		w := lv.ws[i]
		for _, g := range lx.segs {
			if g.firstArt >= hi || g.firstArt+g.arts <= lo {
				continue
			}
			lv.setSeg(g)
			tp := lv.text
			a, aEnd := subSpan(tp, t.id, lo, hi)
			var b, bEnd uint32
			if p.titleW > 0 {
				b, bEnd = subSpan(&g.titlePost, t.id, lo, hi)
			}
			posts += int64(aEnd-a) + int64(bEnd-b)
			var ub, w1 float64
			if terms != nil {
				ub, w1 = tc.ub[i], tc.weightUp(i)
			}
			docs, tfs := tp.doc[:aEnd], tp.tf[:aEnd]
			for a < aEnd || b < bEnd {
				// The text postings before the next title posting.
				next := uint32(docEnd)
				if b < bEnd {
					next = g.titlePost.doc[b]
				}
				for ; a < aEnd && docs[a] < next; a++ {
					d := docs[a]
					if dead && lx.isDead(d) {
						continue
					}
					var acc float32
					if tfs[a] == 1 {
						acc = one[d]
					} else {
						acc = float32(float64(tp.freq(a)) / text[d])
					}
					x := float64(acc)
					sc[d-uint32(lo)] += float32(w * x / (p.k1 + x))
					if terms != nil {
						y := w1 * float64(cap1[d])
						if tfs[a] != 1 {
							y = tc.bound(i, d, tp.freq(a), 0)
						}
						terms[d-uint32(lo)] += min(ub, y)
					}
				}
				if b >= bEnd {
					break
				}
				// The article of the title posting, with or without text.
				d := next
				var acc float32
				var f uint32 // its text frequency
				if a < aEnd && tp.doc[a] == d {
					f = tp.freq(a)
					acc += float32(float64(f) / text[d])
					a++
				}
				tf := float64(g.titlePost.freq(b))
				acc += float32(p.titleW * tf / title[d])
				b++
				if dead && lx.isDead(d) {
					continue
				}
				x := float64(acc)
				sc[d-uint32(lo)] += float32(w * x / (p.k1 + x))
				if terms != nil {
					// The chunk-level pseudo-frequency bound of the
					// article's title field.
					norm := title[d]
					if !sameTitle {
						norm = lengthNorm(lx.titleLen[d], lx.avgTitle, tc.titleB)
					}
					terms[d-uint32(lo)] += tc.bound(i, d, f, tc.title*tf/norm)
				}
			}
		}
	}
	if lv.work != nil {
		atomic.AddInt64(&lv.work.artPosts, posts)
	}
}

// artNorms are, by article, the length normalisations that the article
// step (scoreRange) and its chunk bounds (termCaps) take per posting, for
// one snapshot's averages and one tuning: computed once, by the add or
// merge that publishes the snapshot, or by its first search with another
// tuning or after a restart (a pass over the articles: a few milliseconds
// at 1M chunks), instead of divisions per posting.
// They are the same float64 values as computed per posting, so the scores
// are the same. 24 bytes an article (3-4 a chunk).
type artNorms struct {
	artB, titleB, chunkB, chunkK1 float64
	avgArt, avgTitle, avgChunk    float64
	n                             int
	text                          []float64 // (1-artB) + artB*artLen/avgArt
	one                           []float32 // float32(1/text): a text frequency of 1's pseudo-frequency
	title                         []float64 // (1-titleB) + titleB*titleLen/avgTitle
	// cap1 is 1/(k1*norm+1) rounded upward, norm the chunk level's
	// length norm of the article's shortest chunk: termCaps.bound of a
	// text frequency of 1 over the weight.
	cap1 []float32
}

// normCache holds a snapshot's artNorms.
type normCache struct {
	mu sync.Mutex
	p  atomic.Pointer[artNorms]
}

// fits reports whether nm are the norms of lx for the article-level
// parameters pa and chunk-level pc.
func (nm *artNorms) fits(lx *lexIndex, pa, pc bm25f) bool {
	return nm.artB == pa.b && nm.titleB == pa.titleB && nm.chunkB == pc.b && nm.chunkK1 == pc.k1 &&
		nm.avgArt == lx.avgArt && nm.avgTitle == lx.avgTitle && nm.avgChunk == lx.avgChunk && nm.n == lx.nArts
}

// artNorms returns the articles' norms for the article-level parameters
// pa and chunk-level pc, from the snapshot's cache when it has them.
func (lx *lexIndex) artNorms(pa, pc bm25f) *artNorms {
	if lx.norms == nil {
		return lx.newArtNorms(pa, pc)
	}
	if nm := lx.norms.p.Load(); nm != nil && nm.fits(lx, pa, pc) {
		return nm
	}
	lx.norms.mu.Lock()
	defer lx.norms.mu.Unlock()
	if nm := lx.norms.p.Load(); nm != nil && nm.fits(lx, pa, pc) {
		return nm
	}
	nm := lx.newArtNorms(pa, pc)
	lx.norms.p.Store(nm)
	return nm
}

// newArtNorms computes the articles' norms.
func (lx *lexIndex) newArtNorms(pa, pc bm25f) *artNorms {
	n := lx.nArts
	nm := &artNorms{artB: pa.b, titleB: pa.titleB, chunkB: pc.b, chunkK1: pc.k1,
		avgArt: lx.avgArt, avgTitle: lx.avgTitle, avgChunk: lx.avgChunk, n: n,
		text: make([]float64, n), one: make([]float32, n), title: make([]float64, n), cap1: make([]float32, n)}
	for a := range n {
		norm := lengthNorm(lx.artLen[a], lx.avgArt, pa.b)
		nm.text[a] = norm
		nm.one[a] = float32(float64(1) / norm)
		nm.title[a] = lengthNorm(lx.titleLen[a], lx.avgTitle, pa.titleB)
		cn := (1 - pc.b) + pc.b/lx.avgChunk*float64(lx.minChunk[a])
		nm.cap1[a] = roundUp32(1 / (pc.k1*cn + 1))
	}
	return nm
}

// termCaps bounds the chunk-level contribution of a query term to the
// chunks of an article that has it (scoreRange).
type termCaps struct {
	ub     []float64 // by query term: its bound over every chunk
	w      []float64 // by query term: its chunk-level weight times the bound scale
	minLen []float32 // by article: its shortest chunk (lexIndex.minChunk)
	k1     float64   // the chunk level's saturation
	c0, c1 float64   // its length norm of a chunk of length l: c0 + c1*l
	// The chunk level's title weight and length normalisation.
	title, titleB float64
}

// newTermCaps returns the termCaps of the chunk level cl, with the
// terms' bounds over every chunk ub.
func newTermCaps(cl *msLevel, ub []float64) termCaps {
	tc := termCaps{ub: ub, w: make([]float64, len(ub)), minLen: cl.lx.minChunk, k1: cl.p.k1, c0: 1 - cl.p.b, c1: cl.p.b / cl.avg,
		title: cl.p.titleW, titleB: cl.p.titleB}
	for i := range ub {
		tc.w[i] = cl.ws[i] * cl.boundScale
	}
	return tc
}

// weightUp returns query term i's weight rounded upward by more than the
// roundings of its product with artNorms.cap1: that product bounds the
// term's contribution to the chunks of an article whose text has it once,
// without title, as bound does.
func (tc *termCaps) weightUp(i int) float64 { return tc.w[i] * (1 + 0x1p-47) }

// bound returns the bound of query term i's contribution to the chunks
// of article a, whose text has it tf times and whose title field gives
// it the chunk-level pseudo-frequency title: a chunk's text has it at
// most tf times, and is at least as long as the article's shortest chunk.
func (tc *termCaps) bound(i int, a uint32, tf uint32, title float64) float64 {
	// The contribution bound w*x/(k1+x) of the pseudo-frequency
	// x = tf/norm + title, with one division.
	norm := tc.c0 + tc.c1*float64(tc.minLen[a])
	y := float64(tf) + title*norm
	return min(tc.ub[i], tc.w[i]*y/(tc.k1*norm+y))
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
// over maxArt of the articles of its chunks (consecutive: chunkArt of
// its first and last chunk). The extra is monotone in the score: it is
// that of the block's best score.
func (lx *lexIndex) blockExtras(out []float64, artScore []float32, maxArt float32, w float64, lo, hi int32) {
	for blo := lo; blo < hi; blo += msBlock {
		var s float32
		for _, x := range artScore[lx.chunkArt[blo] : lx.chunkArt[min(blo+msBlock, hi)-1]+1] {
			s = max(s, x)
		}
		out[blo/msBlock] = w * float64(s/maxArt)
	}
}

// blockCap returns the bound of the final scores of the chunks [lo, hi)
// of one block that blockExtras' caps were before blockCaps: the best
// over the articles a of their chunks of capTerm[a]*capScale plus
// artW times a's score over maxArt. It is at most the block's cap, and
// taken only for blocks that their cap does not skip.
func (lv *msLevel) blockCap(lo, hi int32) float64 {
	c := 0.0
	for a := lv.lx.chunkArt[lo]; a <= lv.lx.chunkArt[hi-1]; a++ {
		c = max(c, lv.capTerm[a]*lv.capScale+lv.artW*float64(lv.artScore[a]/lv.maxArt))
	}
	return c
}

// blockCaps sets out[b] and caps[b] for the blocks b in [blo, bhi) from
// the best score blkArt[b] and term bound blkTerm[b] of the articles of
// the block's chunks: out[b] as blockExtras, and caps[b] a bound of their
// chunks' final scores, blkTerm[b]*scale plus out[b]. The cap is looser
// than the best over the articles of the sum of each one's parts, but
// takes a product and a sum by block where that takes them by article.
func blockCaps(out, caps []float64, blkArt []float32, blkTerm []float64, maxArt float32, w, scale float64, blo, bhi int32) {
	for b := blo; b < bhi; b++ {
		out[b] = w * float64(blkArt[b]/maxArt)
		caps[b] = blkTerm[b]*scale + out[b]
	}
}
