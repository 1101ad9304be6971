package retrieval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Fusion methods for Tuning.Fusion.
const (
	// FusionRRF is weighted reciprocal rank fusion: a chunk scores
	// LexicalWeight/(RRFK+lexical rank) + VectorWeight/(RRFK+vector rank),
	// a component that did not find it adding nothing. It needs no
	// calibration between the two components' scores.
	FusionRRF = "rrf"
	// FusionScore is a weighted sum of the two components' scores, each
	// min-max normalised over its candidates.
	FusionScore = "score"
)

// Tuning holds the search-time parameters of an Index. They can change
// without re-indexing (Index.SetTuning).
type Tuning struct {
	// K1 and B are the BM25F saturation and length normalisation of chunk
	// text.
	K1, B float64
	// TitleWeight is the weight of the title field (the article's title,
	// outlet and publication date as "January 2, 2006", part of every chunk
	// of the article) against the chunk text; TitleB is its length
	// normalisation.
	TitleWeight, TitleB float64
	// BigramWeight is the weight of a pair of adjacent query terms found
	// adjacent in a chunk, against a single term (the proximity bonus).
	BigramWeight float64
	// ArticleWeight is the weight of the whole article's BM25F score
	// (normalised by the best article) added to the chunk's own (normalised
	// by the best chunk), so that a chunk of a strongly matching article
	// ranks higher. ArticleK1 and ArticleB parameterise that score.
	ArticleWeight, ArticleK1, ArticleB float64
	// Candidates is how many chunks each component contributes to the
	// fusion (at least the number of hits asked for).
	Candidates int
	// Fusion is FusionRRF or FusionScore.
	Fusion string
	// LexicalWeight and VectorWeight weigh the two components in the fusion.
	// A negative weight switches the component off.
	LexicalWeight, VectorWeight float64
	// RRFK is the rank constant of FusionRRF.
	RRFK float64
	// ArticlePenalty and OutletPenalty drive Query.Diverse: hits are picked
	// greedily, each candidate's score multiplied by ArticlePenalty for every
	// hit already picked from its article and by OutletPenalty for every one
	// from its outlet (an article with no outlet is its own source).
	ArticlePenalty, OutletPenalty float64
	// PRFDocs and PRFTerms set pseudo-relevance feedback: the best PRFTerms
	// terms of the top PRFDocs lexical chunks are added to the query with
	// weight PRFWeight. PRFDocs < 0 switches it off, as the default does:
	// it lowered every measure on both benchmarks.
	PRFDocs, PRFTerms int
	PRFWeight         float64
}

// DefaultTuning returns the parameters tuned, for LocalModel, on the
// MultiHop-RAG dev split and the SciFact test split (see the evaluation
// package). Score fusion with a small vector weight beat reciprocal rank
// fusion there: the hashed vectors are a weak, mostly lexical signal that
// RRF lets outvote BM25F.
func DefaultTuning() Tuning {
	return Tuning{
		K1: 0.9, B: 0.5,
		TitleWeight: 1.5, TitleB: 0.5,
		BigramWeight:  0.5,
		ArticleWeight: 0.5, ArticleK1: 1.2, ArticleB: 0.75,
		Candidates:    100,
		Fusion:        FusionScore,
		LexicalWeight: 1, VectorWeight: 0.15,
		RRFK:           60,
		ArticlePenalty: 0.5, OutletPenalty: 0.8,
		PRFDocs: -1, PRFTerms: 10, PRFWeight: 0.3,
	}
}

// DefaultTuningFor returns the default parameters for an embedding model:
// DefaultTuning for LocalModel, whose hashed vectors add only a little to
// the lexical score; for any other (presumably semantic) model, equal-weight
// reciprocal rank fusion, the usual choice for hybrid search with a dense
// model. That second setting could not be measured here (no model weights
// and no network); tune it with the evaluation package when you have one.
func DefaultTuningFor(model string) Tuning {
	t := DefaultTuning()
	if model != LocalModel && model != "" {
		t.Fusion, t.LexicalWeight, t.VectorWeight = FusionRRF, 1, 1
	}
	return t
}

