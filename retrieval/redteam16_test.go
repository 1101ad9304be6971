package retrieval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
)

// TestHugeSaturationRefused: a K1, ArticleK1 or TitleWeight so large
// that a term's contribution overflows (float32 for a title's, float64
// for a term's weight) turned the scores NaN, and the pruned search
// returned other chunks than the exhaustive scorer for 46-49 of 50
// questions; check now refuses them, naming the parameter, and at its
// edge (maxSaturation) the pruned search is still the exhaustive one,
// with finite scores. Checked to fail without the refusal.
func TestHugeSaturationRefused(t *testing.T) {
	ctx := context.Background()
	ix := newTestIndex(t, Config{MergeIdle: -1}, edgeArticles(700))
	qs := edgeQuestions()
	for _, tt := range []struct {
		set  func(*Tuning)
		name string // the parameter the error names; "" for none
	}{
		{func(t *Tuning) { t.TitleWeight = 1e39 }, "TitleWeight"},
		{func(t *Tuning) { t.TitleWeight = 1e300 }, "TitleWeight"},
		{func(t *Tuning) { t.K1 = 1e308 }, "K1"},
		{func(t *Tuning) { t.ArticleK1 = 1e308 }, "ArticleK1"},
		{func(t *Tuning) { t.K1 = math.MaxFloat64 }, "K1"},
		{func(t *Tuning) { t.K1, t.ArticleK1, t.TitleWeight = maxSaturation, maxSaturation, maxSaturation }, ""},
	} {
		tu := DefaultTuning()
		tt.set(&tu)
		err := ix.SetTuning(tu)
		if tt.name != "" {
			if err == nil || !strings.Contains(err.Error(), tt.name+" is") {
				t.Errorf("SetTuning with %s out of range: got error %v, want one naming %s", tt.name, err, tt.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("SetTuning at the edge: %v", err)
		}
		s := ix.current()
		matched := 0
		for _, text := range qs {
			q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, nil, 10)
			if len(q.terms) == 0 {
				continue
			}
			got, want := s.lex.search(&q), ix.exhaustive(s, q, 0, tu)
			if !slices.Equal(got, want) {
				t.Errorf("%q at the edge: got %s, want %s", text, itemsText(got), itemsText(want))
			}
			for _, x := range got {
				if math.IsNaN(x.Score) || math.IsInf(x.Score, 0) {
					t.Errorf("%q at the edge: score %v", text, x.Score)
				}
			}
			matched += len(got)
		}
		if matched == 0 {
			t.Fatal("no question matched anything")
		}
		hits, err := ix.Search(ctx, Query{Text: qs[0], K: 10})
		if err != nil || len(hits) == 0 {
			t.Errorf("Search at the edge: %d hits, %v", len(hits), err)
		}
	}
}

// oddBagArticles returns ordinary articles with, among them, articles of
// odd term bags: a term 70,000 times in the body (an article-level
// frequency past a uint16) and in the title, one hyphenated word of
// 70,000 parts (a chunk-level one), 5,000 distinct terms, none at all
// (stop words, punctuation, nothing), and one alone in its outlet with a
// title and no chunk.
func oddBagArticles() []article.Article {
	arts := edgeArticles(300)
	var distinct strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&distinct, "dq%d ", i)
	}
	odd := []struct{ id, title, outlet, text string }{
		{"huge-body", "zorblat report", "delta", strings.Repeat("zorblat ", 70000)},
		{"huge-title", strings.Repeat("zorblat ", 70000), "delta", "the council vote zorblat."},
		{"hyphens", "hyphen", "delta", strings.TrimSuffix(strings.Repeat("zorb-", 70000), "-") + " council."},
		{"distinct", "distinct words", "delta", distinct.String()},
		{"stop words", "", "delta", "The and of the to a in is it."},
		{"punctuation", "", "delta", "!!! ??? ... --- ***"},
		{"empty", "", "delta", ""},
		{"lonely", "zorblat council report", "epsilon", ""},
		{"alone", "market", "zeta", "the market vote zorblat dq7."},
	}
	for _, o := range odd {
		arts = append(arts, article.Article{ID: o.id, Title: o.title, Outlet: o.outlet, Text: o.text,
			Body: []article.Span{{Start: 0, End: len(o.text)}}})
	}
	return arts
}

