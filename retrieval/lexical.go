package retrieval

import (
	"math"
	"slices"
	"strings"
)

// bag is a sparse term-frequency vector: term IDs in increasing order and
// their counts.
type bag struct {
	IDs []uint32
	TFs []uint32
}

// has reports whether the bag holds term id.
func (b bag) has(id uint32) bool {
	_, ok := slices.BinarySearch(b.IDs, id)
	return ok
}

// termCounts counts analysed terms (unigrams and "a b" bigrams) by string,
// before they have IDs.
type termCounts map[string]uint32

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

// posting is one entry of a posting list: a chunk or article index and the
// term's frequency there.
type posting struct {
	doc uint32
	tf  uint32
}

// lexIndex is an immutable inverted index over the chunks and articles of
// an Index, built afresh after every change. Chunks of one article are
// contiguous and articles are in ID order.
type lexIndex struct {
	nChunks, nArts int
	chunkArt       []int32 // chunk -> article
	artFirst       []int32 // article -> first chunk; artFirst[nArts] == nChunks

	chunkLen, artLen, titleLen []float32
	avgChunk, avgArt, avgTitle float64

	chunkPost [][]posting // term -> chunks whose text has it
	artPost   [][]posting // term -> articles whose body has it
	titlePost [][]posting // term -> articles whose title or outlet has it

	chunkDF []int32 // chunks with the term in text or title
	artDF   []int32 // articles with the term in body or title
}

// lexInput is what buildLex needs of one article.
type lexInput struct {
	title    bag
	titleLen int32
	body     bag
	bodyLen  int32
	chunks   []bag
	chunkLen []int32
}

// buildLex builds the inverted index for articles in order, over nTerms term
// IDs.
func buildLex(nTerms int, arts []lexInput) *lexIndex {
	lx := &lexIndex{nArts: len(arts)}
	for _, a := range arts {
		lx.nChunks += len(a.chunks)
	}
	lx.chunkArt = make([]int32, 0, lx.nChunks)
	lx.artFirst = make([]int32, 0, lx.nArts+1)
	lx.chunkLen = make([]float32, 0, lx.nChunks)
	lx.artLen = make([]float32, lx.nArts)
	lx.titleLen = make([]float32, lx.nArts)

	nChunk := make([]int32, nTerms)
	nArt := make([]int32, nTerms)
	nTitle := make([]int32, nTerms)
	var sumChunk, sumArt, sumTitle float64
	for ai, a := range arts {
		lx.artFirst = append(lx.artFirst, int32(len(lx.chunkArt)))
		for ci, c := range a.chunks {
			lx.chunkArt = append(lx.chunkArt, int32(ai))
			lx.chunkLen = append(lx.chunkLen, float32(a.chunkLen[ci]))
			sumChunk += float64(a.chunkLen[ci])
			for _, id := range c.IDs {
				nChunk[id]++
			}
		}
		lx.artLen[ai] = float32(a.bodyLen)
		lx.titleLen[ai] = float32(a.titleLen)
		sumArt += float64(a.bodyLen)
		sumTitle += float64(a.titleLen)
		for _, id := range a.body.IDs {
			nArt[id]++
		}
		for _, id := range a.title.IDs {
			nTitle[id]++
		}
	}
	lx.artFirst = append(lx.artFirst, int32(lx.nChunks))
	lx.avgChunk = safeAvg(sumChunk, lx.nChunks)
	lx.avgArt = safeAvg(sumArt, lx.nArts)
	lx.avgTitle = safeAvg(sumTitle, lx.nArts)

	lx.chunkPost = allocPostings(nChunk)
	lx.artPost = allocPostings(nArt)
	lx.titlePost = allocPostings(nTitle)
	lx.chunkDF = make([]int32, nTerms)
	lx.artDF = make([]int32, nTerms)
	ci := uint32(0)
	for ai, a := range arts {
		for _, c := range a.chunks {
			for k, id := range c.IDs {
				lx.chunkPost[id] = append(lx.chunkPost[id], posting{ci, c.TFs[k]})
				lx.chunkDF[id]++
			}
			ci++
		}
		for k, id := range a.body.IDs {
			lx.artPost[id] = append(lx.artPost[id], posting{uint32(ai), a.body.TFs[k]})
			lx.artDF[id]++
		}
		for k, id := range a.title.IDs {
			lx.titlePost[id] = append(lx.titlePost[id], posting{uint32(ai), a.title.TFs[k]})
			if !a.body.has(id) {
				lx.artDF[id]++
			}
			// Every chunk of the article has the title's terms.
			for _, c := range a.chunks {
				if !c.has(id) {
					lx.chunkDF[id]++
				}
			}
		}
	}
	return lx
}

