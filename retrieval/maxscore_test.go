package retrieval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/internal/benchdata"
	"github.com/briefbot/briefbot/retrieval/topk"
)

// multiHop returns the MultiHop-RAG corpus and dev questions (skipped
// without them, failing in CI).
func multiHop(tb testing.TB) ([]article.Article, []string) {
	tb.Helper()
	p := benchdata.Path(tb, "multihop-rag", "corpus.json")
	arts, _, err := article.Load(p)
	if err != nil {
		tb.Fatalf("load %s: %v", p, err)
	}
	return arts, benchdata.MultiHopQuestions(tb)
}

// lexCase is one way of asking the lexical search.
type lexCase struct {
	name       string
	k          int
	artW       float64 // article-level score weight; 0 leaves it out
	titleW     float64 // title field weight; 0 leaves it out
	filter     Filter
	prf        int     // pseudo-relevance feedback chunks; 0: off
	boundScale float64 // 0: the true bounds
	// seedAbove, where not 0, starts the threshold of the first or the
	// third step at the oracle's best chunk's BM25F score or k-th best
	// final score times it, instead of its seed: above 1 no longer a
	// bound.
	seedAbove [2]float64
	// capScale, where not 0, multiplies the third step's caps by block
	// ([0]) or its article bounds per chunk ([1]): below 1 no longer
	// bounds.
	capScale [2]float64
}

// lexCases returns the cases every test runs: k = 1, 10, 100 and past
// every match, with and without the article-level score and the title
// field, with a filter, and with pseudo-relevance feedback.
func lexCases(outlets []string) []lexCase {
	f := Filter{Outlets: outlets}
	return []lexCase{
		{name: "k=1", k: 1, artW: 0.5, titleW: 1.5},
		{name: "k=10", k: 10, artW: 0.5, titleW: 1.5},
		{name: "k=100", k: 100, artW: 0.5, titleW: 1.5},
		{name: "k=all", k: 1 << 20, artW: 0.5, titleW: 1.5},
		{name: "no article score", k: 100, titleW: 1.5},
		{name: "no title", k: 100, artW: 0.5},
		{name: "neither", k: 10},
		{name: "filter k=10", k: 10, artW: 0.5, titleW: 1.5, filter: f},
		{name: "filter k=all", k: 1 << 20, artW: 0.5, titleW: 1.5, filter: f},
		{name: "feedback", k: 100, artW: 0.5, titleW: 1.5, prf: 5},
	}
}

// lexMismatches runs questions through the pruned search and the
// exhaustive oracle and describes where they differ (chunks or scores,
// to the bit), at most a few.
func lexMismatches(tb testing.TB, ix *Index, qs []string, c lexCase) []string {
	tb.Helper()
	s := ix.current()
	allowed, some := s.allowed(c.filter)
	if !some {
		tb.Fatalf("%s: the filter admits no article", c.name)
	}
	t := DefaultTuning()
	t.ArticleWeight, t.TitleWeight, t.PRFDocs = c.artW, c.titleW, c.prf
	var bad []string
	matched := 0
	for _, text := range qs {
		terms := ix.queryTerms(s, ix.an.tokens(text, nil), t)
		q := newLexQuery(s, terms, t, allowed, c.k)
		q.boundScale = c.boundScale
		q.capScale = c.capScale
		want := ix.exhaustive(s, q, c.prf, t)
		if c.seedAbove != [2]float64{} && len(want) == c.k {
			best := s.lex.chunkScores(&q, 1)
			q.seed = [2]float64{best[0].Score * c.seedAbove[0], want[c.k-1].Score * c.seedAbove[1]}
		}
		if c.prf > 0 {
			q.terms = append(slices.Clip(q.terms), ix.feedback(s, terms, s.lex.chunkScores(&q, c.prf), t)...)
		}
		got := s.lex.search(&q)
		matched += len(want)
		if !slices.Equal(got, want) && len(bad) < 3 {
			bad = append(bad, fmt.Sprintf("%q: got %s, want %s", text, itemsText(got), itemsText(want)))
		}
	}
	if matched == 0 {
		tb.Fatalf("%s: no question matched anything", c.name)
	}
	return bad
}

