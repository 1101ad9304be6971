package retrieval

import (
	"cmp"
	"errors"
	"fmt"
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
// old is not modified and stays searchable meanwhile. The work is linear in
// the size of the index: articles and chunks are copied, posting lists
// renumbered and merged with the new articles'.
func next(old *snapshot, ch change, vecs *vecStore, nTerms int) (built, error) {
	var b built
	drop := map[string]bool{}
	for _, id := range ch.remove {
		drop[id] = true
	}
	adds := slices.Clone(ch.add)
	slices.SortFunc(adds, func(x, y *prepArticle) int { return cmp.Compare(x.art.ID, y.art.ID) })
	for _, p := range adds {
		drop[p.art.ID] = true
	}

	// The new article order: the old articles kept, merged with the added
	// ones by ID.
	olx := old.lex
	type source struct {
		old int32 // -1 for an added article
		p   *prepArticle
	}
	srcs := make([]source, 0, len(old.arts)+len(adds))
	artRemap := make([]int32, len(old.arts))
	chunkRemap := make([]int32, olx.nChunks)
	dropped := false
	j := 0
	for a, e := range old.arts {
		for j < len(adds) && adds[j].art.ID < e.art.ID {
			srcs = append(srcs, source{old: -1, p: adds[j]})
			j++
		}
		if drop[e.art.ID] {
			dropped = true
			artRemap[a] = -1
			for c := olx.artFirst[a]; c < olx.artFirst[a+1]; c++ {
				chunkRemap[c] = -1
				b.freed = append(b.freed, old.chunks[c].slot)
			}
			continue
		}
		artRemap[a] = int32(len(srcs))
		srcs = append(srcs, source{old: int32(a)})
	}
	for ; j < len(adds); j++ {
		srcs = append(srcs, source{old: -1, p: adds[j]})
	}

	nArts := len(srcs)
	s := &snapshot{arts: make([]*entry, nArts), byID: make(map[string]int32, nArts)}
	lx := &lexIndex{nArts: nArts, artFirst: make([]int32, nArts+1),
		artLen: make([]float32, nArts), titleLen: make([]float32, nArts)}
	nChunks := 0
	for a, src := range srcs {
		lx.artFirst[a] = int32(nChunks)
		if src.old >= 0 {
			nChunks += int(olx.artFirst[src.old+1] - olx.artFirst[src.old])
		} else {
			nChunks += len(src.p.chunks)
		}
	}
	lx.artFirst[nArts] = int32(nChunks)
	lx.nChunks = nChunks
	lx.chunkArt = make([]int32, nChunks)
	lx.chunkLen = make([]float32, nChunks)
	s.chunks = make([]chunkRec, nChunks)
	var chunkBags, bodyBags, titleBags []docBag
	for a, src := range srcs {
		first := lx.artFirst[a]
		if src.old >= 0 {
			oa := src.old
			s.arts[a] = old.arts[oa]
			lx.artLen[a], lx.titleLen[a] = olx.artLen[oa], olx.titleLen[oa]
			ofirst, oend := olx.artFirst[oa], olx.artFirst[oa+1]
			copy(s.chunks[first:], old.chunks[ofirst:oend])
			copy(lx.chunkLen[first:], olx.chunkLen[ofirst:oend])
			for c := ofirst; c < oend; c++ {
				chunkRemap[c] = first + (c - ofirst)
			}
		} else {
			p := src.p
			s.arts[a] = p.entry()
			lx.artLen[a], lx.titleLen[a] = float32(p.bodyLen), float32(p.titleLen)
			bodyBags = append(bodyBags, docBag{uint32(a), &p.body})
			titleBags = append(titleBags, docBag{uint32(a), &p.title})
			for k := range p.chunks {
				pc := &p.chunks[k]
				c := first + int32(k)
				s.chunks[c] = chunkRec{id: pc.id, start: pc.start, end: pc.end, slot: pc.slot}
				lx.chunkLen[c] = float32(pc.length)
				chunkBags = append(chunkBags, docBag{uint32(c), &pc.bag})
			}
		}
		for c := first; c < lx.artFirst[a+1]; c++ {
			lx.chunkArt[c] = int32(a)
		}
		s.byID[s.arts[a].art.ID] = int32(a)
	}
	lx.setAverages()

	// Postings: the old ones renumbered, merged with the added articles'.
	var cr, ar []int32
	if dropped || len(adds) > 0 {
		cr, ar = chunkRemap, artRemap
	}
	// The three kinds of postings are built at once.
	errs := make([]error, 3)
	merge := func(dst *postings, old *postings, remap []int32, bags []docBag) error {
		add, err := postingsFromBags(nTerms, bags)
		if err != nil {
			return err
		}
		*dst, err = mergePostings(nTerms, old, remap, &add)
		return err
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		errs[0] = merge(&lx.chunkPost, &olx.chunkPost, cr, chunkBags)
	}()
	go func() {
		defer wg.Done()
		errs[1] = merge(&lx.artPost, &olx.artPost, ar, bodyBags)
	}()
	lx.titlePost, errs[2] = sparsePostings(&olx.titlePost, ar, titleBags)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return b, fmt.Errorf("build lexical index: %w", err)
	}
	lx.computeDF()
	s.lex = lx
	s.maxIDF = idf(lx.nChunks, 0)
	s.setOutlets()

	var added []int32
	for _, p := range adds {
		for k := range p.chunks {
			added = append(added, p.chunks[k].slot)
		}
	}
	vecs.encode(added)
	slotChunk := make([]int32, vecs.slots())
	for i := range slotChunk {
		slotChunk[i] = -1
	}
	for c := range s.chunks {
		if sl := s.chunks[c].slot; sl >= 0 {
			slotChunk[sl] = int32(c)
		}
	}
	s.vecs = vecs.view(slotChunk)
	b.snap = s
	return b, nil
}