// withDefaults fills zero fields from DefaultTuning.
func (t Tuning) withDefaults() Tuning {
	d := DefaultTuning()
	f := func(v *float64, dv float64) {
		if *v == 0 {
			*v = dv
		}
	}
	f(&t.K1, d.K1)
	f(&t.B, d.B)
	f(&t.TitleWeight, d.TitleWeight)
	f(&t.TitleB, d.TitleB)
	f(&t.BigramWeight, d.BigramWeight)
	f(&t.ArticleWeight, d.ArticleWeight)
	f(&t.ArticleK1, d.ArticleK1)
	f(&t.ArticleB, d.ArticleB)
	f(&t.LexicalWeight, d.LexicalWeight)
	f(&t.VectorWeight, d.VectorWeight)
	f(&t.RRFK, d.RRFK)
	f(&t.ArticlePenalty, d.ArticlePenalty)
	f(&t.OutletPenalty, d.OutletPenalty)
	f(&t.PRFWeight, d.PRFWeight)
	if t.Candidates <= 0 {
		t.Candidates = d.Candidates
	}
	if t.Fusion == "" {
		t.Fusion = d.Fusion
	}
	if t.PRFDocs == 0 {
		t.PRFDocs = d.PRFDocs
	}
	if t.PRFTerms <= 0 {
		t.PRFTerms = d.PRFTerms
	}
	return t
}

// cand is a chunk found by one or both components.
type cand struct {
	chunk           int32
	lex, vec        float64
	lexRank         int // from 1; 0 when the lexical component missed it
	vecRank         int
	score, adjusted float64
}

// Search runs a hybrid search: BM25F over chunks (with title field,
// proximity bonus and article-level score) and cosine similarity over chunk
// embeddings each pick candidates, which are fused (Tuning.Fusion) and, for
// a Diverse query, spread over articles and outlets. A query with no
// indexable word returns no hits. When the embedding function fails the
// search goes on with the lexical component alone and logs a warning.
func (ix *Index) Search(ctx context.Context, q Query) ([]Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k := q.K
	if k <= 0 {
		k = 10
	}
	toks := ix.an.tokens(q.Text, nil)
	if len(toks) == 0 {
		return nil, nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if len(ix.chunks) == 0 {
		return nil, nil
	}
	t := ix.tuning
	allowed, some := ix.allowed(q.Filter)
	if !some {
		return nil, nil
	}
	pool := max(t.Candidates, k)
	var lexC []cand
	if t.LexicalWeight > 0 {
		lexC = ix.lexical(toks, allowed, pool, t)
	}
	var vecC []cand
	if t.VectorWeight > 0 {
		var err error
		vecC, err = ix.vector(ctx, q.Text, allowed, pool)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("search %q: %w", q.Text, ctx.Err())
			}
			ix.log.Warn("vector search failed; lexical results only", "query", q.Text, "err", err)
		}
	}
	cands := fuse(lexC, vecC, t)
	if q.Diverse {
		cands = ix.diversify(cands, k, t)
	}
	if len(cands) > k {
		cands = cands[:k]
	}
	hits := make([]Hit, len(cands))
	for i, c := range cands {
		rec := ix.chunks[c.chunk]
		hits[i] = Hit{
			Chunk:   rec.Chunk,
			Article: ix.order[ix.lex.chunkArt[c.chunk]].art,
			Score:   c.score,
			Lexical: c.lex,
			Vector:  c.vec,
		}
		if q.Diverse {
			hits[i].Score = c.adjusted
		}
	}
	return hits, nil
}

// queryTerms gives the analysed query terms that the index knows IDs, each
// weighted 1+ln(its weighted count), a bigram counting BigramWeight.
func (ix *Index) queryTerms(toks []token, t Tuning) []qterm {
	w := map[uint32]float64{}
	var order []uint32
	addTerm := func(term string, weight float64) {
		id, ok := ix.dict[term]
		if !ok || int(id) >= len(ix.lex.chunkPost) {
			return
		}
		if _, seen := w[id]; !seen {
			order = append(order, id)
		}
		w[id] += weight
	}
	prev := ""
	for _, tk := range toks {
		addTerm(tk.term, 1)
		if tk.extra {
			continue
		}
		if prev != "" && t.BigramWeight > 0 {
			addTerm(prev+" "+tk.term, t.BigramWeight)
		}
		prev = tk.term
	}
	out := make([]qterm, len(order))
	for i, id := range order {
		x := w[id]
		if x > 1 {
			x = 1 + math.Log(x)
		}
		out[i] = qterm{id: id, weight: x}
	}
	return out
}

