package retrieval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"sync"
)

// change is what a commit does to a snapshot: articles to add (replacing
// any with the same ID) and article IDs to remove.
type change struct {
	add    []*prepArticle
	remove []string
}

// built is the result of applying a change: the next snapshot and the
// slots of the chunks it drops.
type built struct {
	snap  *snapshot
	freed []int32
}

// next builds the snapshot that follows old after the change, beside it:
// old is not modified and stays searchable meanwhile. The work is that of
// the change, not of the index: the added articles are appended to the
// arrays old shares (past their ends) and get a small segment of their
// own; the removed ones are marked dead, and their terms' document
// frequencies (from a fresh analysis of the article) are taken off the
// statistics. old must be the newest snapshot of its line: no other
// snapshot has been made from it. Callers hold addMu.
func (ix *Index) next(old *snapshot, ch change) (built, error) {
	var b built
	olx := old.lex
	adds := slices.Clone(ch.add)
	slices.SortFunc(adds, func(x, y *prepArticle) int { return cmp.Compare(x.art.ID, y.art.ID) })
	var drops []int32
	seen := map[int32]bool{}
	for _, id := range slices.Concat(ch.remove, idsOf(adds)) {
		if a, ok := old.lookup(id); ok && !seen[a] {
			seen[a] = true
			drops = append(drops, a)
		}
	}

	s := *old
	lx := *olx
	lx.norms = new(normCache)
	s.lex = &lx
	s.idOver = maps.Clone(old.idOver)
	if s.idOver == nil {
		s.idOver = map[string]int32{}
	}
	set := map[int32]int32{} // vector slot -> chunk, -1 for none
	if len(drops) > 0 {
		lx.dead = slices.Clone(olx.dead)
		if need := (olx.nArts + 63) / 64; len(lx.dead) < need {
			lx.dead = append(lx.dead, make([]uint64, need-len(lx.dead))...)
		}
		lx.delDF = maps.Clone(olx.delDF)
		if lx.delDF == nil {
			lx.delDF = map[uint32]dfPair{}
		}
		for _, a := range drops {
			if err := ix.dropTerms(old, a, lx.delDF); err != nil {
				return b, fmt.Errorf("remove %s: %w", old.arts[a].art.ID, err)
			}
			lx.dead[a>>6] |= 1 << (a & 63)
			lx.nDead++
			first, end := olx.artFirst[a], olx.artFirst[a+1]
			lx.liveArts--
			lx.liveChunks -= int(end - first)
			lx.sumArt -= float64(olx.artLen[a])
			lx.sumTitle -= float64(olx.titleLen[a])
			for c := first; c < end; c++ {
				lx.sumChunk -= float64(olx.chunkLen[c])
				r := old.chunks[c]
				b.freed = append(b.freed, r.slot)
				set[r.slot] = -1
			}
			s.idOver[old.arts[a].art.ID] = -1
		}
	}

	if len(adds) > 0 {
		seg := &lexSeg{firstChunk: int32(olx.nChunks), firstArt: int32(olx.nArts)}
		// The arrays grow once by what is added, not by doubling as they
		// are appended to (which leaves copies behind for the collector).
		nAdd := 0
		for _, p := range adds {
			nAdd += len(p.chunks)
		}
		s.arts = slices.Grow(s.arts, len(adds))
		lx.artLen = slices.Grow(lx.artLen, len(adds))
		lx.titleLen = slices.Grow(lx.titleLen, len(adds))
		s.artOutlet = slices.Grow(s.artOutlet, len(adds))
		lx.artFirst = slices.Grow(lx.artFirst, len(adds))
		s.chunks = slices.Grow(s.chunks, nAdd)
		lx.chunkArt = slices.Grow(lx.chunkArt, nAdd)
		lx.chunkLen = slices.Grow(lx.chunkLen, nAdd)
		chunkBags := make([]docBag, 0, nAdd)
		bodyBags := make([]docBag, 0, len(adds))
		titleBags := make([]docBag, 0, len(adds))
		for _, p := range adds {
			a := int32(len(s.arts))
			e := p.entry()
			s.arts = append(s.arts, e)
			lx.artLen = append(lx.artLen, float32(p.bodyLen))
			lx.titleLen = append(lx.titleLen, float32(p.titleLen))
			oid := int32(-1)
			if e.outlet != "" {
				var ok bool
				if oid, ok = s.outletID[e.outlet]; !ok {
					if len(s.outletID) == len(old.outletID) {
						s.outletID = maps.Clone(old.outletID)
					}
					oid = int32(len(s.outlets))
					s.outletID[e.outlet] = oid
					s.outlets = append(s.outlets, e.outlet)
				}
			}
			s.artOutlet = append(s.artOutlet, oid)
			bodyBags = append(bodyBags, docBag{uint32(a), p.body})
			titleBags = append(titleBags, docBag{uint32(a), p.title})
			for k := range p.chunks {
				pc := &p.chunks[k]
				c := int32(len(s.chunks))
				s.chunks = append(s.chunks, chunkRec{id: pc.id, start: pc.start, end: pc.end, slot: pc.slot})
				lx.chunkArt = append(lx.chunkArt, a)
				lx.chunkLen = append(lx.chunkLen, float32(pc.length))
				chunkBags = append(chunkBags, docBag{uint32(c), pc.bag})
				lx.sumChunk += float64(pc.length)
				set[pc.slot] = c
			}
			lx.artFirst = append(lx.artFirst, int32(len(s.chunks)))
			lx.sumArt += float64(p.bodyLen)
			lx.sumTitle += float64(p.titleLen)
			lx.liveArts++
			lx.liveChunks += len(p.chunks)
			s.idOver[e.art.ID] = a
		}
		lx.nArts, lx.nChunks = len(s.arts), len(s.chunks)
		seg.arts, seg.chunks = int32(lx.nArts)-seg.firstArt, int32(lx.nChunks)-seg.firstChunk
		// A small segment's postings are sparse (sorted), the three kinds
		// built at once. A large batch's chunk and body postings are
		// dense, one row per term, built without sorting: the chunk
		// postings (with the title field's) first, then, their bags
		// dropped, the body postings, so that the bags of all the chunks
		// and both kinds of dense postings are never held at once.
		dense := int(seg.chunks) > denseSegChunks
		errs := make([]error, 3)
		jobs := []struct {
			dst  *postings
			bags []docBag
		}{{&seg.chunkPost, chunkBags}, {&seg.artPost, bodyBags}, {&seg.titlePost, titleBags}}
		build := func(ks ...int) {
			var wg sync.WaitGroup
			for _, k := range ks {
				wg.Go(func() {
					if dense && k < 2 {
						*jobs[k].dst, errs[k] = postingsFromBags(ix.terms.len(), jobs[k].bags)
						return
					}
					*jobs[k].dst, errs[k] = sparsePostings(appendBags(nil, jobs[k].bags))
				})
			}
			wg.Wait()
		}
		if dense {
			build(0, 2)
			if errs[0] == nil {
				for _, p := range adds {
					for k := range p.chunks {
						p.chunks[k].bag = nil
					}
				}
				build(1)
			}
		} else {
			build(0, 1, 2)
		}
		if err := errors.Join(errs...); err != nil {
			return b, fmt.Errorf("build lexical index: %w", err)
		}
		// The bags are in the postings now: dropped, so that what follows
		// (writing a new base, for a large Add) does not hold them.
		for _, p := range adds {
			p.title, p.body = nil, nil
			for k := range p.chunks {
				p.chunks[k].bag = nil
			}
		}
		seg.computeDF(lx.artFirst)
		lx.segs = append(slices.Clip(olx.segs), seg)
		if olx.nArts == 0 && dense {
			// Added in ID order to an empty index: compacted as it is.
			lx.sorted, lx.sortedArts = int32(lx.nChunks), int32(lx.nArts)
			s.idBase, s.idOver = s.idOver, nil
		}
	}
	lx.terms = max(olx.terms, ix.terms.len())
	lx.setAverages()
	s.maxIDF = idf(lx.liveChunks, 0)
	// The added chunks' vectors (fresh slots, in no snapshot yet) get
	// their codes before any search can see them.
	var added []int32
	for _, p := range adds {
		if p.slots == nil {
			for k := range p.chunks {
				added = append(added, p.chunks[k].slot)
			}
		}
	}
	ix.vecs.encode(added)
	s.vecs = old.vecs.setChunks(ix.vecs.view(), set)
	b.snap = &s
	return b, nil
}

