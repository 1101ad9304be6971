package retrieval

import (
	"cmp"
	"errors"
	"math"
	"slices"
	"strings"
)

// bag is a sparse term-frequency vector: term IDs and their counts, in no
// particular order, each ID once.
type bag struct {
	IDs []uint32
	TFs []uint32
}

// sentTerms is the analysis of one sentence: its unigram and bigram terms,
// and its length in words (unigrams that are not extra).
type sentTerms struct {
	terms  []string
	length int32
}

// analyzeField analyses a piece of text into unigram and bigram terms; bigrams
// join consecutive non-extra unigrams with a space.
func (an analyzer) analyzeField(text string, buf []token) (sentTerms, []token) {
	buf = an.tokens(text, buf[:0])
	st := sentTerms{terms: make([]string, 0, 2*len(buf))}
	prev := ""
	for _, t := range buf {
		st.terms = append(st.terms, t.term)
		if t.extra {
			continue
		}
		st.length++
		if prev != "" {
			st.terms = append(st.terms, prev+" "+t.term)
		}
		prev = t.term
	}
	return st, buf
}

// isBigram reports whether an analysed term is a bigram.
func isBigram(term string) bool { return strings.IndexByte(term, ' ') >= 0 }

// maxTF16 marks a term frequency too large for a uint16; the real one is in
// postings.big.
const maxTF16 = math.MaxUint16

// errTooManyPostings is returned when an index would pass 2^32 postings of
// one kind.
var errTooManyPostings = errors.New("index too large: over 2^32 postings")

// postings are the posting lists of terms, in one block (compressed sparse
// rows): row r's postings are doc[off[r]:off[r+1]], in increasing doc
// order, with their term frequencies in tf. A posting is 6 bytes. Rows are
// terms (row t is term t) unless keys is set: then row r holds term
// keys[r], and terms without postings take no room, which suits a field
// as small as the titles.
type postings struct {
	keys []uint32 // sorted term IDs of the rows, or nil for one row per term
	off  []uint32 // len rows+1
	doc  []uint32
	tf   []uint16
	big  map[uint32]uint32 // position -> term frequency, where tf is maxTF16
}

// terms returns the number of terms the postings cover (rows, for dense
// postings).
func (p *postings) terms() int { return max(0, len(p.off)-1) }

// row returns the row of term t.
func (p *postings) row(t uint32) (uint32, bool) {
	if p.keys == nil {
		return t, int(t)+1 < len(p.off)
	}
	i, ok := slices.BinarySearch(p.keys, t)
	return uint32(i), ok
}

// span returns the positions of term t's postings.
func (p *postings) span(t uint32) (lo, hi uint32) {
	r, ok := p.row(t)
	if !ok {
		return 0, 0
	}
	return p.off[r], p.off[r+1]
}

// freq returns the term frequency at a position.
func (p *postings) freq(pos uint32) uint32 {
	if f := p.tf[pos]; f != maxTF16 {
		return uint32(f)
	}
	return p.big[pos]
}

// setFreq stores the term frequency at a position.
func (p *postings) setFreq(pos, f uint32) {
	if f < maxTF16 {
		p.tf[pos] = uint16(f)
		return
	}
	p.tf[pos] = maxTF16
	if p.big == nil {
		p.big = map[uint32]uint32{}
	}
	p.big[pos] = f
}

// docBag is a bag and the document it belongs to.
type docBag struct {
	doc uint32
	b   *bag
}

// postingsFromBags builds the postings of bags given in increasing doc
// order, over nTerms terms.
func postingsFromBags(nTerms int, bags []docBag) (postings, error) {
	p := postings{off: make([]uint32, nTerms+1)}
	total := 0
	for _, db := range bags {
		for _, id := range db.b.IDs {
			p.off[id+1]++
		}
		total += len(db.b.IDs)
	}
	if uint64(total) > math.MaxUint32 {
		return p, errTooManyPostings
	}
	for t := 1; t <= nTerms; t++ {
		p.off[t] += p.off[t-1]
	}
	p.doc = make([]uint32, total)
	p.tf = make([]uint16, total)
	next := slices.Clone(p.off[:nTerms])
	for _, db := range bags {
		for k, id := range db.b.IDs {
			pos := next[id]
			next[id]++
			p.doc[pos] = db.doc
			p.setFreq(pos, db.b.TFs[k])
		}
	}
	return p, nil
}