// lexical returns up to pool allowed chunks by lexical score, best first.
// A chunk's score is its BM25F score over the best chunk's plus
// ArticleWeight times its article's over the best article's; only chunks
// that match some query term are candidates.
func (ix *Index) lexical(toks []token, allowed []bool, pool int, t Tuning) []cand {
	q := ix.queryTerms(toks, t)
	if len(q) == 0 {
		return nil
	}
	lx := ix.lex
	sc := make([]float32, lx.nChunks)
	acc := make([]float32, max(lx.nChunks, lx.nArts))
	touched := make([]int32, 0, 256)
	pc := bm25f{k1: t.K1, b: t.B, titleW: t.TitleWeight, titleB: t.TitleB}
	touched = lx.scoreChunks(q, pc, sc, acc, touched)
	if t.PRFDocs > 0 {
		if exp := ix.feedback(q, sc, allowed, t); len(exp) > 0 {
			touched = lx.scoreChunks(exp, pc, sc, acc, touched)
			q = append(q, exp...)
		}
	}
	var asc []float32
	var maxArt float32
	if t.ArticleWeight > 0 {
		asc = make([]float32, lx.nArts)
		pa := bm25f{k1: t.ArticleK1, b: t.ArticleB, titleW: t.TitleWeight, titleB: t.TitleB}
		lx.scoreArticles(q, pa, asc, acc, touched)
		for a, s := range asc {
			if s > maxArt && (allowed == nil || allowed[a]) {
				maxArt = s
			}
		}
	}
	var out []cand
	var maxChunk float32
	for c, s := range sc {
		if s <= 0 || allowed != nil && !allowed[lx.chunkArt[c]] {
			continue
		}
		maxChunk = max(maxChunk, s)
		out = append(out, cand{chunk: int32(c)})
	}
	for i := range out {
		c := out[i].chunk
		s := float64(sc[c] / maxChunk)
		if maxArt > 0 {
			s += t.ArticleWeight * float64(asc[lx.chunkArt[c]]/maxArt)
		}

		out[i].lex = s
	}
	out = topK(out, pool, func(a, b cand) int {
		return cmp.Or(cmp.Compare(b.lex, a.lex), cmp.Compare(a.chunk, b.chunk))
	})
	for i := range out {
		out[i].lexRank = i + 1
	}
	return out
}

// topK returns the first k elements of s in the order of cmp (negative: a
// before b), sorted; it reorders s.
func topK[T any](s []T, k int, cmp func(a, b T) int) []T {
	if len(s) > 4*k {
		// Keep a sorted window of the best k seen so far; most elements
		// fail the comparison with its last one.
		best := make([]T, 0, k+1)
		for _, x := range s {
			if len(best) == k && cmp(x, best[k-1]) >= 0 {
				continue
			}
			i, _ := slices.BinarySearchFunc(best, x, cmp)
			best = slices.Insert(best, i, x)
			if len(best) > k {
				best = best[:k]
			}
		}
		return best
	}
	slices.SortFunc(s, cmp)
	if len(s) > k {
		s = s[:k]
	}
	return s
}