// denseSegChunks is the size above which a batch's segment gets dense
// postings.
const denseSegChunks = 4096

func idsOf(preps []*prepArticle) []string {
	out := make([]string, len(preps))
	for i, p := range preps {
		out[i] = p.art.ID
	}
	return out
}

// dropTerms adds the document frequencies of article a's terms to df:
// for every term of its title field, all its chunks; for any other, the
// chunks whose text has it; and the article once for a term of its body
// or title field. It analyses the article again, as Add did.
func (ix *Index) dropTerms(s *snapshot, a int32, df map[uint32]dfPair) error {
	p, err := ix.reanalyze(s, a)
	if err != nil {
		return err
	}
	inTitle := map[uint32]bool{}
	for t := range p.title.all() {
		inTitle[t] = true
		x := df[t]
		x.chunks += int32(len(p.chunks))
		x.arts++
		df[t] = x
	}
	for t := range p.body.all() {
		if !inTitle[t] {
			x := df[t]
			x.arts++
			df[t] = x
		}
	}
	for _, c := range p.chunks {
		for t := range c.bag.all() {
			if !inTitle[t] {
				x := df[t]
				x.chunks++
				df[t] = x
			}
		}
	}
	return nil
}

// reanalyze analyses article a of s again, as Add did: the same terms
// and chunks, with the chunks' vector slots (nothing is embedded).
func (ix *Index) reanalyze(s *snapshot, a int32) (*prepArticle, error) {
	e := s.arts[a]
	p := &prepArticle{art: e.art, hash: e.hash}
	p.entryOnce.Do(func() { p.e = e })
	for c := s.lex.artFirst[a]; c < s.lex.artFirst[a+1]; c++ {
		p.slots = append(p.slots, s.chunks[c].slot)
	}
	if err := newAnalysisWorker(ix).batch(context.Background(), []*prepArticle{p}); err != nil {
		return nil, err
	}
	if len(p.chunks) != len(p.slots) {
		return nil, fmt.Errorf("article %s: analysed into %d chunks, indexed as %d", e.art.ID, len(p.chunks), len(p.slots))
	}
	return p, nil
}

