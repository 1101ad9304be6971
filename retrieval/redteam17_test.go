package retrieval

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
)

// waitFor waits until cond holds, or stallWait has passed.
func waitFor(cond func() bool) {
	for deadline := time.Now().Add(stallWait); !cond() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Microsecond)
	}
}

// TestUnneededRunPanicGoesNoFurther: a run of a piece or part whose
// result is no longer needed (its twin finished it first, or the scan is
// over) panics while the rest of the query still runs. The panic must go
// no further: before the fix (settle) work's recover aborted the
// lexical search too, and the query raised the panic of a run nobody
// needed, though both sides had, or would have, their results. A panic
// of a run whose result is still needed (its twin's first run held)
// still reaches the caller. Checked to fail without the fix (the three
// "after" rows: hybrid raised the panic).
func TestUnneededRunPanicGoesNoFurther(t *testing.T) {
	ix, arts := synthIndex(t, 300)
	s := ix.current()
	ctx := context.Background()
	const k = 100
	text := arts[0].Title
	qv, err := ix.embedQuery(ctx, text)
	if err != nil {
		t.Fatal(err)
	}
	newSides := func() (*lexRun, *vecScan) { return hybridSides(t, ix, s, text, qv, k) }
	lr, sc := newSides()
	lr.chunkPiece, lr.artPiece = int32(s.lex.nChunks+msBlock)/msBlock*msBlock, int32(s.lex.nArts)
	sc.cut(s.vecs.slots)
	wantLex, wantVec := lr.run(0), sc.run(0)

	// lexTwin returns the piece of the lexical stage st run twice (-1:
	// none) and whether it is done or the stage over.
	lexTwin := func(r *lexRun, st int) (int, bool) {
		r.mu.Lock()
		defer r.mu.Unlock()
		for j, ps := range r.pstate[st] {
			if ps.runs == 2 {
				return j, ps.done || r.stage != st
			}
		}
		return -1, r.stage != st
	}
	for _, tc := range []struct {
		name      string
		needed    bool
		set       func(lr *lexRun, sc *vecScan, panicked *atomic.Bool, fire func())
		holdStage bool // the lexical search's second stage held until the panic
	}{
		{name: "vector piece twin after the scan", holdStage: true, set: func(lr *lexRun, sc *vecScan, panicked *atomic.Bool, fire func()) {
			sc.hold = func(p int, again bool) {
				switch {
				case p != 2:
				case again:
					waitFor(func() bool { return closed(sc.done) })
					fire()
				default:
					waitFor(func() bool { sc.mu.Lock(); defer sc.mu.Unlock(); return sc.state[2].runs == 2 })
				}
			}
		}},
		{name: "rescoring part twin after the scan", holdStage: true, set: func(lr *lexRun, sc *vecScan, panicked *atomic.Bool, fire func()) {
			sc.holdPart = func(i int, again bool) {
				switch {
				case i != 0:
				case again:
					waitFor(func() bool { return closed(sc.done) })
					fire()
				default:
					waitFor(func() bool { sc.mu.Lock(); defer sc.mu.Unlock(); return sc.rstate[0].runs == 2 })
				}
			}
		}},
		{name: "lexical piece twin after its first run", holdStage: true, set: func(lr *lexRun, sc *vecScan, panicked *atomic.Bool, fire func()) {
			var first atomic.Bool
			lr.hold = func(st int, again bool) {
				switch {
				case st != 0:
				case again:
					waitFor(func() bool { _, done := lexTwin(lr, 0); return done })
					fire()
				case first.CompareAndSwap(false, true):
					waitFor(func() bool { j, _ := lexTwin(lr, 0); return j >= 0 })
				}
			}
		}},
		{name: "vector piece twin while its first run holds", needed: true, set: func(lr *lexRun, sc *vecScan, panicked *atomic.Bool, fire func()) {
			sc.hold = func(p int, again bool) {
				switch {
				case p != 2:
				case again:
					fire()
				default:
					waitFor(panicked.Load)
				}
			}
		}},
		{name: "lexical piece twin while its first run holds", needed: true, set: func(lr *lexRun, sc *vecScan, panicked *atomic.Bool, fire func()) {
			var first atomic.Bool
			lr.hold = func(st int, again bool) {
				switch {
				case st != 0:
				case again:
					fire()
				case first.CompareAndSwap(false, true):
					waitFor(panicked.Load)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lr, sc := newSides()
			lr.chunkPiece, lr.artPiece = msBlock, 3
			sc.cut(64)
			var panicked, lexOver atomic.Bool
			// fire panics in a run, noting whether the lexical search was
			// over then.
			fire := func() {
				lexOver.Store(closed(lr.done))
				panicked.Store(true)
				panic("a twin's panic")
			}
			tc.set(lr, sc, &panicked, fire)
			if tc.holdStage {
				// The lexical search runs on until the panic: its second
				// stage's first run taken, and any twin of it, wait.
				var first atomic.Bool
				inner := lr.hold
				lr.hold = func(st int, again bool) {
					if inner != nil {
						inner(st, again)
					}
					if st == 1 && (again || first.CompareAndSwap(false, true)) {
						waitFor(panicked.Load)
					}
				}
			}
			t0 := time.Now()
			var got any
			var gotLex, gotVec = wantLex, wantVec
			var wg sync.WaitGroup
			func() {
				defer func() { got = recover() }()
				lr.start()
				for range 6 { // two goroutines may hold lexical runs, two vector ones
					wg.Go(func() { work(lr, sc, false) })
				}
				gotLex = lr.wait()
				gotVec = sc.finish()
			}()
			wg.Wait()
			took := time.Since(t0)
			if !panicked.Load() {
				t.Fatal("no run panicked")
			}
			if took > stallWait/2 {
				t.Errorf("the query took %v: it waited for a held run", took)
			}
			if tc.needed {
				if got == nil {
					t.Error("the query returned; want the panic of the run whose result it needed")
				}
				return
			}
			if got != nil {
				t.Fatalf("the query raised %v, from a run whose result it did not need", got)
			}
			if lexOver.Load() {
				t.Error("the lexical search was over at the panic: the test did not run the two sides together")
			}
			if !slices.Equal(gotLex, wantLex) {
				t.Errorf("got lexical %s, want %s", itemsText(gotLex), itemsText(wantLex))
			}
			if !slices.Equal(gotVec, wantVec) {
				t.Errorf("got vector %v, want %v", gotVec[:min(5, len(gotVec))], wantVec[:min(5, len(wantVec))])
			}
		})
	}
}

// TestTinyWeightsMatchOracle checks the pruned lexical search against the
// exhaustive scorer with tunings at the edges of what Tuning.check takes:
// weights and saturations of the smallest float above zero and of the
// largest taken (maxSaturation), an article weight near the largest
// float, huge bigram weights. A title weight so small that a title
// match's contribution rounds to nothing in float32 (here 1e-50, or the
// smallest float) gave chunks matched only so a BM25F score of 0: the
// exhaustive scorer leaves them out, and the walk pushed them, with the
// article part as their final score, among the results. Checked to fail
// without the fix (runSeg skips a score of 0): 7 questions differed.
func TestTinyWeightsMatchOracle(t *testing.T) {
	ix, qs := tuningIndex(t)
	qs = every(qs, 6*raceStride)
	sub := math.SmallestNonzeroFloat64
	for _, tc := range []struct {
		name string
		set  func(*Tuning)
	}{
		{"title weight 1e-50", func(t *Tuning) { t.TitleWeight = 1e-50 }},
		{"title weight smallest", func(t *Tuning) { t.TitleWeight = sub }},
		{"title weight smallest, no article score", func(t *Tuning) { t.TitleWeight, t.ArticleWeight = sub, -1 }},
		{"k1 smallest", func(t *Tuning) { t.K1, t.ArticleK1 = sub, sub }},
		{"k1 largest, b 1", func(t *Tuning) { t.K1, t.ArticleK1, t.B, t.TitleB, t.ArticleB = maxSaturation, maxSaturation, 1, 1, 1 }},
		{"k1 smallest, title weight largest", func(t *Tuning) { t.K1, t.TitleWeight = sub, maxSaturation }},
		{"b smallest", func(t *Tuning) { t.B, t.TitleB, t.ArticleB = sub, sub, sub }},
		{"bigram weight 1e300", func(t *Tuning) { t.BigramWeight = 1e300 }},
		{"bigram weight smallest", func(t *Tuning) { t.BigramWeight = sub }},
		{"article weight 1.7e308", func(t *Tuning) { t.ArticleWeight = 1.7e308 }},
		{"article weight smallest", func(t *Tuning) { t.ArticleWeight = sub }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tu := DefaultTuning()
			tc.set(&tu)
			if err := tu.check(); err != nil {
				t.Fatalf("the tuning is refused: %v", err)
			}
			checkTuning(t, ix, qs, tu, []int{1, 10, 100})
		})
	}
}

// TestOddCorporaMatchOracle checks the pruned lexical search (the
// article bounds from minChunk and the term caps) against the exhaustive
// scorer on an index of odd articles: titles with no text, one-word
// bodies, beside ordinary ones; then adds that move the averages (an
// article of thousands of chunks, a title of thousands of words, a
// one-word article), removals, the merge, and a removal after it (no
// break found).
func TestOddCorporaMatchOracle(t *testing.T) {
	ctx := context.Background()
	arts := edgeArticles(200)
	mk := func(id, title, outlet, text string) article.Article {
		return article.Article{ID: id, Title: title, Outlet: outlet, Text: text, Body: []article.Span{{Start: 0, End: len(text)}}}
	}
	var huge strings.Builder
	for i := range 30000 / raceStride {
		fmt.Fprintf(&huge, "The zorblat council met at %d and quixel vote followed. ", i%97)
	}
	for i := range 60 {
		arts = append(arts, mk(fmt.Sprintf("title-only-%d", i), "zorblat council quixel", "gamma", ""))
		arts = append(arts, mk(fmt.Sprintf("one-word-%d", i), "note", "gamma", []string{"zorblat", "x", "quixel", "z"}[i%4]))
	}
	ix := newTestIndex(t, Config{MergeIdle: -1, MergeChunks: 1 << 20}, arts)
	qs := []string{"zorblat", "zorblat council", "quixel vote", "edge1 zorblat", "note number3 zorblat quixel", "x", "council vote market"}
	checkLex(t, "odd", ix, qs, []string{"gamma"})
	movers := []article.Article{
		mk("huge", "huge report", "delta", huge.String()),
		mk("long-title", strings.Repeat("zorblat quixel council ", 3000), "delta", "a short body about the council."),
		mk("tiny", "zorblat", "delta", "zorblat."),
	}
	for _, m := range movers {
		if _, err := ix.Add(ctx, []article.Article{m}); err != nil {
			t.Fatal(err)
		}
		checkLex(t, "after "+m.ID, ix, qs, []string{"delta"})
	}
	if n := len(ix.Chunks("huge")); n < 2000/raceStride {
		t.Fatalf("the huge article has %d chunks, want thousands", n)
	}
	for i := range 30 {
		if _, err := ix.Remove(ctx, fmt.Sprintf("one-word-%d", i*2)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ix.Remove(ctx, "long-title"); err != nil {
		t.Fatal(err)
	}
	checkLex(t, "removed", ix, qs, []string{"gamma"})
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	checkLex(t, "merged", ix, qs, []string{"gamma"})
	if _, err := ix.Remove(ctx, "huge"); err != nil {
		t.Fatal(err)
	}
	checkLex(t, "huge removed", ix, qs, []string{"delta"})
}

// TestFeedbackWeightEdges: a PRFWeight near 1e38 overflowed the float32
// contributions of the feedback terms, and the pruned search differed from
// the exhaustive scorer in 20 of 30 questions (Search ranked nonsense).
// PRFWeight is refused above maxSaturation now, as K1 and TitleWeight are,
// and at maxSaturation the results match the exhaustive scorer. Checked
// to fail without the fix (1e38 was taken).
func TestFeedbackWeightEdges(t *testing.T) {
	arts, qs := multiHop(t)
	ix := newTestIndex(t, Config{MergeIdle: -1}, arts[:240])
	qs = every(qs[:min(len(qs), 300)], 10*raceStride)
	for _, w := range []float64{1e38, math.MaxFloat64, maxSaturation * 1.01} {
		tu := DefaultTuning()
		tu.PRFDocs, tu.PRFWeight = 5, w
		if err := ix.SetTuning(tu); err == nil || !strings.Contains(err.Error(), "PRFWeight") {
			t.Errorf("PRFWeight %g: got %v, want an error naming PRFWeight", w, err)
		}
	}
	for _, w := range []float64{maxSaturation, 1e3} {
		tu := DefaultTuning()
		tu.PRFDocs, tu.PRFWeight = 5, w
		if err := ix.SetTuning(tu); err != nil {
			t.Fatalf("PRFWeight %g: %v", w, err)
		}
		s := ix.current()
		matched := 0
		for _, text := range qs {
			terms := ix.queryTerms(s, ix.an.tokens(text, nil), tu)
			q := newLexQuery(s, terms, tu, nil, 10)
			want := ix.exhaustive(s, q, tu.PRFDocs, tu)
			q.terms = append(slices.Clip(q.terms), ix.feedback(s, terms, s.lex.chunkScores(&q, tu.PRFDocs), tu)...)
			got := s.lex.search(&q)
			matched += len(want)
			if !slices.Equal(got, want) {
				t.Errorf("PRFWeight %g, %q: got %s, want %s", w, text, itemsText(got), itemsText(want))
			}
		}
		if matched == 0 {
			t.Fatalf("PRFWeight %g: no question matched anything", w)
		}
	}
}

// TestTiedScoresMatchOracle checks the pruned lexical search, with its
// own pieces and with small ones run by two goroutines, against the
// exhaustive scorer on random indexes over a vocabulary of six words:
// chunks and articles of one to hundreds of words, empty ones, titles of
// none to two words, so that scores tie everywhere (ties by chunk order,
// bounds equal to the threshold); adds one at a time, removals, updates,
// then the merge; random questions with repeated words, filters, k from
// 1 to past the index, and tunings (no article score, a tiny title
// weight, full length normalisation). No break found.
func TestTiedScoresMatchOracle(t *testing.T) {
	ctx := context.Background()
	vocab := strings.Fields("alpha beta gamma delta omega sigma")
	matched := 0
	for seed := range uint64(40 / raceStride) {
		rng := rand.New(rand.NewPCG(seed, 17))
		mkArt := func(i int) article.Article {
			var b strings.Builder
			n := []int{1, 2, 5, 40, 400}[rng.IntN(5)]
			for j := range n {
				b.WriteString(vocab[rng.IntN(len(vocab))])
				if j%7 == 6 {
					b.WriteString(". ")
				} else {
					b.WriteString(" ")
				}
			}
			text := b.String()
			if rng.IntN(8) == 0 {
				text = ""
			}
			title := ""
			for range rng.IntN(3) {
				title += vocab[rng.IntN(len(vocab))] + " "
			}
			return article.Article{ID: fmt.Sprintf("a%03d", i), Title: title, Outlet: []string{"x", "y"}[rng.IntN(2)],
				Text: text, Body: []article.Span{{Start: 0, End: len(text)}}}
		}
		var arts []article.Article
		for i := range 300 {
			arts = append(arts, mkArt(i))
		}
		ix := newTestIndex(t, Config{MergeIdle: -1, MergeChunks: 1 << 20}, arts[:200])
		for i := 200; i < 300; i++ {
			if _, err := ix.Add(ctx, arts[i:i+1]); err != nil {
				t.Fatal(err)
			}
			if rng.IntN(4) == 0 {
				if _, err := ix.Remove(ctx, arts[rng.IntN(i)].ID); err != nil {
					t.Fatal(err)
				}
			}
			if rng.IntN(6) == 0 {
				u := mkArt(rng.IntN(i))
				if _, err := ix.Add(ctx, []article.Article{u}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for stage := range 2 {
			if stage == 1 {
				if err := ix.Close(); err != nil {
					t.Fatal(err)
				}
			}
			s := ix.current()
			for range 60 {
				var qw []string
				for range 1 + rng.IntN(6) {
					qw = append(qw, vocab[rng.IntN(len(vocab))])
				}
				text := strings.Join(qw, " ")
				tu := DefaultTuning()
				switch rng.IntN(4) {
				case 1:
					tu.ArticleWeight = -1
				case 2:
					tu.TitleWeight = 0.001
				case 3:
					tu.B, tu.K1 = 1, 0.1
				}
				var allowed []bool
				if rng.IntN(3) == 0 {
					allowed, _ = s.allowed(Filter{Outlets: []string{"x"}})
				}
				k := []int{1, 3, 10, 100, 5000}[rng.IntN(5)]
				q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, allowed, k)
				if len(q.terms) == 0 {
					continue
				}
				want := ix.exhaustive(s, q, 0, tu)
				matched += len(want)
				got := s.lex.search(&q)
				if rng.IntN(2) == 0 {
					r := s.lex.newRun(&q)
					r.chunkPiece, r.artPiece = msBlock*int32(1+rng.IntN(3)), int32(1+rng.IntN(20))
					r.start()
					for range 2 {
						go work(r, nil, false)
					}
					got = r.wait()
				}
				if !slices.Equal(got, want) {
					t.Errorf("seed %d, stage %d, %q, k=%d: got %s, want %s", seed, stage, text, k, itemsText(got), itemsText(want))
				}
			}
		}
	}
	if matched == 0 {
		t.Fatal("no question matched anything")
	}
}

// TestUnneededPanicLeavesNoStaleScratch: the twin of the first stage's
// piece holding the best chunk panics in the middle of a block of its
// walk (in the filter's allow), after its first run finished: the panic
// goes no further (settle), and the goroutine takes the search's other
// pieces. It must not take them with the walk's window as the panic left
// it (partial sums and term bits of the block set, which runSeg clears
// only as a block ends): those add stale contributions to its next
// pieces' scores. Here one goroutine runs the pieces in turn, the twin
// as a run started before its first run ended. Checked to fail without
// the fix (settle gives the goroutine a new scratch).
func TestUnneededPanicLeavesNoStaleScratch(t *testing.T) {
	arts, qs := multiHop(t)
	ix := newTestIndex(t, Config{}, arts[:300])
	s := ix.current()
	tu := DefaultTuning()
	allowed := make([]bool, s.lex.nArts)
	for a := range allowed {
		allowed[a] = true
	}
	panics := 0
	for _, text := range every(qs[:min(len(qs), 40)], 2*raceStride) {
		q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, allowed, 100)
		best := s.lex.chunkScores(&q, 1)
		if len(q.terms) == 0 || len(best) == 0 {
			continue
		}
		want := ix.exhaustive(s, q, 0, tu)
		r := s.lex.newRun(&q)
		r.chunkPiece, r.artPiece = 4*msBlock, 50
		// The first stage's piece holding the best chunk first, so that
		// its twin's walk reaches that chunk's block.
		bestArt := s.lex.chunkArt[best[0].ID]
		r.permute = func(ps []lexPiece) {
			for j, p := range ps {
				if p.step == stepArts && p.lo <= bestArt && bestArt < p.hi {
					ps[0], ps[j] = ps[j], ps[0]
					return
				}
			}
		}
		var armed, fired atomic.Bool
		allow := r.chunkAllow
		r.chunkAllow = func(d int32) bool {
			if armed.CompareAndSwap(true, false) {
				fired.Store(true)
				panic("a late twin's panic in its walk")
			}
			return allow(d)
		}
		r.start()
		if r.terms0 == nil || r.stages[0][0].step != stepArts {
			t.Fatal("the first stage's pieces are not the articles' with the first step")
		}
		var ws msScratch
		if !r.step(&ws, 0) { // piece 0's first run
			t.Fatal("no piece to take")
		}
		r.mu.Lock()
		r.pstate[0][0].runs++ // its twin, started before the first run ended
		r.mu.Unlock()
		armed.Store(true)
		r.runPiece(0, 0, r.stages[0][0], &ws, true)
		armed.Store(false)
		if fired.Load() {
			panics++
		}
		for !closed(r.done) {
			if !r.step(&ws, 0) {
				t.Fatal("a stage has pieces left that no goroutine runs")
			}
		}
		if got := r.wait(); !slices.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", text, itemsText(got), itemsText(want))
		}
	}
	if panics == 0 {
		t.Fatal("no twin panicked in its walk")
	}
}
