package retrieval

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval/topk"
)

// edgeLengths are the posting-list lengths of edgeArticles' rare terms:
// each side of minStoredBound (computed or stored bounds) and of one, two
// and three blocks of postBlock postings.
var edgeLengths = []int{31, 32, 33, 63, 64, 65, 127, 128, 129, 191, 193}

// edgeArticles returns n short articles (a chunk each) in which the term
// "edge<L>" occurs in exactly L of them for each L of edgeLengths, with
// varied term frequencies and lengths, some in the title: long lists whose
// last block is full, one posting short of full, or holds one posting;
// and "vanished" in articles 150 to 159 only.
func edgeArticles(n int) []article.Article {
	rng := rand.New(rand.NewPCG(15, 15))
	fill := strings.Fields("the report said officials would review market prices and the council vote next week")
	words := make([][]string, n)
	titles := make([][]string, n)
	for i := range n {
		for range 3 + rng.IntN(30) {
			words[i] = append(words[i], fill[rng.IntN(len(fill))])
		}
		titles[i] = []string{"note", fmt.Sprint("number", i%7)}
	}
	for _, l := range edgeLengths {
		term := fmt.Sprint("edge", l)
		for _, i := range rng.Perm(n)[:l] {
			switch rng.IntN(6) {
			case 0:
				titles[i] = append(titles[i], term)
			default:
				for range 1 + rng.IntN(4) {
					words[i] = append(words[i], term)
				}
			}
		}
	}
	for i := 150; i < min(n, 160); i++ { // a term only in articles TestMaxScoreBlockEdges removes
		words[i] = append(words[i], "vanished")
	}
	arts := make([]article.Article, n)
	for i := range arts {
		rng.Shuffle(len(words[i]), func(a, b int) { words[i][a], words[i][b] = words[i][b], words[i][a] })
		text := strings.Join(words[i], " ") + "."
		arts[i] = article.Article{
			ID:     fmt.Sprintf("edge-%04d", i),
			Title:  strings.Join(titles[i], " "),
			Outlet: []string{"alpha", "beta", "gamma"}[i%3],
			Text:   text,
			Body:   []article.Span{{Start: 0, End: len(text)}},
		}
	}
	return arts
}

// edgeQuestions are questions over edgeArticles' terms.
func edgeQuestions() []string {
	var qs []string
	for i, l := range edgeLengths {
		qs = append(qs, fmt.Sprint("edge", l), fmt.Sprintf("edge%d edge%d", l, edgeLengths[(i+3)%len(edgeLengths)]),
			fmt.Sprintf("edge%d market prices", l), fmt.Sprintf("edge%d edge%d council number3", l, edgeLengths[(i+5)%len(edgeLengths)]))
	}
	return append(qs, "edge31 edge32 edge33 edge63 edge64 edge65 edge127 edge128 edge129 edge191 edge193", "missingword", "missingword edge64", "vanished", "vanished edge64", "vanished missingword")
}