// compacted reports whether s is a compacted index: one segment, no dead
// articles, everything in ID order.
func (s *snapshot) compacted() bool {
	lx := s.lex
	return len(lx.segs) == 1 && lx.nDead == 0 && int(lx.sorted) == lx.nChunks && lx.segs[0].chunkPost.keys == nil
}

// compact returns s as an index built afresh from its live articles: in ID
// order, one segment with dense postings, no dead articles. Chunks keep
// their vector slots. It is linear in the size of the index and reads
// only s, which is immutable, so it runs beside adds and searches.
func compact(s *snapshot) (*snapshot, error) {
	olx := s.lex
	order := s.live()
	nArts := len(order)
	artRemap := make([]int32, olx.nArts)
	chunkRemap := make([]int32, olx.nChunks)
	for i := range artRemap {
		artRemap[i] = -1
	}
	for i := range chunkRemap {
		chunkRemap[i] = -1
	}
	nChunks := 0
	for i, a := range order {
		artRemap[a] = int32(i)
		for c := olx.artFirst[a]; c < olx.artFirst[a+1]; c++ {
			chunkRemap[c] = int32(nChunks)
			nChunks++
		}
	}
	out := &snapshot{arts: make([]*entry, nArts), chunks: make([]chunkRec, nChunks),
		idBase: make(map[string]int32, nArts), outletID: map[string]int32{}, artOutlet: make([]int32, nArts)}
	lx := &lexIndex{pool: olx.pool, nArts: nArts, nChunks: nChunks, artFirst: make([]int32, nArts+1), chunkArt: make([]int32, nChunks),
		artLen: make([]float32, nArts), titleLen: make([]float32, nArts), chunkLen: make([]float32, nChunks),
		sorted: int32(nChunks), sortedArts: int32(nArts), liveArts: nArts, liveChunks: nChunks, terms: olx.terms,
		norms: new(normCache)}
	c := int32(0)
	for i, a := range order {
		e := s.arts[a]
		out.arts[i] = e
		out.idBase[e.art.ID] = int32(i)
		lx.artFirst[i] = c
		lx.artLen[i], lx.titleLen[i] = olx.artLen[a], olx.titleLen[a]
		lx.sumArt += float64(olx.artLen[a])
		lx.sumTitle += float64(olx.titleLen[a])
		for oc := olx.artFirst[a]; oc < olx.artFirst[a+1]; oc++ {
			out.chunks[c] = s.chunks[oc]
			lx.chunkArt[c] = int32(i)
			lx.chunkLen[c] = olx.chunkLen[oc]
			lx.sumChunk += float64(olx.chunkLen[oc])
			c++
		}
	}
	lx.artFirst[nArts] = c
	out.setOutlets()
	seg := &lexSeg{chunks: int32(nChunks), arts: int32(nArts)}
	var chunkParts, artParts []*postings
	var chunkDrops, artDrops []func()
	var titles []posting
	for _, g := range olx.segs {
		chunkParts = append(chunkParts, &g.chunkPost)
		artParts = append(artParts, &g.artPost)
		chunkDrops = append(chunkDrops, g.dropper(&g.chunkPost))
		artDrops = append(artDrops, g.dropper(&g.artPost))
		titles = appendPostings(titles, &g.titlePost, artRemap)
	}
	errs := make([]error, 3)
	var wg sync.WaitGroup
	wg.Go(func() { seg.chunkPost, errs[0] = densePostings(olx.terms, chunkParts, chunkRemap, chunkDrops) })
	wg.Go(func() { seg.artPost, errs[1] = densePostings(olx.terms, artParts, artRemap, artDrops) })
	seg.titlePost, errs[2] = sparsePostings(titles)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("compact the index: %w", err)
	}
	seg.computeDF(lx.artFirst)
	lx.segs = []*lexSeg{seg}
	lx.setAverages()
	out.lex = lx
	out.maxIDF = idf(nChunks, 0)
	out.vecs = fullView(s.vecs, out.chunks)
	out.epoch = s.epoch + 1
	return out, nil
}

