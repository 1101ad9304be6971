package retrieval

import (
	"cmp"
	"slices"

	"github.com/briefbot/briefbot/retrieval/topk"
)

// The exhaustive lexical scorer, kept only as the oracle that the pruned
// search (maxscore.go) is tested against: it scores every posting of every
// query term, segment by segment, skipping dead articles.

// exhaustive returns what lexIndex.search returns for q, scoring every
// posting; with prf > 0 the query is first expanded with the terms that
// Index.feedback picks from the prf best chunks, as Index.lexical does.
func (ix *Index) exhaustive(s *snapshot, q lexQuery, prf int, t Tuning) []topk.Item[float64] {
	lx := s.lex
	if len(q.terms) == 0 || q.k <= 0 {
		return nil
	}
	sc := make([]float32, lx.nChunks)
	acc := make([]float32, max(lx.nChunks, lx.nArts))
	var touched, hit []int32
	touched, hit = lx.scoreChunks(q.terms, q.chunk, sc, acc, touched, hit)
	if prf > 0 {
		var top []topk.Item[float64]
		for _, c := range hit {
			if q.allowed == nil || q.allowed[lx.chunkArt[c]] {
				top = append(top, topk.Item[float64]{ID: c, Score: float64(sc[c])})
			}
		}
		slices.SortFunc(top, func(a, b topk.Item[float64]) int {
			return cmp.Or(cmp.Compare(b.Score, a.Score), s.cmpChunk(a.ID, b.ID))
		})
		top = top[:min(prf, len(top))]
		if exp := ix.feedback(s, q.terms, top, t); len(exp) > 0 {
			touched, hit = lx.scoreChunks(exp, q.chunk, sc, acc, touched, hit)
			q.terms = append(slices.Clip(q.terms), exp...)
		}
	}
	var asc []float32
	var maxArt float32
	if q.artW > 0 {
		asc = make([]float32, lx.nArts)
		var ah []int32
		_, ah = lx.scoreArticles(q.terms, q.article, asc, acc, touched, ah)
		for _, a := range ah {
			if s := asc[a]; s > maxArt && (q.allowed == nil || q.allowed[a]) {
				maxArt = s
			}
		}
	}
	var out []topk.Item[float64]
	var maxChunk float32
	for _, c := range hit {
		s := sc[c]
		if s <= 0 || q.allowed != nil && !q.allowed[lx.chunkArt[c]] {
			continue
		}
		maxChunk = max(maxChunk, s)
		out = append(out, topk.Item[float64]{ID: c})
	}
	for i := range out {
		c := out[i].ID
		s := float64(sc[c] / maxChunk)
		if maxArt > 0 {
			s += q.artW * float64(asc[lx.chunkArt[c]]/maxArt)
		}
		out[i].Score = s
	}
	slices.SortFunc(out, func(a, b topk.Item[float64]) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), s.cmpChunk(a.ID, b.ID))
	})
	return out[:min(q.k, len(out))]
}

// scoreChunks adds the BM25F score of every query term to sc, indexed by
// chunk, touching only the live chunks in the term's postings, segment by
// segment. The title field of an article belongs to each of its chunks.
// acc is scratch space of nChunks zeros, left zeroed; touched is scratch;
// hit gets every chunk whose score turns positive.
func (lx *lexIndex) scoreChunks(q []qterm, p bm25f, sc, acc []float32, touched, hit []int32) ([]int32, []int32) {
	for _, t := range q {
		touched = touched[:0]
		for _, g := range lx.segs {
			lo, hi := g.chunkPost.span(t.id)
			for pos := lo; pos < hi; pos++ {
				d := g.chunkPost.doc[pos]
				if lx.nDead > 0 && lx.isDead(uint32(lx.chunkArt[d])) {
					continue
				}
				if acc[d] == 0 {
					touched = append(touched, int32(d))
				}
				norm := (1 - p.b) + p.b*float64(lx.chunkLen[d])/lx.avgChunk
				acc[d] += float32(float64(g.chunkPost.freq(pos)) / norm)
			}
			if p.titleW > 0 {
				lo, hi := g.titlePost.span(t.id)
				for pos := lo; pos < hi; pos++ {
					a := g.titlePost.doc[pos]
					if lx.isDead(a) {
						continue
					}
					norm := (1 - p.titleB) + p.titleB*float64(lx.titleLen[a])/lx.avgTitle
					x := float32(p.titleW * float64(g.titlePost.freq(pos)) / norm)
					for c := lx.artFirst[a]; c < lx.artFirst[a+1]; c++ {
						if acc[c] == 0 {
							touched = append(touched, c)
						}
						acc[c] += x
					}
				}
			}
		}
		w := t.weight * idf(lx.liveChunks, lx.chunkDF(t.id)) * (p.k1 + 1)
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
// article, over whole article bodies and titles of live articles. acc is
// scratch space of nArts zeros, left zeroed; hit gets every article whose
// score turns positive.
func (lx *lexIndex) scoreArticles(q []qterm, p bm25f, sc, acc []float32, touched, hit []int32) ([]int32, []int32) {
	for _, t := range q {
		touched = touched[:0]
		for _, g := range lx.segs {
			lo, hi := g.artPost.span(t.id)
			for pos := lo; pos < hi; pos++ {
				d := g.artPost.doc[pos]
				if lx.isDead(d) {
					continue
				}
				if acc[d] == 0 {
					touched = append(touched, int32(d))
				}
				norm := (1 - p.b) + p.b*float64(lx.artLen[d])/lx.avgArt
				acc[d] += float32(float64(g.artPost.freq(pos)) / norm)
			}
			if p.titleW > 0 {
				lo, hi := g.titlePost.span(t.id)
				for pos := lo; pos < hi; pos++ {
					d := g.titlePost.doc[pos]
					if lx.isDead(d) {
						continue
					}
					if acc[d] == 0 {
						touched = append(touched, int32(d))
					}
					norm := (1 - p.titleB) + p.titleB*float64(lx.titleLen[d])/lx.avgTitle
					acc[d] += float32(p.titleW * float64(g.titlePost.freq(pos)) / norm)
				}
			}
		}
		w := t.weight * idf(lx.liveArts, lx.artDF(t.id)) * (p.k1 + 1)
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