// checkEdgeSchedules compares the lexical search, in its own pieces and in
// pieces of one block taken by several goroutines, with the exhaustive
// scorer on every case of lexCases.
func checkEdgeSchedules(t *testing.T, stage string, ix *Index, qs []string) {
	t.Helper()
	s := ix.current()
	cases := append(lexCases([]string{"alpha"}),
		lexCase{name: "one article", k: 10, artW: 0.5, titleW: 1.5, filter: Filter{ArticleIDs: []string{"edge-0412"}}},
		lexCase{name: "one article, k=1", k: 1, artW: 0.5, titleW: 1.5, filter: Filter{ArticleIDs: []string{"edge-0064"}}},
		lexCase{name: "a removed article and a live one", k: 10, artW: 0.5, titleW: 1.5, filter: Filter{ArticleIDs: []string{"edge-0200", "edge-0401"}}})
	matched := eachLexQuery(ix, s, cases, qs, func(c lexCase, text string, q lexQuery, want []topk.Item[float64]) {
		if got := s.lex.search(&q); !slices.Equal(got, want) {
			t.Errorf("%s, %s, %q, own pieces: got %s, want %s", stage, c.name, text, itemsText(got), itemsText(want))
		}
		r := s.lex.newRun(&q)
		r.chunkPiece, r.artPiece = msBlock, 3
		r.start()
		for range 3 {
			go work(r, nil, false)
		}
		work(r, nil, false)
		if got := r.wait(); !slices.Equal(got, want) {
			t.Errorf("%s, %s, %q, one block a piece: got %s, want %s", stage, c.name, text, itemsText(got), itemsText(want))
		}
	})
	if matched == 0 {
		t.Fatalf("%s: no question matched anything", stage)
	}
	// The hybrid query (both sides in one pool) over the same questions.
	for _, text := range qs {
		for _, k := range []int{1, 10, 1 << 20} {
			hits, err := ix.Search(context.Background(), Query{Text: text, K: k, Diverse: k == 10})
			if err != nil {
				t.Fatalf("%s, %q, K=%d: %v", stage, text, k, err)
			}
			if len(hits) > min(k, s.lex.liveChunks) {
				t.Errorf("%s, %q, K=%d: got %d hits, want at most %d", stage, text, k, len(hits), min(k, s.lex.liveChunks))
			}
		}
	}
}

// TestMaxScoreBlockEdges checks the pruned search against the exhaustive
// scorer where block-max MaxScore has its edges: posting lists just
// under and over minStoredBound and one to three blocks of postings,
// segments that start and end inside a block of the walk, blocks whose
// articles are all removed, and the bounds read back from a base file
// (format 3) at a restart.
func TestMaxScoreBlockEdges(t *testing.T) {
	ctx := context.Background()
	arts := edgeArticles(700)
	qs := edgeQuestions()
	cfg := Config{Dir: t.TempDir(), MergeIdle: -1, MergeChunks: 1 << 20}
	ix := newTestIndex(t, cfg, nil)
	// Adds of odd sizes: segment bounds inside blocks of the walk.
	for lo, i := 0, 0; lo < len(arts); i++ {
		hi := min(len(arts), lo+[]int{37, 61, 100, 1, 129}[i%5])
		if _, err := ix.Add(ctx, arts[lo:hi]); err != nil {
			t.Fatal(err)
		}
		lo = hi
	}
	s := ix.current()
	if s.lex.nChunks != len(arts) {
		t.Fatalf("got %d chunks, want one per article (%d)", s.lex.nChunks, len(arts))
	}
	if len(s.lex.segs) < 3 {
		t.Fatalf("got %d segments, want several", len(s.lex.segs))
	}
	checkEdgeSchedules(t, "segments", ix, qs)

	// Whole blocks of the walk dead, and a few dead articles elsewhere.
	var dead []string
	for i := 130; i < 330; i++ {
		dead = append(dead, arts[i].ID)
	}
	for i := 400; i < len(arts); i += 17 {
		dead = append(dead, arts[i].ID)
	}
	if _, err := ix.Remove(ctx, dead...); err != nil {
		t.Fatal(err)
	}
	checkEdgeSchedules(t, "dead blocks", ix, qs)

	// One base (compacted, the bounds stored with it), read back.
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix.addMu.Lock()
	err := ix.checkpoint()
	ix.addMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	// The checkpoint took the directory's lock again (relock): drop it.
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	re := newTestIndex(t, cfg, nil)
	if g := re.current().lex.segs[0]; g.bnd.Load() == nil {
		t.Fatal("no bounds read with the base")
	}
	checkEdgeSchedules(t, "reopened", re, qs)
}