// setOutlets fills outlets, outletID and artOutlet from the articles.
func (s *snapshot) setOutlets() {
	s.artOutlet = make([]int32, len(s.arts))
	for i, e := range s.arts {
		if e.outlet == "" {
			s.artOutlet[i] = -1
			continue
		}
		id, ok := s.outletID[e.outlet]
		if !ok {
			id = int32(len(s.outlets))
			s.outletID[e.outlet] = id
			s.outlets = append(s.outlets, e.outlet)
		}
		s.artOutlet[i] = id
	}
}

// fullView returns base (its vectors and codes) with the chunks, each in
// its slot.
func fullView(base vecView, chunks []chunkRec) vecView {
	v := base
	v.slotChunk = make([][]int32, (v.slots+slabSlots-1)/slabSlots)
	for b := range v.slotChunk {
		blk := make([]int32, slabSlots)
		for i := range blk {
			blk[i] = -1
		}
		v.slotChunk[b] = blk
	}
	for c, r := range chunks {
		v.slotChunk[r.slot/slabSlots][r.slot%slabSlots] = int32(c)
	}
	return v
}

// Segment merging, in the manner of bleve's tiered merge policy: the
// small segments each Add makes are grouped in tiers by size (powers of
// segTierBase chunks), and once segsPerTier adjacent segments share a
// tier, they are merged into one in the background. The merged segment
// covers the same articles (dead ones included) with the same numbers,
// so that it replaces them in whatever snapshot is current then.
const (
	segsPerTier = 8
	segTierBase = 8
)

// segTier returns the tier of a segment.
func segTier(g *lexSeg) int { return bits.Len(uint(g.chunks)) / bits.Len(segTierBase-1) }

