package retrieval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
)

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

// TestTakenLexPieceNotYetMarkedIsWatched: a goroutine takes the last
// piece of the lexical search's first stage and stalls before it marks
// the piece started (between take and the mutex), as a vCPU stall can; a
// helper that looks then finds no piece to take and none held. It must
// still look again later: the taker, once it runs, may stall in its run,
// and only a twin would end the stage. Before the fix (lateOne) the
// helper slept until the stage's end with no timer, so the search waited
// the whole stall (here the test's hold, stallWait; the vector scan's
// TestSharedScanIgnoresSchedule failed so once under a full -race run,
// before vecmerge's take marked a piece under the scan's mutex). Checked
// to fail without the fix (10.0 s).
func TestTakenLexPieceNotYetMarkedIsWatched(t *testing.T) {
	arts, qs := multiHop(t)
	ix := newTestIndex(t, Config{}, arts[:300])
	s := ix.current()
	tu := DefaultTuning()
	q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(qs[0], nil), tu), tu, nil, 10)
	want := ix.exhaustive(s, q, 0, tu)
	r := s.lex.newRun(&q)
	r.chunkPiece, r.artPiece = 4*msBlock, 50
	var armed atomic.Bool
	r.hold = func(st int, again bool) {
		if st == 0 && !again && armed.Load() {
			select {
			case <-r.waitChan(): // the stage is over: a twin finished the piece
			case <-time.After(stallWait):
			}
		}
	}
	r.start()
	var ws msScratch
	for int(r.next.Load()&math.MaxUint32) < len(r.stages[0])-1 {
		r.step(&ws, 0)
	}
	t0 := time.Now()
	p, st, i, ok := r.take() // taken, not yet marked
	if !ok || st != 0 || i != len(r.stages[0])-1 {
		t.Fatalf("took %v %d %d %v, want the first stage's last piece", p, st, i, ok)
	}
	var wg sync.WaitGroup
	wg.Go(func() { work(r, nil, false) })
	time.Sleep(20 * time.Millisecond) // the helper has looked: nothing to take, nothing held
	// The taker goes on as step does: marks the piece, then runs it.
	wake := r.waitChan()
	r.mu.Lock()
	r.pstate[st][i].runs, r.pstate[st][i].start = 1, time.Now()
	r.live++
	r.mu.Unlock()
	armed.Store(true)
	r.piece(st, i, p, &ws, false)
	r.ended()
	armed.Store(false)
	select {
	case <-wake:
	default:
		t.Error("the held piece's run returned before its stage was over")
	}
	got := r.wait()
	took := time.Since(t0)
	wg.Wait()
	if took > stallWait/2 {
		t.Errorf("the search took %v: no twin ran the piece held after it was taken", took)
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %s, want %s", itemsText(got), itemsText(want))
	}
}

// TestTitlesOverEmptyArticlesMatchOracle checks the pruned lexical
// search (with lexwalk's cached title bounds, galloping title seeks and
// coasting) against the exhaustive scorer where a title term's postings
// run over many articles without chunks between ones with one to
// several hundred chunks, in one segment and in several with removals
// (no break found).
func TestTitlesOverEmptyArticlesMatchOracle(t *testing.T) {
	ctx := context.Background()
	var arts []article.Article
	for i := range 900 {
		text := ""
		switch i % 5 {
		case 1:
			text = strings.Repeat("council vote market price. ", 1+i%7)
		case 2:
			text = strings.Repeat("the ferry bridge terminal zorblat report. ", 1+i%40)
		case 4:
			if i%45 == 4 {
				text = strings.Repeat("zorblat market bridge council. ", 700)
			}
		}
		title := "note"
		if i%3 != 0 {
			title = "zorblat " + title
		}
		arts = append(arts, article.Article{ID: fmt.Sprintf("t%04d", i), Title: title, Outlet: []string{"alpha", "beta"}[i%2],
			Text: text, Body: []article.Span{{Start: 0, End: len(text)}}})
	}
	ix := newTestIndex(t, Config{MergeIdle: -1, MergeChunks: 1 << 20}, arts[:700])
	qs := []string{"zorblat", "zorblat note", "zorblat council", "note market", "zorblat zorblat bridge terminal"}
	checkLex(t, "one add", ix, qs, []string{"alpha"})
	for i, a := range arts[700:] {
		if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
			t.Fatal(err)
		}
		if i%4 == 0 {
			if _, err := ix.Remove(ctx, arts[i*3].ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	checkLex(t, "segments", ix, qs, []string{"alpha"})
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	checkLex(t, "merged", ix, qs, []string{"alpha"})
}