func safeAvg(sum float64, n int) float64 {
	if n == 0 || sum == 0 {
		return 1
	}
	return sum / float64(n)
}

// allocPostings makes posting lists with the given capacities, carved out of
// one allocation.
func allocPostings(counts []int32) [][]posting {
	total := 0
	for _, n := range counts {
		total += int(n)
	}
	all := make([]posting, total)
	out := make([][]posting, len(counts))
	off := 0
	for id, n := range counts {
		out[id] = all[off : off : off+int(n)]
		off += int(n)
	}
	return out
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
// chunk. The title field of an article belongs to each of its chunks. acc
// is scratch space of nChunks zeros, left zeroed.
func (lx *lexIndex) scoreChunks(q []qterm, p bm25f, sc, acc []float32, touched []int32) []int32 {
	for _, t := range q {
		touched = touched[:0]
		for _, ps := range lx.chunkPost[t.id] {
			if acc[ps.doc] == 0 {
				touched = append(touched, int32(ps.doc))
			}
			norm := (1 - p.b) + p.b*float64(lx.chunkLen[ps.doc])/lx.avgChunk
			acc[ps.doc] += float32(float64(ps.tf) / norm)
		}
		if p.titleW > 0 {
			for _, ps := range lx.titlePost[t.id] {
				norm := (1 - p.titleB) + p.titleB*float64(lx.titleLen[ps.doc])/lx.avgTitle
				x := float32(p.titleW * float64(ps.tf) / norm)
				for c := lx.artFirst[ps.doc]; c < lx.artFirst[ps.doc+1]; c++ {
					if acc[c] == 0 {
						touched = append(touched, c)
					}
					acc[c] += x
				}
			}
		}
		w := t.weight * idf(lx.nChunks, lx.chunkDF[t.id]) * (p.k1 + 1)
		for _, c := range touched {
			x := float64(acc[c])
			sc[c] += float32(w * x / (p.k1 + x))
			acc[c] = 0
		}
	}
	return touched
}

// scoreArticles adds the BM25F score of every query term to sc, indexed by
// article, over whole article bodies and titles. acc is scratch space of
// nArts zeros, left zeroed.
func (lx *lexIndex) scoreArticles(q []qterm, p bm25f, sc, acc []float32, touched []int32) []int32 {
	for _, t := range q {
		touched = touched[:0]
		for _, ps := range lx.artPost[t.id] {
			if acc[ps.doc] == 0 {
				touched = append(touched, int32(ps.doc))
			}
			norm := (1 - p.b) + p.b*float64(lx.artLen[ps.doc])/lx.avgArt
			acc[ps.doc] += float32(float64(ps.tf) / norm)
		}
		if p.titleW > 0 {
			for _, ps := range lx.titlePost[t.id] {
				if acc[ps.doc] == 0 {
					touched = append(touched, int32(ps.doc))
				}
				norm := (1 - p.titleB) + p.titleB*float64(lx.titleLen[ps.doc])/lx.avgTitle
				acc[ps.doc] += float32(p.titleW * float64(ps.tf) / norm)
			}
		}
		w := t.weight * idf(lx.nArts, lx.artDF[t.id]) * (p.k1 + 1)
		for _, a := range touched {
			x := float64(acc[a])
			sc[a] += float32(w * x / (p.k1 + x))
			acc[a] = 0
		}
	}
	return touched
}