// mergePostings returns old's postings with their docs renumbered by remap
// (-1 drops a doc; nil keeps every doc as it is) merged with add's, over
// nTerms terms. Renumbering keeps the docs' order, and add's docs are none
// of old's, so each merged list stays in increasing doc order.
func mergePostings(nTerms int, old *postings, remap []int32, add *postings) (postings, error) {
	oldTerms := old.terms()
	if oldTerms == 0 || len(old.doc) == 0 {
		if add.terms() == nTerms {
			return *add, nil
		}
	}
	p := postings{off: make([]uint32, nTerms+1)}
	total := 0
	for t := 0; t < nTerms; t++ {
		n := 0
		if t < oldTerms {
			lo, hi := old.span(uint32(t))
			if remap == nil {
				n = int(hi - lo)
			} else {
				for _, d := range old.doc[lo:hi] {
					if remap[d] >= 0 {
						n++
					}
				}
			}
		}
		alo, ahi := add.span(uint32(t))
		total += n + int(ahi-alo)
		if uint64(total) > math.MaxUint32 {
			return p, errTooManyPostings
		}
		p.off[t+1] = uint32(total)
	}
	p.doc = make([]uint32, total)
	p.tf = make([]uint16, total)
	for t := 0; t < nTerms; t++ {
		pos := p.off[t]
		var olo, ohi uint32
		if t < oldTerms {
			olo, ohi = old.span(uint32(t))
		}
		alo, ahi := add.span(uint32(t))
		i, j := olo, alo
		for i < ohi || j < ahi {
			// The next old posting that is kept, renumbered.
			var od uint32
			ok := false
			for i < ohi {
				if remap == nil {
					od, ok = old.doc[i], true
					break
				}
				if r := remap[old.doc[i]]; r >= 0 {
					od, ok = uint32(r), true
					break
				}
				i++
			}
			if ok && (j >= ahi || od < add.doc[j]) {
				p.doc[pos] = od
				p.setFreq(pos, old.freq(i))
				i++
			} else if j < ahi {
				p.doc[pos] = add.doc[j]
				p.setFreq(pos, add.freq(j))
				j++
			} else {
				break
			}
			pos++
		}
	}
	return p, nil
}

// sparsePostings returns old's postings with their docs renumbered by remap
// (-1 drops a doc; nil keeps them) together with the postings of bags, as
// sparse postings: only terms that have some get a row. It sorts, which
// suits small fields.
func sparsePostings(old *postings, remap []int32, bags []docBag) (postings, error) {
	type entry struct {
		term, doc, tf uint32
	}
	var all []entry
	for r := 0; r < old.terms(); r++ {
		t := uint32(r)
		if old.keys != nil {
			t = old.keys[r]
		}
		for pos := old.off[r]; pos < old.off[r+1]; pos++ {
			d := old.doc[pos]
			if remap != nil {
				if remap[d] < 0 {
					continue
				}
				d = uint32(remap[d])
			}
			all = append(all, entry{t, d, old.freq(pos)})
		}
	}
	for _, db := range bags {
		for k, id := range db.b.IDs {
			all = append(all, entry{id, db.doc, db.b.TFs[k]})
		}
	}
	if uint64(len(all)) > math.MaxUint32 {
		return postings{}, errTooManyPostings
	}
	slices.SortFunc(all, func(a, b entry) int {
		if a.term != b.term {
			return cmp.Compare(a.term, b.term)
		}
		return cmp.Compare(a.doc, b.doc)
	})
	p := postings{keys: []uint32{}, off: []uint32{0}, doc: make([]uint32, len(all)), tf: make([]uint16, len(all))}
	for i, e := range all {
		if i == 0 || e.term != all[i-1].term {
			if i > 0 {
				p.off = append(p.off, uint32(i))
			}
			p.keys = append(p.keys, e.term)
		}
		p.doc[i] = e.doc
		p.setFreq(uint32(i), e.tf)
	}
	if len(all) > 0 {
		p.off = append(p.off, uint32(len(all)))
	}
	return p, nil
}

