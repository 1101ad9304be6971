package retrieval

import (
	"cmp"
	"encoding/binary"
	"errors"
	"iter"
	"math"
	"slices"
	"strings"
	"sync/atomic"
)

// bag is a sparse term-frequency vector: term IDs and their counts, in no
// particular order, each ID once. An index file of the first format holds
// them; an index holds its bags packed (packedBag).
type bag struct {
	IDs []uint32
	TFs []uint32
}

// packedBag is a bag held compactly from its analysis until its postings
// are built: for each term, in increasing order of ID, the uvarint of the
// difference from the ID before (from 0 for the first), then the uvarint
// of its count. It takes under a third of a bag's eight bytes a term.
type packedBag []byte

// appendPacked appends the packed form of the terms ids (each once) with
// counts tfs to dst; it sorts them in pairs, in scratch, which it returns
// for reuse.
func appendPacked(dst []byte, ids, tfs []uint32, scratch []uint64) ([]byte, []uint64) {
	scratch = scratch[:0]
	for i, id := range ids {
		scratch = append(scratch, uint64(id)<<32|uint64(tfs[i]))
	}
	slices.Sort(scratch)
	prev := uint32(0)
	for _, x := range scratch {
		id := uint32(x >> 32)
		dst = binary.AppendUvarint(dst, uint64(id-prev))
		dst = binary.AppendUvarint(dst, uint64(uint32(x)))
		prev = id
	}
	return dst, scratch
}

// all yields the bag's term IDs, in increasing order, with their counts.
func (pb packedBag) all() iter.Seq2[uint32, uint32] {
	return func(yield func(id, tf uint32) bool) {
		id := uint32(0)
		for i := 0; i < len(pb); {
			var d, tf uint32
			d, i = uvarint32(pb, i)
			tf, i = uvarint32(pb, i)
			id += d
			if !yield(id, tf) {
				return
			}
		}
	}
}

// terms returns how many terms the bag holds: every uvarint ends in a
// byte under 0x80, and each term has two.
func (pb packedBag) terms() int {
	n := 0
	for _, c := range pb {
		if c < 0x80 {
			n++
		}
	}
	return n / 2
}

