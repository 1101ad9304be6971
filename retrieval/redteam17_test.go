package retrieval

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
	tu := DefaultTuning()
	const k = 100
	text := arts[0].Title
	qv, err := ix.embedQuery(ctx, text)
	if err != nil {
		t.Fatal(err)
	}
	newSides := func() (*lexRun, *vecScan) {
		q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, nil, k)
		sc, err := s.vectorScan(qv, nil, k)
		if err != nil {
			t.Fatal(err)
		}
		if !sc.shared {
			t.Fatalf("%d slots: the scan is not shared", s.vecs.slots)
		}
		return s.lex.newRun(&q), sc
	}
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