// itemsText shows the first few items of a result.
func itemsText(items []topk.Item[float64]) string {
	return fmt.Sprintf("%d results %v", len(items), items[:min(5, len(items))])
}

// wantMismatch fails the test where c, whose bounds or seeds are off as
// what says, gets the oracle's results for every question.
func wantMismatch(t *testing.T, ix *Index, qs []string, c lexCase, what string) {
	t.Helper()
	if bad := lexMismatches(t, ix, qs, c); len(bad) == 0 {
		t.Errorf("%s, %s: got the oracle's results for every question, want some differing", c.name, what)
	}
}

// checkLex fails the test where the pruned search and the oracle differ.
func checkLex(t *testing.T, stage string, ix *Index, qs []string, outlets []string) {
	t.Helper()
	for _, c := range lexCases(outlets) {
		for _, b := range lexMismatches(t, ix, qs, c) {
			t.Errorf("%s, %s: %s", stage, c.name, b)
		}
	}
}

// TestMaxScoreMatchesExhaustive checks that the pruned lexical search
// returns exactly the chunks and scores (to the bit) of scoring every
// posting, on the MultiHop-RAG dev questions over the MultiHop-RAG corpus.
func TestMaxScoreMatchesExhaustive(t *testing.T) {
	arts, qs := multiHop(t)
	qs = every(qs, 2*raceStride)
	ix := newTestIndex(t, Config{}, arts)
	checkLex(t, "one add", ix, qs, []string{arts[0].Outlet, arts[1].Outlet})
}

// TestMaxScoreTightBoundsFail checks that the identity test can fail:
// with every bound a few percent too tight, pruning drops chunks that
// belong in the results.
func TestMaxScoreTightBoundsFail(t *testing.T) {
	arts, qs := multiHop(t)
	qs = every(qs[:min(len(qs), 200)], raceStride)
	ix := newTestIndex(t, Config{}, arts)
	for _, scale := range []float64{0.97, 0.95} {
		for _, c := range []lexCase{
			{name: "k=10", k: 10, artW: 0.5, titleW: 1.5},
			{name: "k=100 no article score", k: 100, titleW: 1.5},
		} {
			c.boundScale = scale
			wantMismatch(t, ix, qs, c, fmt.Sprintf("bounds times %v", scale))
		}
	}
}

// TestMaxScoreTightCapsFail checks that the identity test catches each
// of the third step's bounds from the articles' query terms (caps by
// block, article bounds per chunk) alone when it is a few percent too
// tight. It asks every one of the first 200 questions, under the race
// detector too: only some of them find a bound a few percent too tight.
func TestMaxScoreTightCapsFail(t *testing.T) {
	arts, qs := multiHop(t)
	qs = qs[:min(len(qs), 200)]
	ix := newTestIndex(t, Config{}, arts)
	for i, name := range []string{"caps by block", "article bounds per chunk"} {
		for _, scale := range []float64{0.97, 0.95} {
			c := lexCase{name: "k=10", k: 10, artW: 0.5, titleW: 1.5}
			c.capScale[i] = scale
			wantMismatch(t, ix, qs, c, fmt.Sprintf("%s times %v", name, scale))
		}
	}
}

