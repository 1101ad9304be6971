package retrieval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/briefbot/briefbot/retrieval/topk"
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

// maxSaturation is the largest K1, ArticleK1, TitleWeight and PRFWeight
// that check accepts: far above any useful value (0.3-3), far below where
// the scores overflow.
const maxSaturation = 1e6

// check returns an error naming the first parameter of t (defaults
// filled) outside the range where BM25F is defined and the pruned
// lexical search's bounds hold: a B above 1 or below 0 turns the length
// normalisation negative for short docs, a negative K1 makes a term's
// contribution fall as its frequency rises, and a negative title,
// bigram or feedback weight a negative contribution, so that an upper
// bound of a term's contribution is no longer one and the pruned search
// would drop chunks the exhaustive scorer ranks. A number that is not
// finite is refused too, and a K1, ArticleK1, TitleWeight or PRFWeight
// above maxSaturation: a TitleWeight near 1e38 overflows a title's
// float32 contribution, a PRFWeight there a feedback term's, a K1 near
// 1e308 a term's float64 weight, the scores turn NaN and the pruned
// search's results are arbitrary. Refused too, as
// they rank nonsense: a negative RRFK (a rank divided by zero, the ranks
// past it above the best), a negative diversity penalty (a score's sign
// flipped at each hit picked), a Fusion other than FusionRRF and
// FusionScore (a misspelt one fell to FusionRRF).
func (t Tuning) check() error {
	for _, p := range []struct {
		name   string
		x      float64
		lo, hi float64
	}{
		{"K1", t.K1, 0, maxSaturation},
		{"B", t.B, 0, 1},
		{"TitleWeight", t.TitleWeight, 0, maxSaturation},
		{"TitleB", t.TitleB, 0, 1},
		{"BigramWeight", t.BigramWeight, 0, math.Inf(1)},
		{"ArticleK1", t.ArticleK1, 0, maxSaturation},
		{"ArticleB", t.ArticleB, 0, 1},
		{"PRFWeight", t.PRFWeight, 0, maxSaturation},
		{"ArticleWeight", t.ArticleWeight, math.Inf(-1), math.Inf(1)},
		{"LexicalWeight", t.LexicalWeight, math.Inf(-1), math.Inf(1)},
		{"VectorWeight", t.VectorWeight, math.Inf(-1), math.Inf(1)},
		{"RRFK", t.RRFK, 0, math.Inf(1)},
		{"ArticlePenalty", t.ArticlePenalty, 0, math.Inf(1)},
		{"OutletPenalty", t.OutletPenalty, 0, math.Inf(1)},
	} {
		if math.IsNaN(p.x) || math.IsInf(p.x, 0) || p.x < p.lo || p.x > p.hi {
			return fmt.Errorf("tuning: %s is %v, want a number from %v to %v", p.name, p.x, p.lo, p.hi)
		}
	}
	if t.Fusion != FusionRRF && t.Fusion != FusionScore {
		return fmt.Errorf("tuning: Fusion is %q, want %q or %q", t.Fusion, FusionRRF, FusionScore)
	}
	return nil
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
//
// The question is embedded before the index is locked, so that a slow
// embedding service holds up no Add. BM25F visits only the postings of
// the query's terms that can still change its result (MaxScore); the
// vector side scans the embeddings' codes. Both are cut into pieces by
// doc range, which every core takes, lexical ones first.
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
	t, s := ix.tuning, ix.snap
	ix.mu.RUnlock()
	if s.lex.liveChunks == 0 {
		return nil, nil
	}
	var qv []float32
	var qerr error
	if t.VectorWeight > 0 {
		qv, qerr = ix.embedQuery(ctx, q.Text)
		if qerr != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("search %q: %w", q.Text, ctx.Err())
		}
	}

	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.damaged != nil {
		return nil, fmt.Errorf("search %q: %w", q.Text, ix.damaged)
	}
	s = ix.snap
	if s.lex.liveChunks == 0 {
		return nil, nil
	}
	allowed, some := s.allowed(q.Filter)
	if !some {
		return nil, nil
	}
	// No more candidates than chunks: a huge K or Tuning.Candidates would
	// overflow the vector scan's sums.
	pool := min(max(t.Candidates, k), s.lex.liveChunks)
	// The two components run at once when both do: the goroutines of
	// the query, one per core, take the pieces of both, lexical ones
	// first (each of its stages waits for the last), so neither side waits
	// for a core the other holds or for one that stalls.
	var sc *vecScan
	if t.VectorWeight > 0 && qerr == nil {
		sc, qerr = s.vectorScan(qv, allowed, pool)
	}
	var lr *lexRun
	if t.LexicalWeight > 0 {
		lr = ix.lexSearch(s, toks, allowed, pool, t)
	}
	probe := probeFrom(ctx)
	if probe != nil {
		probe.begin()
		if lr != nil {
			lr.probe = probe
		}
		if sc != nil {
			sc.probe = probe
		}
	}
	var lexC, vecC []cand
	switch {
	case lr != nil && sc != nil && sc.shared:
		res, hits := hybrid(lr, sc, probe != nil && probe.Overlap)
		lexC, vecC = lexCands(res), s.vectorHits(hits, pool)
	default:
		if lr != nil {
			lexC = lexCands(lr.run(0))
		}
		if sc != nil {
			vecC = s.vectorHits(sc.run(0), pool)
		}
	}
	probe.ended()
	if qerr != nil {
		ix.log.Warn("vector search failed; lexical results only", "query", q.Text, "err", qerr)
	}
	cands := fuse(lexC, vecC, t, s.cmpChunk)
	if q.Diverse {
		cands = s.diversify(cands, k, t)
	}
	if len(cands) > k {
		cands = cands[:k]
	}
	hits := make([]Hit, len(cands))
	for i, c := range cands {
		hits[i] = Hit{
			Chunk:   s.chunk(c.chunk),
			Article: s.arts[s.lex.chunkArt[c.chunk]].art,
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
func (ix *Index) queryTerms(s *snapshot, toks []token, t Tuning) []qterm {
	var terms []string
	var weights []float64
	prev := ""
	for _, tk := range toks {
		terms, weights = append(terms, tk.term), append(weights, 1)
		if tk.extra {
			continue
		}
		if prev != "" && t.BigramWeight > 0 {
			terms, weights = append(terms, prev+" "+tk.term), append(weights, t.BigramWeight)
		}
		prev = tk.term
	}
	ids := ix.terms.lookupAll(terms, make([]uint32, 0, len(terms)))
	nTerms := s.lex.nTerms()
	w := map[uint32]float64{}
	var order []uint32
	for i, id := range ids {
		if int(id) >= nTerms { // unknown, or new since the snapshot
			continue
		}
		if _, seen := w[id]; !seen {
			order = append(order, id)
		}
		w[id] += weights[i]
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
// that match some query term are candidates. MaxScore (lexIndex.search)
// visits only the postings that can still change the result.
func (ix *Index) lexical(s *snapshot, toks []token, allowed []bool, pool int, t Tuning) []cand {
	r := ix.lexSearch(s, toks, allowed, pool, t)
	if r == nil {
		return nil
	}
	return lexCands(r.run(0))
}

// lexSearch prepares the lexical search of lexical, nil when the index
// knows no query term.
func (ix *Index) lexSearch(s *snapshot, toks []token, allowed []bool, pool int, t Tuning) *lexRun {
	q := ix.queryTerms(s, toks, t)
	if len(q) == 0 || pool <= 0 {
		return nil
	}
	lq := newLexQuery(s, q, t, allowed, pool)
	if t.PRFDocs > 0 {
		top := s.lex.chunkScores(&lq, t.PRFDocs)
		lq.terms = append(lq.terms, ix.feedback(s, q, top, t)...)
	}
	return s.lex.newRun(&lq)
}

// lexCands returns the lexical search's results as candidates.
func lexCands(res []topk.Item[float64]) []cand {
	out := make([]cand, len(res))
	for i, r := range res {
		out[i] = cand{chunk: r.ID, lex: r.Score, lexRank: i + 1}
	}
	return out
}

// newLexQuery returns the lexical search of terms q with the parameters
// of t for the k best chunks of the allowed articles of s.
func newLexQuery(s *snapshot, q []qterm, t Tuning, allowed []bool, k int) lexQuery {
	chunk, article := t.bm25f()
	return lexQuery{
		terms:   q,
		chunk:   chunk,
		article: article,
		artW:    max(t.ArticleWeight, 0),
		allowed: allowed,
		k:       k,
		order:   s.cmpChunk,
	}
}

// feedback picks expansion terms from the top lexical chunks (RM3-like): each
// term of a feedback chunk is weighted by its share of the chunk times its
// IDF times the chunk's normalised score; the best PRFTerms terms that are
// not bigrams and not in the query get weights summing to PRFWeight times
// the query's. top are the feedback chunks with their chunk-level BM25F
// scores, best first. The index keeps no per-chunk term lists, so the few
// feedback chunks are analysed again.
func (ix *Index) feedback(s *snapshot, q []qterm, top []topk.Item[float64], t Tuning) []qterm {
	lx := s.lex
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
	name := map[uint32]string{}
	nTerms := lx.nTerms()
	for _, x := range top {
		terms, tfs := ix.chunkTerms(s, x.ID)
		ids := ix.terms.lookupAll(terms, make([]uint32, 0, len(terms)))
		total := 0.0
		for _, tf := range tfs {
			total += float64(tf)
		}
		for i, id := range ids {
			if int(id) >= nTerms || inQuery[id] || isBigram(terms[i]) || lx.chunkDF(id) < 2 {
				continue
			}
			w[id] += float64(tfs[i]) / total * idf(lx.liveChunks, lx.chunkDF(id)) * float64(float32(x.Score)/float32(top[0].Score))
			name[id] = terms[i]
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
	// Ties go by term, so that the choice does not depend on the order in
	// which terms got their IDs.
	slices.SortFunc(all, func(a, b tw) int { return cmp.Or(cmp.Compare(b.w, a.w), strings.Compare(name[a.id], name[b.id])) })
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

// chunkTerms analyses chunk c again: its distinct terms and their counts,
// the terms the index gave it when it was added.
func (ix *Index) chunkTerms(s *snapshot, c int32) ([]string, []uint32) {
	a := s.arts[s.lex.chunkArt[c]].art
	n := int(c - s.lex.artFirst[s.lex.chunkArt[c]])
	sents := articleSentences(a, ix.chunking)
	plans := planChunks(sents, ix.chunking)
	if n >= len(plans) {
		return nil, nil
	}
	counts := map[string]uint32{}
	var order []string
	var buf []token
	for i := plans[n].first; i < plans[n].last; i++ {
		var st sentTerms
		st, buf = ix.an.analyzeField(a.Text[sents[i].start:sents[i].end], buf)
		for _, t := range st.terms {
			if counts[t] == 0 {
				order = append(order, t)
			}
			counts[t]++
		}
	}
	tfs := make([]uint32, len(order))
	for i, t := range order {
		tfs[i] = counts[t]
	}
	return order, tfs
}

// embedQuery embeds a question as a unit vector.
func (ix *Index) embedQuery(ctx context.Context, text string) ([]float32, error) {
	qv, err := ix.embed(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("embed query: %w", err)
	}
	if qv = normalized(qv); qv == nil {
		return nil, errors.New("embed query: zero embedding")
	}
	return qv, nil
}

// vector returns up to pool allowed chunks by cosine similarity to the
// query's unit embedding qv, best first.
func (s *snapshot) vector(qv []float32, allowed []bool, pool int) ([]cand, error) {
	sc, err := s.vectorScan(qv, allowed, pool)
	if err != nil {
		return nil, err
	}
	return s.vectorHits(sc.run(0), pool), nil
}

// vectorScan prepares the vector scan of vector: a few more hits than
// pool (vecTieSlack), as the scan breaks ties by chunk number and the
// candidates by chunk order (cmpChunk); a few more make the two agree
// unless more than vecTieSlack chunks tie at the cut.
func (s *snapshot) vectorScan(qv []float32, allowed []bool, pool int) (*vecScan, error) {
	if len(qv) != s.vecs.dim {
		return nil, fmt.Errorf("embed query: %d dimensions, the index holds %d", len(qv), s.vecs.dim)
	}
	return s.vecs.newScan(qv, pool+vecTieSlack, s.lex.chunkArt, allowed, s.selectiveSlots(allowed), s.vecs.fraction()), nil
}

// vectorHits returns the best pool of the scan's hits as candidates, best
// first.
func (s *snapshot) vectorHits(hits []vecHit, pool int) []cand {
	slices.SortFunc(hits, func(a, b vecHit) int { return cmp.Or(cmp.Compare(b.Score, a.Score), s.cmpChunk(a.ID, b.ID)) })
	if len(hits) > pool {
		hits = hits[:pool]
	}
	out := make([]cand, len(hits))
	for i, h := range hits {
		out[i] = cand{chunk: h.ID, vec: float64(h.Score), vecRank: i + 1}
	}
	return out
}

// vecTieSlack is how many more hits than wanted the vector scan returns.
const vecTieSlack = 16

// fuse merges the candidates of the two components and sorts them by fused
// score, best first (ties by order, which compares chunks).
func fuse(lexC, vecC []cand, t Tuning, order func(a, b int32) int) []cand {
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
		return cmp.Or(cmp.Compare(b.score, a.score), order(a.chunk, b.chunk))
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
func (s *snapshot) diversify(cands []cand, k int, t Tuning) []cand {
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
		srcs[i] = s.source(s.lex.chunkArt[c.chunk])
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
			cands[i].adjusted = c.score * factor(artF, s.lex.chunkArt[c.chunk]) * sf
			if best < 0 || cands[i].adjusted > cands[best].adjusted {
				best = i
			}
		}
		used[best] = true
		a := s.lex.chunkArt[cands[best].chunk]
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
func (s *snapshot) source(a int32) string {
	e := s.arts[a]
	if e.outlet == "" {
		return "\x00" + e.art.ID
	}
	return e.outlet
}