// mergeCandidates returns the first run of segsPerTier adjacent segments
// of one tier, or nil. A compacted base (dense postings) is never merged
// this way.
func mergeCandidates(segs []*lexSeg) []*lexSeg {
	run := 0
	for i, g := range segs {
		if g.chunkPost.keys == nil {
			run = 0
			continue
		}
		if run > 0 && segTier(segs[i-1]) == segTier(g) {
			run++
		} else {
			run = 1
		}
		if run == segsPerTier {
			return segs[i+1-run : i+1]
		}
	}
	return nil
}

// mergeSegs merges adjacent segments into one. artFirst is that of a
// snapshot holding them.
func mergeSegs(segs []*lexSeg, artFirst []int32) (*lexSeg, error) {
	first, last := segs[0], segs[len(segs)-1]
	out := &lexSeg{firstChunk: first.firstChunk, firstArt: first.firstArt,
		chunks: last.firstChunk + last.chunks - first.firstChunk, arts: last.firstArt + last.arts - first.firstArt}
	var chunks, arts, titles []posting
	for _, g := range segs {
		chunks = appendPostings(chunks, &g.chunkPost, nil)
		arts = appendPostings(arts, &g.artPost, nil)
		titles = appendPostings(titles, &g.titlePost, nil)
	}
	var err [3]error
	out.chunkPost, err[0] = sparsePostings(chunks)
	out.artPost, err[1] = sparsePostings(arts)
	out.titlePost, err[2] = sparsePostings(titles)
	if e := errors.Join(err[:]...); e != nil {
		return nil, e
	}
	out.computeDF(artFirst)
	return out, nil
}

// withSegs returns s with segments old (adjacent, in order) replaced by
// merged, or nil when s no longer holds them.
func (s *snapshot) withSegs(old []*lexSeg, merged *lexSeg) *snapshot {
	i := slices.Index(s.lex.segs, old[0])
	if i < 0 || i+len(old) > len(s.lex.segs) || !slices.Equal(s.lex.segs[i:i+len(old)], old) {
		return nil
	}
	out := *s
	lx := *s.lex
	lx.segs = slices.Concat(s.lex.segs[:i], []*lexSeg{merged}, s.lex.segs[i+len(old):])
	out.lex = &lx
	return &out
}

// compactBytes returns what compacting s allocates beside it, for the
// memory guard: as much as its chunk and body postings again, nothing
// when it is compacted already.
func (s *snapshot) compactBytes() uint64 {
	if s.compacted() {
		return 0
	}
	n := uint64(0)
	for _, g := range s.lex.segs {
		for _, p := range []*postings{&g.chunkPost, &g.artPost} {
			n += 4*uint64(len(p.doc)+len(p.off)+len(p.keys)) + 2*uint64(len(p.tf))
		}
		// The title field's postings are gathered (12 bytes each), then
		// sorted into sparse postings.
		n += 18 * uint64(len(g.titlePost.doc))
	}
	// The remaps, the chunks' records and columns; the articles' table.
	return n + 48*uint64(s.lex.nChunks) + 128*uint64(s.lex.nArts)
}

// prepSizes returns, for the memory guard of an Add whose articles are
// prepared and whose live heap is live, the live heap expected once the
// articles are indexed (their bags become dense postings) and the most
// it holds meanwhile: the bags of all the chunks beside their postings,
// or, when the Add compacts the index old grows into, everything beside
// the compacted postings.
func prepSizes(live uint64, preps []*prepArticle, nTerms int, old *snapshot) (expect, peak uint64) {
	var bags, chunkEntries, bodyEntries uint64
	for _, p := range preps {
		bags += uint64(len(p.title) + len(p.body))
		bodyEntries += uint64(p.body.terms())
		for k := range p.chunks {
			bags += uint64(len(p.chunks[k].bag))
			chunkEntries += uint64(p.chunks[k].bag.terms())
		}
	}
	chunkPost := 6*chunkEntries + 4*uint64(nTerms)
	post := chunkPost + 6*bodyEntries + 4*uint64(nTerms)
	expect = max(live, bags) - bags + post
	peak = live + chunkPost
	if old.lex.nArts > 0 {
		peak = max(peak, expect+old.compactBytes()+post)
	}
	return expect, peak
}