// TestMaxScoreArticleBounds checks the identity where the bounds from the
// articles' query terms meet their edge cases: questions of more than 64
// terms, articles with no chunks whose titles match (the article step
// scores them, the chunk steps have nothing of them), in one add and
// after adds one at a time (several segments) and removals.
func TestMaxScoreArticleBounds(t *testing.T) {
	ctx := context.Background()
	arts, qs := multiHop(t)
	qs = every(qs[:min(len(qs), 120)], 2*raceStride)
	var long []string
	for i := 0; i+6 <= len(qs); i += 6 {
		long = append(long, strings.Join(qs[i:i+6], " "))
	}
	var empty []article.Article
	for i, q := range long {
		empty = append(empty, article.Article{ID: fmt.Sprintf("empty-%d", i), Title: q, Outlet: arts[0].Outlet, URL: "https://example.com/" + strconv.Itoa(i)})
	}
	ix := newTestIndex(t, Config{MergeIdle: -1}, slices.Concat(arts[:200], empty))
	s := ix.current()
	most := 0
	for _, q := range long {
		most = max(most, len(ix.queryTerms(s, ix.an.tokens(q, nil), DefaultTuning())))
	}
	if most <= 64 {
		t.Fatalf("got at most %d terms in the long questions, want more than 64", most)
	}
	none := 0
	for a := range s.lex.nArts {
		if s.lex.artFirst[a] == s.lex.artFirst[a+1] {
			none++
		}
	}
	if none != len(empty) {
		t.Fatalf("got %d articles with no chunks, want %d", none, len(empty))
	}
	outlets := []string{arts[0].Outlet, arts[1].Outlet}
	qs = append(qs, long...)
	checkLex(t, "one add", ix, qs, outlets)
	for i := 200; i < 240; i++ {
		if _, err := ix.Add(ctx, []article.Article{arts[i]}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ix.Remove(ctx, arts[10].ID, arts[210].ID, empty[0].ID); err != nil {
		t.Fatal(err)
	}
	checkLex(t, "segments and removals", ix, qs, outlets)
}

// TestMaxScoreSeedIsBound checks that the thresholds the first and third
// steps start from (seedBest, seedChunks) are at most the best chunk's
// BM25F score and the k-th best final score, and that some are above -Inf, so that seeding is tested at all (with an
// article score: without one, the seed's candidates are the few chunks
// the first step scored in full, often fewer than k).
func TestMaxScoreSeedIsBound(t *testing.T) {
	arts, qs := multiHop(t)
	qs = every(qs, raceStride)
	ix := newTestIndex(t, Config{}, arts)
	s := ix.current()
	allowed, _ := s.allowed(Filter{Outlets: []string{arts[0].Outlet, arts[1].Outlet}})
	tu := DefaultTuning()
	for _, c := range []lexCase{
		{name: "k=10", k: 10, artW: 0.5, titleW: 1.5},
		{name: "k=100", k: 100, artW: 0.5, titleW: 1.5},
		{name: "no title", k: 100, artW: 0.5},
		{name: "filter k=10", k: 10, artW: 0.5, titleW: 1.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			tu.ArticleWeight, tu.TitleWeight = c.artW, c.titleW
			var filter []bool
			if strings.HasPrefix(c.name, "filter") {
				filter = allowed
			}
			var seeded [2]int
			for _, text := range qs {
				q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, filter, c.k)
				if len(q.terms) == 0 {
					continue
				}
				want := ix.exhaustive(s, q, 0, tu)
				r := s.lex.newRun(&q)
				if got := r.run(0); !slices.Equal(got, want) {
					t.Fatalf("%q: got %s, want %s", text, itemsText(got), itemsText(want))
				}
				if best := s.lex.chunkScores(&q, 1); len(best) > 0 && !math.IsInf(r.seeded[0], -1) {
					seeded[0]++
					if r.seeded[0] > best[0].Score {
						t.Errorf("%q: got a first seed of %v, want at most the best chunk's score %v", text, r.seeded[0], best[0].Score)
					}
				}
				seed := r.seeded[1]
				if math.IsInf(seed, -1) {
					continue
				}
				seeded[1]++
				if len(want) < c.k || seed > want[c.k-1].Score {
					t.Errorf("%q: got a third seed of %v, want at most the k-th best score of %d results %s", text, seed, len(want), itemsText(want[max(0, len(want)-1):]))
				}
			}
			if seeded[0] == 0 || seeded[1] == 0 {
				t.Errorf("got %v questions seeded (first and third step), want some of each", seeded)
			}
		})
	}
}