// lexIndex is an immutable inverted index over the chunks and articles of
// a snapshot. Chunks of one article are contiguous and articles are in ID
// order.
type lexIndex struct {
	nChunks, nArts int
	chunkArt       []int32 // chunk -> article
	artFirst       []int32 // article -> first chunk; artFirst[nArts] == nChunks

	chunkLen, artLen, titleLen []float32
	avgChunk, avgArt, avgTitle float64

	chunkPost postings // term -> chunks whose text has it
	artPost   postings // term -> articles whose body has it
	titlePost postings // term -> articles whose title field has it (sparse)

	// titleChunkDF and titleArtDF are the document frequencies of the
	// terms of the title field (by row of titlePost): chunks with the term
	// in text or title, articles with it in body or title. Any other
	// term's are the lengths of its posting lists.
	titleChunkDF, titleArtDF []int32
}

// chunkDF returns the number of chunks with term t in text or title.
func (lx *lexIndex) chunkDF(t uint32) int32 {
	if r, ok := lx.titlePost.row(t); ok {
		return lx.titleChunkDF[r]
	}
	lo, hi := lx.chunkPost.span(t)
	return int32(hi - lo)
}

// artDF returns the number of articles with term t in body or title.
func (lx *lexIndex) artDF(t uint32) int32 {
	if r, ok := lx.titlePost.row(t); ok {
		return lx.titleArtDF[r]
	}
	lo, hi := lx.artPost.span(t)
	return int32(hi - lo)
}

// nTerms returns the number of terms the index covers.
func (lx *lexIndex) nTerms() int { return lx.chunkPost.terms() }

// setAverages computes the average lengths.
func (lx *lexIndex) setAverages() {
	var sumChunk, sumArt, sumTitle float64
	for _, l := range lx.chunkLen {
		sumChunk += float64(l)
	}
	for a := range lx.artLen {
		sumArt += float64(lx.artLen[a])
		sumTitle += float64(lx.titleLen[a])
	}
	lx.avgChunk = safeAvg(sumChunk, lx.nChunks)
	lx.avgArt = safeAvg(sumArt, lx.nArts)
	lx.avgTitle = safeAvg(sumTitle, lx.nArts)
}

// computeDF counts, for every term of the title field, the chunks that have
// it in their text or their article's title field, and the articles that
// have it in body or title.
func (lx *lexIndex) computeDF() {
	tp := &lx.titlePost
	n := tp.terms()
	lx.titleChunkDF = make([]int32, n)
	lx.titleArtDF = make([]int32, n)
	for r := 0; r < n; r++ {
		t := tp.keys[r]
		clo, chi := lx.chunkPost.span(t)
		alo, ahi := lx.artPost.span(t)
		cdf, adf := int32(chi-clo), int32(ahi-alo)
		cdocs := lx.chunkPost.doc[clo:chi]
		adocs := lx.artPost.doc[alo:ahi]
		for _, a := range tp.doc[tp.off[r]:tp.off[r+1]] {
			// Every chunk of the article has the title's terms.
			first, end := uint32(lx.artFirst[a]), uint32(lx.artFirst[a+1])
			i, _ := slices.BinarySearch(cdocs, first)
			j, _ := slices.BinarySearch(cdocs, end)
			cdf += int32(end-first) - int32(j-i)
			if _, found := slices.BinarySearch(adocs, a); !found {
				adf++
			}
		}
		lx.titleChunkDF[r], lx.titleArtDF[r] = cdf, adf
	}
}

func safeAvg(sum float64, n int) float64 {
	if n == 0 || sum == 0 {
		return 1
	}
	return sum / float64(n)
}