// TestTuningOutOfRangeRefused checks that search parameters outside the
// range where BM25F's bounds hold are refused with an error naming the
// parameter, by SetTuning (the parameters stay as they were) and by New:
// with a B above 1 or a negative K1 the pruned lexical search returned
// chunks other than the exhaustive scorer's (B = 3: 66 of 88 searches
// over edgeArticles differed; K1 = -0.5: 67), since the upper bound of a
// term's contribution was no longer one. The edges of the ranges are
// accepted and give the exhaustive scorer's results. redteam16 added: a
// K1, ArticleK1 or TitleWeight so large that a contribution overflows
// (NaN scores: 46-49 of 50 searches differed), a negative RRFK (a rank
// divided by zero, the ranks past it above the best) or diversity
// penalty (a score's sign flipped at each hit picked), and a misspelt
// Fusion (it fell silently to reciprocal rank fusion); each checked to
// fail without its refusal.
func TestTuningOutOfRangeRefused(t *testing.T) {
	ctx := context.Background()
	arts := edgeArticles(700)
	qs := edgeQuestions()
	ix := newTestIndex(t, Config{MergeIdle: -1}, arts)
	search := func() [][]string {
		t.Helper()
		var out [][]string
		for _, text := range qs {
			hits, err := ix.Search(ctx, Query{Text: text, K: 10})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, hitSummary(hits))
		}
		return out
	}
	before := search()
	nan := math.NaN()
	for _, tt := range []struct {
		set  func(*Tuning)
		name string // the parameter the error names; "" for none
	}{
		{func(t *Tuning) { t.B = 3 }, "B"},
		{func(t *Tuning) { t.B = 1.3 }, "B"},
		{func(t *Tuning) { t.B = -0.5 }, "B"},
		{func(t *Tuning) { t.TitleB = 2.5 }, "TitleB"},
		{func(t *Tuning) { t.ArticleB = 2 }, "ArticleB"},
		{func(t *Tuning) { t.K1 = -0.5 }, "K1"},
		{func(t *Tuning) { t.ArticleK1 = -2 }, "ArticleK1"},
		{func(t *Tuning) { t.TitleWeight = -1 }, "TitleWeight"},
		{func(t *Tuning) { t.BigramWeight = -1 }, "BigramWeight"},
		{func(t *Tuning) { t.PRFWeight = -0.3 }, "PRFWeight"},
		{func(t *Tuning) { t.K1 = nan }, "K1"},
		{func(t *Tuning) { t.VectorWeight = math.Inf(1) }, "VectorWeight"},
		{func(t *Tuning) { t.RRFK = nan }, "RRFK"},
		// redteam16: overflowing contributions, nonsense fusions.
		{func(t *Tuning) { t.TitleWeight = 1e39 }, "TitleWeight"},
		{func(t *Tuning) { t.TitleWeight = 1e300 }, "TitleWeight"},
		{func(t *Tuning) { t.K1 = 1e308 }, "K1"},
		{func(t *Tuning) { t.ArticleK1 = 1e308 }, "ArticleK1"},
		{func(t *Tuning) { t.K1 = math.MaxFloat64 }, "K1"},
		{func(t *Tuning) { t.Fusion, t.RRFK = FusionRRF, -1 }, "RRFK"},
		{func(t *Tuning) { t.Fusion, t.RRFK = FusionRRF, -3.5 }, "RRFK"},
		{func(t *Tuning) { t.ArticlePenalty = -0.5 }, "ArticlePenalty"},
		{func(t *Tuning) { t.OutletPenalty = -2 }, "OutletPenalty"},
		{func(t *Tuning) { t.Fusion = "Score" }, "Fusion"},
		{func(t *Tuning) { t.Fusion = "bogus" }, "Fusion"},
		{func(t *Tuning) { t.K1, t.ArticleK1, t.TitleWeight = maxSaturation, maxSaturation, maxSaturation }, ""},
		{func(t *Tuning) { t.Fusion, t.RRFK = FusionRRF, 1e-9 }, ""},
		{func(t *Tuning) { t.ArticlePenalty, t.OutletPenalty = 1e-9, 3 }, ""},
		{func(t *Tuning) { t.B, t.TitleB, t.ArticleB = 1, 1, 1 }, ""},
		{func(t *Tuning) { t.K1, t.ArticleK1 = 1e-9, 1e4 }, ""},
		{func(t *Tuning) { t.LexicalWeight, t.ArticleWeight = -1, -1 }, ""},
	} {
		tu := DefaultTuning()
		tt.set(&tu)
		err := ix.SetTuning(tu)
		if tt.name == "" {
			if err != nil {
				t.Errorf("SetTuning(%+v): got %v, want no error", tu, err)
			}
			if _, err := New(ctx, Config{Tuning: &tu}); err != nil {
				t.Errorf("New with %+v: got %v, want no error", tu, err)
			}
			if err := ix.SetTuning(DefaultTuning()); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.name+" is") {
			t.Errorf("SetTuning with %s out of range: got error %v, want one naming %s", tt.name, err, tt.name)
		}
		if got := search(); !slices.EqualFunc(got, before, slices.Equal) {
			t.Errorf("after SetTuning with %s out of range: the results changed", tt.name)
		}
		if _, err := New(ctx, Config{Tuning: &tu}); err == nil || !strings.Contains(err.Error(), tt.name+" is") {
			t.Errorf("New with %s out of range: got error %v, want one naming %s", tt.name, err, tt.name)
		}
	}
	// At the edges of the ranges the pruned search is the exhaustive one.
	s := ix.current()
	for _, set := range []func(*Tuning){
		func(t *Tuning) { t.B, t.TitleB, t.ArticleB = 1, 1, 1 },
		func(t *Tuning) { t.K1, t.ArticleK1 = 1e-9, 1e-9 },
		func(t *Tuning) { t.K1, t.ArticleK1, t.TitleWeight = maxSaturation, maxSaturation, maxSaturation },
	} {
		tu := DefaultTuning()
		set(&tu)
		for _, text := range qs {
			q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, nil, 10)
			if len(q.terms) == 0 {
				continue
			}
			if got, want := s.lex.search(&q), ix.exhaustive(s, q, 0, tu); !slices.Equal(got, want) {
				t.Errorf("%+v, %q: got %s, want %s", tu, text, itemsText(got), itemsText(want))
			}
		}
	}
}