// TestMaxScoreHighSeedsFail checks that the identity test catches a seed
// that is not a bound: starting the thresholds a few percent above the
// best chunk's and the k-th best scores drops chunks that belong in the
// results.
func TestMaxScoreHighSeedsFail(t *testing.T) {
	arts, qs := multiHop(t)
	qs = every(qs[:min(len(qs), 200)], raceStride)
	ix := newTestIndex(t, Config{}, arts)
	for step, name := range []string{"first", "third"} {
		for _, above := range []float64{1.05, 1.02} {
			for _, c := range []lexCase{
				{name: "k=10", k: 10, artW: 0.5, titleW: 1.5},
				{name: "k=100 no article score", k: 100, titleW: 1.5},
			} {
				c.seedAbove[step] = above
				wantMismatch(t, ix, qs, c, fmt.Sprintf("the %s step's seed times %v", name, above))
			}
		}
	}
}

// TestMaxScoreSegments checks the identity over a segmented index: one big
// add, then adds one at a time with updates and removals (small segments,
// dead articles, averages that move after the bounds were computed),
// after the merges, and after a restart.
func TestMaxScoreSegments(t *testing.T) {
	ctx := context.Background()
	arts, qs := multiHop(t)
	qs = every(qs[:min(len(qs), 120)], 2*raceStride)
	outlets := []string{arts[0].Outlet, arts[1].Outlet}
	for _, persistent := range []bool{false, true} {
		t.Run(map[bool]string{false: "memory", true: "persistent"}[persistent], func(t *testing.T) {
			cfg := Config{MergeIdle: -1}
			n := len(arts)
			if persistent {
				cfg.Dir = t.TempDir()
				n = 380
			}
			ix := newTestIndex(t, cfg, arts[:300])
			checkLex(t, "one add", ix, qs, outlets)
			for i := 300; i < n; i++ {
				if _, err := ix.Add(ctx, []article.Article{arts[i]}); err != nil {
					t.Fatal(err)
				}
				switch {
				case i%40 == 39:
					if _, err := ix.Remove(ctx, arts[i-20].ID, arts[i-250].ID); err != nil {
						t.Fatal(err)
					}
				case i%50 == 49:
					u := arts[i-35]
					u.Title += " (updated)"
					if _, err := ix.Add(ctx, []article.Article{u}); err != nil {
						t.Fatal(err)
					}
				}
				if i == 320 {
					checkLex(t, "some added", ix, qs, outlets)
				}
			}
			s := ix.current()
			if len(s.lex.segs) < 2 || s.lex.nDead == 0 {
				t.Fatalf("got %d segments and %d dead articles, want several and some", len(s.lex.segs), s.lex.nDead)
			}
			checkLex(t, "one by one", ix, qs, outlets)
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			checkLex(t, "merges done", ix, qs, outlets)
			if persistent {
				checkLex(t, "reopened", newTestIndex(t, cfg, nil), qs, outlets)
			}
		})
	}
}

// newTestIndex opens an index and adds arts in one Add.
func newTestIndex(tb testing.TB, cfg Config, arts []article.Article) *Index {
	tb.Helper()
	ctx := context.Background()
	ix, err := New(ctx, cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(func() { _ = ix.Close() })
	if len(arts) > 0 {
		if _, err := ix.Add(ctx, arts); err != nil {
			tb.Fatalf("Add: %v", err)
		}
	}
	return ix
}

// every returns every n-th question.
func every(qs []string, n int) []string {
	var out []string
	for i := 0; i < len(qs); i += n {
		out = append(out, qs[i])
	}
	return out
}