// uvarint32 decodes the uvarint at b[i:], which packedBag wrote, and
// returns it with the index past it.
func uvarint32(b []byte, i int) (uint32, int) {
	x := uint32(0)
	for s := 0; ; s += 7 {
		c := b[i]
		i++
		if c < 0x80 {
			return x | uint32(c)<<s, i
		}
		x |= uint32(c&0x7f) << s
	}
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

// docBag is a packed bag and the document it belongs to.
type docBag struct {
	doc uint32
	b   packedBag
}

// postingsFromBags builds the postings of bags given in increasing doc
// order, over nTerms terms.
func postingsFromBags(nTerms int, bags []docBag) (postings, error) {
	// off[t+2] counts term t's postings; then (shiftedSums) off[t+1] is
	// term t's cursor: no second array of cursors.
	p := postings{off: make([]uint32, nTerms+2)}
	total := 0
	for _, db := range bags {
		for id := range db.b.all() {
			p.off[id+2]++
			total++
		}
	}
	if uint64(total) > math.MaxUint32 { // uint64: int is 32 bits on 386
		return p, errTooManyPostings
	}
	shiftedSums(p.off)
	p.doc = make([]uint32, total)
	p.tf = make([]uint16, total)
	for _, db := range bags {
		for id, tf := range db.b.all() {
			pos := p.off[id+1]
			p.off[id+1]++
			p.doc[pos] = db.doc
			p.setFreq(pos, tf)
		}
	}
	p.off = p.off[:nTerms+1]
	return p, nil
}

// shiftedSums turns counts, where off[t+2] is term t's count (off[0] and
// off[1] are 0), into cursors: off[t+1] is where term t's postings start.
// Advanced past each posting placed, off[t+1] ends where they end, which
// is where term t+1's start: off is then the postings' offsets.
func shiftedSums(off []uint32) {
	for t := 2; t < len(off); t++ {
		off[t] += off[t-1]
	}
}

// posting is one posting with its term, for building sparse postings.
type posting struct {
	term, doc, tf uint32
}

// appendPostings appends the postings of p whose docs remap keeps (-1
// drops a doc; nil keeps every doc as it is), renumbered.
func appendPostings(all []posting, p *postings, remap []int32) []posting {
	for r := 0; r < p.terms(); r++ {
		t := uint32(r)
		if p.keys != nil {
			t = p.keys[r]
		}
		for pos := p.off[r]; pos < p.off[r+1]; pos++ {
			d := p.doc[pos]
			if remap != nil {
				nd := remap[d]
				if nd < 0 {
					continue
				}
				d = uint32(nd)
			}
			all = append(all, posting{t, d, p.freq(pos)})
		}
	}
	return all
}

// appendBags appends the postings of bags.
func appendBags(all []posting, bags []docBag) []posting {
	for _, db := range bags {
		for id, tf := range db.b.all() {
			all = append(all, posting{id, db.doc, tf})
		}
	}
	return all
}

// sparsePostings returns postings as sparse postings: only terms that have
// some get a row. It sorts, which suits small segments and fields.
func sparsePostings(all []posting) (postings, error) {
	if uint64(len(all)) > math.MaxUint32 {
		return postings{}, errTooManyPostings
	}
	slices.SortFunc(all, func(a, b posting) int {
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

// densePostings returns the postings of segments, their docs renumbered by
// remap (-1 drops a doc), as dense postings over nTerms terms: one row per
// term. A row that the renumbering leaves out of order is sorted. drops,
// when set, has for each part nil or a func that gives back the pages of
// a mapped part (mapped.go), called every dropRows rows read and after
// each pass.
func densePostings(nTerms int, parts []*postings, remap []int32, drops []func()) (postings, error) {
	p := postings{off: make([]uint32, nTerms+2)}
	read := func(k, r int) {
		if k < len(drops) && drops[k] != nil && (r%dropRows == 0 || r == parts[k].terms()) {
			drops[k]()
		}
	}
	for k, src := range parts {
		for r := 0; r < src.terms(); r++ {
			t := r
			if src.keys != nil {
				t = int(src.keys[r])
			}
			n := uint32(0)
			for _, d := range src.doc[src.off[r]:src.off[r+1]] {
				if remap[d] >= 0 {
					n++
				}
			}
			p.off[t+2] += n
			read(k, r+1)
		}
	}
	// As in postingsFromBags: off[t+1] is term t's cursor.
	total := uint64(0)
	for t := 2; t < len(p.off); t++ {
		total += uint64(p.off[t])
		if total > math.MaxUint32 {
			return p, errTooManyPostings
		}
	}
	shiftedSums(p.off)
	p.doc = make([]uint32, total)
	p.tf = make([]uint16, total)
	for k, src := range parts {
		for r := 0; r < src.terms(); r++ {
			t := r
			if src.keys != nil {
				t = int(src.keys[r])
			}
			for pos := src.off[r]; pos < src.off[r+1]; pos++ {
				if d := remap[src.doc[pos]]; d >= 0 {
					at := p.off[t+1]
					p.doc[at] = uint32(d)
					p.setFreq(at, src.freq(pos))
					p.off[t+1]++
				}
			}
			read(k, r+1)
		}
	}
	p.off = p.off[:nTerms+1]
	type docTF struct{ doc, tf uint32 }
	var row []docTF
	for t := 0; t < nTerms; t++ {
		lo, hi := p.off[t], p.off[t+1]
		if hi-lo < 2 || slices.IsSorted(p.doc[lo:hi]) {
			continue
		}
		row = row[:0]
		for pos := lo; pos < hi; pos++ {
			row = append(row, docTF{p.doc[pos], p.freq(pos)})
			delete(p.big, pos)
		}
		slices.SortFunc(row, func(a, b docTF) int { return cmp.Compare(a.doc, b.doc) })
		for i, x := range row {
			p.doc[lo+uint32(i)] = x.doc
			p.setFreq(lo+uint32(i), x.tf)
		}
	}
	return p, nil
}

// dropRows is how many rows of a mapped part densePostings reads between
// two calls to its drop func.
const dropRows = 1 << 14

// lexSeg is a segment of the lexical index: the postings of some articles
// and their chunks, immutable once made. Docs are the snapshot's article
// and chunk numbers. An article and its chunks are always in the same
// segment.
type lexSeg struct {
	chunkPost postings // term -> chunks whose text has it
	artPost   postings // term -> articles whose body has it
	titlePost postings // term -> articles whose title field has it (sparse)

	// titleChunkDF and titleArtDF are the document frequencies, within the
	// segment, of the terms of its title field (by row of titlePost):
	// chunks with the term in text or title, articles with it in body or
	// title. Any other term's are the lengths of its posting lists.
	titleChunkDF, titleArtDF []int32

	// firstChunk, chunks, firstArt and arts are the ranges of chunk and
	// article numbers the segment covers, dead ones included.
	firstChunk, chunks, firstArt, arts int32

	// bnd are the upper bounds of the terms' scores that the pruned
	// search uses, computed on first use (maxscore.go).
	bnd atomic.Pointer[segBounds]

	// file, for a base segment, locates its postings in the base file
	// they were read from or written to; mapped, when set, is the
	// mapping of that file that the chunk and body postings are read
	// from during a merge (mapped.go).
	file   atomic.Pointer[baseFile]
	mapped *segMap
}

// chunkDF returns the number of the segment's chunks with term t in text
// or title.
func (g *lexSeg) chunkDF(t uint32) int32 {
	if r, ok := g.titlePost.row(t); ok {
		return g.titleChunkDF[r]
	}
	lo, hi := g.chunkPost.span(t)
	return int32(hi - lo)
}

// artDF returns the number of the segment's articles with term t in body
// or title.
func (g *lexSeg) artDF(t uint32) int32 {
	if r, ok := g.titlePost.row(t); ok {
		return g.titleArtDF[r]
	}
	lo, hi := g.artPost.span(t)
	return int32(hi - lo)
}

// computeDF counts, for every term of the segment's title field, the
// chunks that have it in their text or their article's title field, and
// the articles that have it in body or title. artFirst gives each
// article's first chunk.
func (g *lexSeg) computeDF(artFirst []int32) {
	tp := &g.titlePost
	n := tp.terms()
	g.titleChunkDF = make([]int32, n)
	g.titleArtDF = make([]int32, n)
	for r := 0; r < n; r++ {
		t := tp.keys[r]
		clo, chi := g.chunkPost.span(t)
		alo, ahi := g.artPost.span(t)
		cdf, adf := int32(chi-clo), int32(ahi-alo)
		cdocs := g.chunkPost.doc[clo:chi]
		adocs := g.artPost.doc[alo:ahi]
		for _, a := range tp.doc[tp.off[r]:tp.off[r+1]] {
			// Every chunk of the article has the title's terms.
			first, end := uint32(artFirst[a]), uint32(artFirst[a+1])
			i, _ := slices.BinarySearch(cdocs, first)
			j, _ := slices.BinarySearch(cdocs, end)
			cdf += int32(end-first) - int32(j-i)
			if _, found := slices.BinarySearch(adocs, a); !found {
				adf++
			}
		}
		g.titleChunkDF[r], g.titleArtDF[r] = cdf, adf
	}
}

// dfPair is a term's document frequency over chunks and over articles.
type dfPair struct{ chunks, arts int32 }

// lexIndex is the lexical index of a snapshot: per-article and per-chunk
// arrays, numbered in the order the articles were added, and segments of
// postings over those numbers. It is immutable once published. The next
// snapshot shares its arrays, appending past their ends (which no reader
// of this one looks at), and its segments, adding a small one.
//
// Removed articles stay in the arrays and segments, marked dead, until a
// merge compacts the index. The statistics (document frequencies, counts,
// average lengths) are those of the live articles, so that scores are
// exactly those of an index built afresh from them.
type lexIndex struct {
	nChunks, nArts int     // numbered, dead ones included
	chunkArt       []int32 // chunk -> article
	artFirst       []int32 // article -> first chunk; artFirst[nArts] == nChunks

	chunkLen, artLen, titleLen []float32
	// minChunk is, by article, the length of its shortest chunk (+Inf
	// for none): it bounds the chunk-level score of its chunks (termCaps).
	minChunk []float32

	// sorted is how many of the first chunks (and sortedArts articles)
	// are in article ID order, as a compacted index has them; later ones
	// come in the order they were added.
	sorted, sortedArts int32

	segs []*lexSeg
	// dead marks removed articles, a bit each; nil when there are none.
	dead  []uint64
	nDead int
	// delDF are the document frequencies of the terms of the dead
	// articles, which the segments still count.
	delDF map[uint32]dfPair

	liveChunks, liveArts       int
	sumChunk, sumArt, sumTitle float64 // sums of word counts: exact
	avgChunk, avgArt, avgTitle float64
	terms                      int // term IDs below terms are known to the snapshot

	// pool keeps the searches' arrays over every article (lexArrays),
	// shared with the later snapshots' copies; nil pools nothing.
	pool *lexPool
	// norms keeps the articles' length normalisations of the snapshot's
	// searches (artNorms), computed by the add or merge that publishes
	// the snapshot (prepareBounds), or after a restart by its first
	// search; every snapshot has its own. nil: computed by every search.
	norms *normCache
}

// isDead reports whether article a was removed.
func (lx *lexIndex) isDead(a uint32) bool {
	i := int(a >> 6)
	return i < len(lx.dead) && lx.dead[i]&(1<<(a&63)) != 0
}

// chunkDF returns the number of live chunks with term t in text or title.
func (lx *lexIndex) chunkDF(t uint32) int32 {
	var df int32
	for _, g := range lx.segs {
		df += g.chunkDF(t)
	}
	return df - lx.delDF[t].chunks
}

// artDF returns the number of live articles with term t in body or title.
func (lx *lexIndex) artDF(t uint32) int32 {
	var df int32
	for _, g := range lx.segs {
		df += g.artDF(t)
	}
	return df - lx.delDF[t].arts
}

// nTerms returns the number of terms the index covers.
func (lx *lexIndex) nTerms() int { return lx.terms }

// setAverages computes the average lengths from the sums, and the
// shortest chunk of the articles added since it last ran (minChunk).
func (lx *lexIndex) setAverages() {
	lx.avgChunk = safeAvg(lx.sumChunk, lx.liveChunks)
	lx.avgArt = safeAvg(lx.sumArt, lx.liveArts)
	lx.avgTitle = safeAvg(lx.sumTitle, lx.liveArts)
	for a := len(lx.minChunk); a < lx.nArts; a++ {
		m := float32(math.Inf(1))
		for _, l := range lx.chunkLen[lx.artFirst[a]:lx.artFirst[a+1]] {
			m = min(m, l)
		}
		lx.minChunk = append(lx.minChunk, m)
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