// TestBoundsRacingTuningChanges runs pruned searches under two tunings
// of different length normalisations at once, with Search and SetTuning
// switching between them and adds publishing snapshots meanwhile: each
// segment's cached bounds are replaced, for one B or the other, while
// pieces of other searches read them. Each search must still give the
// exhaustive scorer's results for its own tuning.
func TestBoundsRacingTuningChanges(t *testing.T) {
	ctx := context.Background()
	arts := edgeArticles(500)
	qs := edgeQuestions()
	ix := newTestIndex(t, Config{MergeIdle: -1}, arts[:400])
	tunings := [2]Tuning{DefaultTuning(), DefaultTuning()}
	tunings[1].B, tunings[1].ArticleB, tunings[1].TitleB = 0.9, 0.2, 0.8
	done := make(chan struct{})
	errs := make(chan error, 1)
	go func() {
		defer close(done)
		for i := 400; i < len(arts); i += 5 {
			if err := ix.SetTuning(tunings[i/5%2]); err != nil {
				errs <- err
				return
			}
			if _, err := ix.Add(ctx, arts[i:i+5]); err != nil {
				errs <- err
				return
			}
			if _, err := ix.Search(ctx, Query{Text: qs[i%len(qs)], K: 10}); err != nil {
				errs <- err
				return
			}
		}
	}()
	checked := 0
	untilClosed(done, func() {
		s := ix.current()
		for i, text := range qs {
			tu := tunings[i%2]
			q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, nil, 10)
			if len(q.terms) == 0 {
				continue
			}
			if got, want := s.lex.search(&q), ix.exhaustive(s, q, 0, tu); !slices.Equal(got, want) {
				t.Fatalf("B %v, %q: got %s, want %s", tu.B, text, itemsText(got), itemsText(want))
			}
			checked++
		}
	})
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if checked == 0 {
		t.Fatal("no search checked")
	}
}