// feedback picks expansion terms from the top lexical chunks (RM3-like): each
// term of a feedback chunk is weighted by its share of the chunk times its
// IDF times the chunk's normalised score; the best PRFTerms terms that are
// not bigrams and not in the query get weights summing to PRFWeight times
// the query's.
func (ix *Index) feedback(q []qterm, sc []float32, allowed []bool, t Tuning) []qterm {
	lx := ix.lex
	type cs struct {
		c int32
		s float32
	}
	var top []cs
	for c, s := range sc {
		if s > 0 && (allowed == nil || allowed[lx.chunkArt[c]]) {
			top = append(top, cs{int32(c), s})
		}
	}
	slices.SortFunc(top, func(a, b cs) int { return cmp.Or(cmp.Compare(b.s, a.s), cmp.Compare(a.c, b.c)) })
	if len(top) > t.PRFDocs {
		top = top[:t.PRFDocs]
	}
	if len(top) == 0 {
		return nil
	}
	inQuery := map[uint32]bool{}
	qw := 0.0
	for _, x := range q {
		inQuery[x.id] = true
		qw += x.weight
	}
	w := map[uint32]float64{}
	for _, x := range top {
		b := ix.chunks[x.c].bag
		total := 0.0
		for _, tf := range b.TFs {
			total += float64(tf)
		}
		for i, id := range b.IDs {
			if inQuery[id] || isBigram(ix.terms[id]) || lx.chunkDF[id] < 2 {
				continue
			}
			w[id] += float64(b.TFs[i]) / total * idf(lx.nChunks, lx.chunkDF[id]) * float64(x.s/top[0].s)
		}
	}
	type tw struct {
		id uint32
		w  float64
	}
	var all []tw
	for id, v := range w {
		all = append(all, tw{id, v})
	}
	slices.SortFunc(all, func(a, b tw) int { return cmp.Or(cmp.Compare(b.w, a.w), cmp.Compare(a.id, b.id)) })
	if len(all) > t.PRFTerms {
		all = all[:t.PRFTerms]
	}
	sum := 0.0
	for _, x := range all {
		sum += x.w
	}
	out := make([]qterm, len(all))
	for i, x := range all {
		out[i] = qterm{id: x.id, weight: t.PRFWeight * qw * x.w / sum}
	}
	return out
}

// vector returns up to pool allowed chunks by cosine similarity to the
// query's embedding, best first.
func (ix *Index) vector(ctx context.Context, text string, allowed []bool, pool int) ([]cand, error) {
	n := ix.coll.Count()
	if n == 0 {
		return nil, nil
	}
	qv, err := ix.embed(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	if len(qv) != ix.dim {
		return nil, fmt.Errorf("embed query: %d dimensions, the index holds %d", len(qv), ix.dim)
	}
	if qv = normalized(qv); qv == nil {
		return nil, errors.New("embed query: zero embedding")
	}
	want := n
	if allowed == nil {
		want = min(pool, n)
	}
	res, err := ix.coll.QueryEmbedding(ctx, qv, want, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("query collection: %w", err)
	}
	out := make([]cand, 0, min(pool, len(res)))
	for _, r := range res {
		c, ok := ix.chunkIdx[r.ID]
		if !ok || allowed != nil && !allowed[ix.lex.chunkArt[c]] {
			continue
		}
		out = append(out, cand{chunk: c, vec: float64(r.Similarity), vecRank: len(out) + 1})
		if len(out) == pool {
			break
		}
	}
	return out, nil
}

// fuse merges the candidates of the two components and sorts them by fused
// score, best first (ties by chunk order).
func fuse(lexC, vecC []cand, t Tuning) []cand {
	byChunk := make(map[int32]int, len(lexC)+len(vecC))
	out := make([]cand, 0, len(lexC)+len(vecC))
	for _, c := range lexC {
		byChunk[c.chunk] = len(out)
		out = append(out, c)
	}
	for _, c := range vecC {
		if i, ok := byChunk[c.chunk]; ok {
			out[i].vec, out[i].vecRank = c.vec, c.vecRank
			continue
		}
		out = append(out, c)
	}
	switch t.Fusion {
	case FusionScore:
		lmin, lmax := bounds(lexC, func(c cand) float64 { return c.lex })
		vmin, vmax := bounds(vecC, func(c cand) float64 { return c.vec })
		for i := range out {
			c := &out[i]
			if c.lexRank > 0 && t.LexicalWeight > 0 {
				c.score += t.LexicalWeight * unit(c.lex, lmin, lmax)
			}
			if c.vecRank > 0 && t.VectorWeight > 0 {
				c.score += t.VectorWeight * unit(c.vec, vmin, vmax)
			}
		}
	default:
		for i := range out {
			c := &out[i]
			if c.lexRank > 0 && t.LexicalWeight > 0 {
				c.score += t.LexicalWeight / (t.RRFK + float64(c.lexRank))
			}
			if c.vecRank > 0 && t.VectorWeight > 0 {
				c.score += t.VectorWeight / (t.RRFK + float64(c.vecRank))
			}
		}
	}
	slices.SortFunc(out, func(a, b cand) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.chunk, b.chunk))
	})
	return out
}