// TestOddBagsMatchOracle builds, in one bulk Add (packed term bags),
// written as a base and read back, an index of oddBagArticles, and checks
// the pruned lexical search against the exhaustive scorer with duplicated
// and repeated query terms, rare terms (short lists for the seeds), k up
// to past the index, and filters that admit one article, an article
// without chunks, or that plus one (no break found). The term
// frequencies past a uint16 survive the bags and the base file.
func TestOddBagsMatchOracle(t *testing.T) {
	ctx := context.Background()
	arts := oddBagArticles()
	dir := t.TempDir()
	ix, err := New(ctx, Config{Dir: dir, MergeIdle: -1, MergeChunks: 50})
	if err != nil {
		t.Fatal(err)
	}
	ix.memMin = 0 // a bulk Add: packed bags under the memory guard
	preps := make([]*prepArticle, len(arts))
	for i := range arts {
		preps[i] = &prepArticle{art: &arts[i]}
	}
	if !ix.bulk(preps, ix.snap) {
		t.Fatal("the Add is not a bulk one")
	}
	if _, err := ix.Add(ctx, arts); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	qs := []string{
		"zorblat", "zorblat zorblat zorblat", "zorblat council zorblat report", "zorb", "zorb council",
		"dq1 dq2 dq3 dq4999", "dq7 market", "market market vote", "hyphen zorb", "edge1 edge2 zorblat",
		"council vote next week", "note number3 zorblat",
	}
	for _, stage := range []string{"built", "reopened"} {
		if stage == "reopened" {
			ix = newTestIndex(t, Config{Dir: dir, ReadOnly: true}, nil)
		}
		s := ix.current()
		for _, id := range []string{"huge-body", "huge-title", "hyphens"} {
			if _, ok := ix.Article(id); !ok {
				t.Fatalf("%s: article %s missing", stage, id)
			}
		}
		if f := bigFreq(s); f <= maxTF16 {
			t.Errorf("%s: the largest term frequency stored is %d, want one past %d", stage, f, maxTF16)
		}
		for _, c := range lexCases([]string{"zeta"}) {
			for _, b := range lexMismatches(t, ix, qs, c) {
				t.Errorf("%s, %s: %s", stage, c.name, b)
			}
		}
		for _, outlets := range [][]string{{"epsilon", "zeta"}, {"delta"}} {
			for _, c := range []lexCase{
				{name: "filter k=1", k: 1, artW: 0.5, titleW: 1.5, filter: Filter{Outlets: outlets}},
				{name: "filter k=all", k: 1 << 20, artW: 0.5, titleW: 1.5, filter: Filter{Outlets: outlets}},
			} {
				for _, b := range lexMismatches(t, ix, qs, c) {
					t.Errorf("%s, %v, %s: %s", stage, outlets, c.name, b)
				}
			}
		}
	}
}

// bigFreq returns the largest term frequency in the postings of s.
func bigFreq(s *snapshot) uint32 {
	var m uint32
	for _, g := range s.lex.segs {
		for _, p := range []*postings{&g.chunkPost, &g.artPost, &g.titlePost} {
			for _, f := range p.big {
				m = max(m, f)
			}
		}
	}
	return m
}