// idf is the BM25 inverse document frequency (always positive).
func idf(n int, df int32) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// qterm is an analysed query term with an ID in the index.
type qterm struct {
	id     uint32
	weight float64 // query-side weight (count times family weight)
}

// bm25f holds the parameters of one BM25F scoring.
type bm25f struct {
	k1, b          float64
	titleW, titleB float64
}

// scoreChunks adds the BM25F score of every query term to sc, indexed by
// chunk, touching only the chunks in the term's postings. The title field
// of an article belongs to each of its chunks. acc is scratch space of
// nChunks zeros, left zeroed; touched is scratch; hit gets every chunk
// whose score turns positive.
func (lx *lexIndex) scoreChunks(q []qterm, p bm25f, sc, acc []float32, touched, hit []int32) ([]int32, []int32) {
	for _, t := range q {
		touched = touched[:0]
		lo, hi := lx.chunkPost.span(t.id)
		for pos := lo; pos < hi; pos++ {
			d := lx.chunkPost.doc[pos]
			if acc[d] == 0 {
				touched = append(touched, int32(d))
			}
			norm := (1 - p.b) + p.b*float64(lx.chunkLen[d])/lx.avgChunk
			acc[d] += float32(float64(lx.chunkPost.freq(pos)) / norm)
		}
		if p.titleW > 0 {
			lo, hi := lx.titlePost.span(t.id)
			for pos := lo; pos < hi; pos++ {
				a := lx.titlePost.doc[pos]
				norm := (1 - p.titleB) + p.titleB*float64(lx.titleLen[a])/lx.avgTitle
				x := float32(p.titleW * float64(lx.titlePost.freq(pos)) / norm)
				for c := lx.artFirst[a]; c < lx.artFirst[a+1]; c++ {
					if acc[c] == 0 {
						touched = append(touched, c)
					}
					acc[c] += x
				}
			}
		}
		w := t.weight * idf(lx.nChunks, lx.chunkDF(t.id)) * (p.k1 + 1)
		for _, c := range touched {
			x := float64(acc[c])
			before := sc[c]
			sc[c] += float32(w * x / (p.k1 + x))
			if before == 0 && sc[c] > 0 {
				hit = append(hit, c)
			}
			acc[c] = 0
		}
	}
	return touched, hit
}

// scoreArticles adds the BM25F score of every query term to sc, indexed by
// article, over whole article bodies and titles. acc is scratch space of
// nArts zeros, left zeroed; hit gets every article whose score turns
// positive.
func (lx *lexIndex) scoreArticles(q []qterm, p bm25f, sc, acc []float32, touched, hit []int32) ([]int32, []int32) {
	for _, t := range q {
		touched = touched[:0]
		lo, hi := lx.artPost.span(t.id)
		for pos := lo; pos < hi; pos++ {
			d := lx.artPost.doc[pos]
			if acc[d] == 0 {
				touched = append(touched, int32(d))
			}
			norm := (1 - p.b) + p.b*float64(lx.artLen[d])/lx.avgArt
			acc[d] += float32(float64(lx.artPost.freq(pos)) / norm)
		}
		if p.titleW > 0 {
			lo, hi := lx.titlePost.span(t.id)
			for pos := lo; pos < hi; pos++ {
				d := lx.titlePost.doc[pos]
				if acc[d] == 0 {
					touched = append(touched, int32(d))
				}
				norm := (1 - p.titleB) + p.titleB*float64(lx.titleLen[d])/lx.avgTitle
				acc[d] += float32(p.titleW * float64(lx.titlePost.freq(pos)) / norm)
			}
		}
		w := t.weight * idf(lx.nArts, lx.artDF(t.id)) * (p.k1 + 1)
		for _, a := range touched {
			x := float64(acc[a])
			before := sc[a]
			sc[a] += float32(w * x / (p.k1 + x))
			if before == 0 && sc[a] > 0 {
				hit = append(hit, a)
			}
			acc[a] = 0
		}
	}
	return touched, hit
}
