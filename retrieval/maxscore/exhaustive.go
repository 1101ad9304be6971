package maxscore

import (
	"cmp"
	"slices"
)

// Exhaustive returns the K best chunks of q by lexical score, best first
// (ties by chunk), scoring every posting of every query term: the
// reference Search is proven against. It is retrieval's lexical search
// (scoreChunks, scoreArticles and the normalisation in lexical) with the
// same floating-point operations in the same order; pseudo-relevance
// feedback, off by default there, is not part of it.
func (ix *Index) Exhaustive(q Query) []Result {
	if len(q.Terms) == 0 || q.K <= 0 {
		return nil
	}
	sc := make([]float32, ix.NChunks)
	acc := make([]float32, max(ix.NChunks, ix.NArts))
	var touched, hit []int32
	touched, hit = ix.scoreChunks(q.Terms, q.Chunk, sc, acc, touched, hit)
	var asc []float32
	var maxArt float32
	if q.ArticleWeight > 0 {
		asc = make([]float32, ix.NArts)
		var ah []int32
		_, ah = ix.scoreArticles(q.Terms, q.Article, asc, acc, touched, ah)
		for _, a := range ah {
			if s := asc[a]; s > maxArt && (q.Allowed == nil || q.Allowed[a]) {
				maxArt = s
			}
		}
	}
	var out []Result
	var maxChunk float32
	for _, c := range hit {
		s := sc[c]
		if s <= 0 || q.Allowed != nil && !q.Allowed[ix.ChunkArt[c]] {
			continue
		}
		maxChunk = max(maxChunk, s)
		out = append(out, Result{ID: c})
	}
	for i := range out {
		c := out[i].ID
		s := float64(sc[c] / maxChunk)
		if maxArt > 0 {
			s += q.ArticleWeight * float64(asc[ix.ChunkArt[c]]/maxArt)
		}
		out[i].Score = s
	}
	slices.SortFunc(out, func(a, b Result) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.ID, b.ID))
	})
	if len(out) > q.K {
		out = out[:q.K]
	}
	return out
}

// scoreChunks is retrieval's lexIndex.scoreChunks.
func (ix *Index) scoreChunks(q []Term, p Params, sc, acc []float32, touched, hit []int32) ([]int32, []int32) {
	for _, t := range q {
		touched = touched[:0]
		lo, hi := ix.ChunkPost.Span(t.ID)
		for pos := lo; pos < hi; pos++ {
			d := ix.ChunkPost.Doc[pos]
			if acc[d] == 0 {
				touched = append(touched, int32(d))
			}
			norm := (1 - p.B) + p.B*float64(ix.ChunkLen[d])/ix.AvgChunk
			acc[d] += float32(float64(ix.ChunkPost.Freq(pos)) / norm)
		}
		if p.TitleW > 0 {
			lo, hi := ix.TitlePost.Span(t.ID)
			for pos := lo; pos < hi; pos++ {
				a := ix.TitlePost.Doc[pos]
				norm := (1 - p.TitleB) + p.TitleB*float64(ix.TitleLen[a])/ix.AvgTitle
				x := float32(p.TitleW * float64(ix.TitlePost.Freq(pos)) / norm)
				for c := ix.ArtFirst[a]; c < ix.ArtFirst[a+1]; c++ {
					if acc[c] == 0 {
						touched = append(touched, c)
					}
					acc[c] += x
				}
			}
		}
		w := t.Weight * IDF(ix.NChunks, ix.ChunkDF(t.ID)) * (p.K1 + 1)
		for _, c := range touched {
			x := float64(acc[c])
			before := sc[c]
			sc[c] += float32(w * x / (p.K1 + x))
			if before == 0 && sc[c] > 0 {
				hit = append(hit, c)
			}
			acc[c] = 0
		}
	}
	return touched, hit
}

// scoreArticles is retrieval's lexIndex.scoreArticles.
func (ix *Index) scoreArticles(q []Term, p Params, sc, acc []float32, touched, hit []int32) ([]int32, []int32) {
	for _, t := range q {
		touched = touched[:0]
		lo, hi := ix.ArtPost.Span(t.ID)
		for pos := lo; pos < hi; pos++ {
			d := ix.ArtPost.Doc[pos]
			if acc[d] == 0 {
				touched = append(touched, int32(d))
			}
			norm := (1 - p.B) + p.B*float64(ix.ArtLen[d])/ix.AvgArt
			acc[d] += float32(float64(ix.ArtPost.Freq(pos)) / norm)
		}
		if p.TitleW > 0 {
			lo, hi := ix.TitlePost.Span(t.ID)
			for pos := lo; pos < hi; pos++ {
				d := ix.TitlePost.Doc[pos]
				if acc[d] == 0 {
					touched = append(touched, int32(d))
				}
				norm := (1 - p.TitleB) + p.TitleB*float64(ix.TitleLen[d])/ix.AvgTitle
				acc[d] += float32(p.TitleW * float64(ix.TitlePost.Freq(pos)) / norm)
			}
		}
		w := t.Weight * IDF(ix.NArts, ix.ArtDF(t.ID)) * (p.K1 + 1)
		for _, a := range touched {
			x := float64(acc[a])
			before := sc[a]
			sc[a] += float32(w * x / (p.K1 + x))
			if before == 0 && sc[a] > 0 {
				hit = append(hit, a)
			}
			acc[a] = 0
		}
	}
	return touched, hit
}