// TestCloseRacingWrites closes a persistent index again and again while
// other goroutines add, remove and search it (searches carrying one
// recording Probe between them, which serves one search at a time but
// must not race when shared) and the small merge threshold keeps
// background merges going: each write after a Close takes the directory
// back (relock), and every article whose Add returned, and was not
// removed after, is there when the directory is opened again (no break
// found; run with -race).
func TestCloseRacingWrites(t *testing.T) {
	ctx := context.Background()
	arts := edgeArticles(240)
	dir := t.TempDir()
	ix := newTestIndex(t, Config{Dir: dir, MergeChunks: 8, MergeIdle: time.Millisecond}, arts[:40])
	probe := &Probe{Record: true}
	pctx := WithProbe(ctx, probe)
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	present := map[string]bool{}
	for _, a := range arts[:40] {
		present[a.ID] = true
	}
	for w := range 2 {
		wg.Go(func() {
			for i := 40 + w; i < len(arts); i += 2 {
				if _, err := ix.Add(ctx, arts[i:i+1]); err != nil {
					t.Errorf("add %s: %v", arts[i].ID, err)
					return
				}
				mu.Lock()
				present[arts[i].ID] = true
				mu.Unlock()
				if i%5 == 0 {
					id := arts[i-30].ID
					if _, err := ix.Remove(ctx, id); err != nil {
						t.Errorf("remove %s: %v", id, err)
						return
					}
					mu.Lock()
					delete(present, id)
					mu.Unlock()
				}
			}
		})
	}
	var searchers sync.WaitGroup
	for range 2 {
		searchers.Go(func() {
			untilClosed(done, func() {
				if _, err := ix.Search(pctx, Query{Text: "edge3 council vote", K: 10}); err != nil {
					t.Errorf("search: %v", err)
				}
				probe.Runs()
			})
		})
	}
	searchers.Go(func() {
		untilClosed(done, func() {
			if err := ix.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			ix.Files()
		})
	})
	wg.Wait()
	close(done)
	searchers.Wait()
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	re := newTestIndex(t, Config{Dir: dir, ReadOnly: true}, nil)
	for id, want := range present {
		if _, ok := re.Article(id); ok != want {
			t.Errorf("article %s: in the reopened index %t, want %t", id, ok, want)
		}
	}
	if re.Len() != len(present) {
		t.Errorf("reopened: %d articles, want %d", re.Len(), len(present))
	}
}

// TestFusionParametersRefused: a careless fusion setting is refused with
// an error naming it, by SetTuning (the results stay as they were) and by
// New, instead of ranking nonsense: a negative RRFK divided by zero at
// one rank (an infinite score) and put the candidates past it above the
// best ones; a negative diversity penalty flipped the sign of a score at
// each hit picked; a Fusion misspelt ("Score") fell silently to
// reciprocal rank fusion. Checked to fail without the refusals.
func TestFusionParametersRefused(t *testing.T) {
	ctx := context.Background()
	ix := newTestIndex(t, Config{MergeIdle: -1}, edgeArticles(200))
	qs := edgeQuestions()[:10]
	search := func() [][]string {
		t.Helper()
		var out [][]string
		for _, text := range qs {
			hits, err := ix.Search(ctx, Query{Text: text, K: 10, Diverse: true})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, hitSummary(hits))
		}
		return out
	}
	before := search()
	for _, tt := range []struct {
		set  func(*Tuning)
		name string // the parameter the error names; "" for none
	}{
		{func(t *Tuning) { t.Fusion, t.RRFK = FusionRRF, -1 }, "RRFK"},
		{func(t *Tuning) { t.Fusion, t.RRFK = FusionRRF, -3.5 }, "RRFK"},
		{func(t *Tuning) { t.ArticlePenalty = -0.5 }, "ArticlePenalty"},
		{func(t *Tuning) { t.OutletPenalty = -2 }, "OutletPenalty"},
		{func(t *Tuning) { t.Fusion = "Score" }, "Fusion"},
		{func(t *Tuning) { t.Fusion = "bogus" }, "Fusion"},
		{func(t *Tuning) { t.Fusion, t.RRFK = FusionRRF, 1e-9 }, ""},
		{func(t *Tuning) { t.ArticlePenalty, t.OutletPenalty = 1e-9, 3 }, ""},
		{func(t *Tuning) { t.Fusion = FusionScore }, ""},
	} {
		tu := DefaultTuning()
		tt.set(&tu)
		err := ix.SetTuning(tu)
		if tt.name == "" {
			if err != nil {
				t.Errorf("SetTuning(%+v): got %v, want no error", tu, err)
			}
			if err := ix.SetTuning(DefaultTuning()); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.name+" is") {
			t.Errorf("SetTuning with %s %+v: got error %v, want one naming %s", tt.name, tu, err, tt.name)
		}
		if got := search(); !slices.EqualFunc(got, before, slices.Equal) {
			t.Errorf("after SetTuning with a bad %s: the results changed", tt.name)
		}
		if _, err := New(ctx, Config{Tuning: &tu}); err == nil || !strings.Contains(err.Error(), tt.name+" is") {
			t.Errorf("New with a bad %s: got error %v, want one naming %s", tt.name, err, tt.name)
		}
	}
}