func bounds(cs []cand, f func(cand) float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, c := range cs {
		lo, hi = min(lo, f(c)), max(hi, f(c))
	}
	return lo, hi
}

// unit maps x in [lo, hi] to (0, 1]; the lowest candidate keeps a little
// credit for having been found at all.
func unit(x, lo, hi float64) float64 {
	if hi <= lo {
		return 1
	}
	return 0.05 + 0.95*(x-lo)/(hi-lo)
}

// diversify picks up to k candidates greedily, each step taking the best
// score after the article and outlet penalties of the hits already picked.
func (ix *Index) diversify(cands []cand, k int, t Tuning) []cand {
	artF := map[int32]float64{} // penalty factor per article, 1 when absent
	srcF := map[string]float64{}
	factor := func(m map[int32]float64, a int32) float64 {
		if f, ok := m[a]; ok {
			return f
		}
		return 1
	}
	srcs := make([]string, len(cands))
	for i, c := range cands {
		srcs[i] = ix.source(ix.lex.chunkArt[c.chunk])
	}
	out := make([]cand, 0, min(k, len(cands)))
	used := make([]bool, len(cands))
	for len(out) < k && len(out) < len(cands) {
		best := -1
		for i, c := range cands {
			if used[i] {
				continue
			}
			sf, ok := srcF[srcs[i]]
			if !ok {
				sf = 1
			}
			cands[i].adjusted = c.score * factor(artF, ix.lex.chunkArt[c.chunk]) * sf
			if best < 0 || cands[i].adjusted > cands[best].adjusted {
				best = i
			}
		}
		used[best] = true
		a := ix.lex.chunkArt[cands[best].chunk]
		artF[a] = factor(artF, a) * t.ArticlePenalty
		sf, ok := srcF[srcs[best]]
		if !ok {
			sf = 1
		}
		srcF[srcs[best]] = sf * t.OutletPenalty
		out = append(out, cands[best])
	}
	return out
}

// source names an article's outlet for diversity; an article with no outlet
// is a source of its own.
func (ix *Index) source(a int32) string {
	e := ix.order[a]
	if e.outlet == "" {
		return "\x00" + e.art.ID
	}
	return e.outlet
}

// allowed returns which articles (by position in ix.order) pass the filter,
// nil for no filter, and whether any does.
func (ix *Index) allowed(f Filter) ([]bool, bool) {
	var outlets []string
	for _, o := range f.Outlets {
		if o = strings.ToLower(strings.TrimSpace(o)); o != "" {
			outlets = append(outlets, o)
		}
	}
	var ids map[string]bool
	if len(f.ArticleIDs) > 0 {
		ids = make(map[string]bool, len(f.ArticleIDs))
		for _, id := range f.ArticleIDs {
			ids[id] = true
		}
	}
	if len(outlets) == 0 && ids == nil && f.From.IsZero() && f.To.IsZero() {
		return nil, true
	}
	to := f.To
	if !to.IsZero() {
		h, m, s := to.Clock()
		if h == 0 && m == 0 && s == 0 && to.Nanosecond() == 0 {
			to = to.AddDate(0, 0, 1) // a bare date includes its whole day
		} else {
			to = to.Add(time.Nanosecond)
		}
	}
	out := make([]bool, len(ix.order))
	some := false
	for i, e := range ix.order {
		ok := ids == nil || ids[e.art.ID]
		if ok && len(outlets) > 0 {
			ok = false
			for _, o := range outlets {
				if e.outlet != "" && strings.Contains(e.outlet, o) {
					ok = true
					break
				}
			}
		}
		if ok && (!f.From.IsZero() || !f.To.IsZero()) {
			p := e.art.PublishedAt
			ok = !p.IsZero() && (f.From.IsZero() || !p.Before(f.From)) && (to.IsZero() || p.Before(to))
		}
		out[i] = ok
		some = some || ok
	}
	return out, some
}
