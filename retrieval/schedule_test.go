package retrieval

import (
	"context"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval/synthetic"
	"github.com/briefbot/briefbot/retrieval/topk"
	"github.com/briefbot/briefbot/retrieval/vecscan"
)

// TestSharedScanIgnoresSchedule checks that the hits of the shared vector
// scan do not depend on who scans which pieces: the caller alone, helpers
// that join at once or late (as the lexical side's core does), more
// goroutines than cores, or one core; nor on pieces that run twice
// (speculate), the twin finishing first or last, in any order. Without
// the 1-bit pass they must not depend on how the slots are cut either:
// they are the best k, by exact score, of the best r slots of the whole
// index by their codes.
func TestSharedScanIgnoresSchedule(t *testing.T) {
	ix, arts := synthIndex(t, 300)
	s := ix.current()
	v := &s.vecs
	n := v.slots
	ctx := context.Background()
	type schedule struct {
		name     string
		piece    int // 0: the scan's own
		helpers  int
		delay    time.Duration
		maxprocs int // 0: as it is
		// stall holds pieces: "first" holds a first run until its twin
		// has finished (one piece at a time, every third), "twin" holds
		// a first run until its twin starts (every fourth, one at a time)
		// and the twin until the first run has finished.
		stall string
	}
	schedules := []schedule{
		{name: "own pieces, caller only"},
		{name: "one piece", piece: n},
		{name: "small pieces, caller only", piece: 128},
		{name: "small pieces, one helper", piece: 128, helpers: 1},
		{name: "small pieces, late helper", piece: 128, helpers: 1, delay: time.Millisecond},
		{name: "small pieces, three helpers", piece: 97, helpers: 3},
		{name: "small pieces, one core", piece: 128, maxprocs: 1},
		{name: "small pieces, eight cores", piece: 128, maxprocs: 8},
		{name: "bit-sized pieces", piece: 1000, helpers: 1},
		{name: "bit-sized pieces, late helper", piece: 1000, helpers: 2, delay: time.Millisecond},
		{name: "first runs held until their twins finish", piece: 128, helpers: 1, stall: "first"},
		{name: "first runs held until their twins finish, three helpers", piece: 97, helpers: 3, stall: "first"},
		{name: "twins held until the first runs finish", piece: 128, helpers: 1, stall: "twin"},
		{name: "bit-sized pieces, first runs held", piece: 1000, helpers: 1, stall: "first"},
	}
	g := synthetic.New(11)
	for i := range 5 {
		qv, err := ix.embedQuery(ctx, g.Question(i, len(arts)))
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int{10, 116} {
			r := max(rescoreFactor*k, minRescore)
			if n <= 2*r {
				t.Fatalf("%d slots: too few for a shared scan of %d candidates", n, r)
			}
			// The reference: the best r slots by code over the whole index,
			// rescored exactly.
			codes := topk.NewBuffer[float32](r)
			v.scanCodes(vecscan.NewQuery(qv), 0, n, s.lex.chunkArt, nil, &codes)
			exact := topk.New[float32](k)
			for _, c := range codes.Items() {
				exact.Push(vecHit{ID: v.chunkOf(int(c.ID)), Score: vecscan.Dot(qv, v.vec(c.ID))})
			}
			want, wantCands := exact.Sorted(), slices.Clone(codes.Items())
			slices.SortFunc(wantCands, topk.Compare[float32])
			// With the 1-bit pass (one slot in two passed to the codes), the
			// pieces' bounds choose the candidates: the reference is the
			// caller alone with the same pieces.
			bitWant := map[int][]vecHit{}
			for _, sd := range schedules {
				if _, ok := bitWant[sd.piece]; !ok {
					sc := v.newScan(qv, k, s.lex.chunkArt, nil, nil, 2)
					if sd.piece > 0 {
						sc.cut(sd.piece)
					}
					sc.help()
					bitWant[sd.piece] = sc.run(sc.workers())
				}
			}
			for _, fraction := range []int{0, 2} {
				for _, sd := range schedules {
					procs := runtime.GOMAXPROCS(sd.maxprocs) // 0 only asks
					sc := v.newScan(qv, k, s.lex.chunkArt, nil, nil, fraction)
					if !sc.shared {
						t.Fatalf("%d slots, k %d: the scan is not shared", n, k)
					}
					if sd.piece > 0 {
						sc.cut(sd.piece)
					}
					twins := stallScan(sc, sd.stall)
					var wg sync.WaitGroup
					for range sd.helpers {
						wg.Go(func() {
							time.Sleep(sd.delay)
							sc.help()
						})
					}
					t0 := time.Now()
					got := sc.run(sd.helpers)
					took := time.Since(t0)
					wg.Wait()
					runtime.GOMAXPROCS(procs)
					if sd.stall != "" && twins.Load() == 0 {
						t.Errorf("question %d, k %d, fraction %d, %s: no piece ran twice", i, k, fraction, sd.name)
					}
					if took > stallWait/2 {
						t.Errorf("question %d, k %d, fraction %d, %s: the scan took %v: it waited for a held piece", i, k, fraction, sd.name, took)
					}
					w := want
					if fraction > 0 {
						w = bitWant[sd.piece]
					}
					if !slices.Equal(got, w) {
						t.Errorf("question %d, k %d, fraction %d, %s: got %v, want %v", i, k, fraction, sd.name, got, w)
					}
					if cands := bestItems(sc); fraction == 0 && !slices.Equal(cands, wantCands) {
						t.Errorf("question %d, k %d, %s: got %d candidates %v, want the %d best by code %v", i, k, sd.name, len(cands), cands, len(wantCands), wantCands)
					}
				}
			}
		}
	}
}

// bestItems returns the candidates of the scan's best, best first.
func bestItems(sc *vecScan) []vecHit {
	out := make([]vecHit, len(sc.best))
	for i, c := range sc.best {
		out[i] = topk.FromKey(c)
	}
	return out
}

// stallWait is the longest a test holds a piece; a scan that takes half
// as long waited for one.
const stallWait = 10 * time.Second

// stallScan makes sc hold pieces, and parts of its rescoring, as stall
// says (see TestSharedScanIgnoresSchedule; "" for none) and returns the
// count of second runs started.
func stallScan(sc *vecScan, stall string) *atomic.Int32 {
	var twins atomic.Int32
	sc.hold = stallHold(sc, stall, &twins, func() []pieceState { return sc.state })
	sc.holdPart = stallHold(sc, stall, &twins, func() []pieceState { return sc.rstate })
	return &twins
}

// stallHold returns a hold for the pieces or parts of sc whose states
// states returns (under sc.mu), as stallScan's, counting second runs in
// twins.
func stallHold(sc *vecScan, stall string, twins *atomic.Int32, states func() []pieceState) func(p int, again bool) {
	var holding atomic.Bool
	pieceDone := func(p int) bool {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		return states()[p].done || sc.over
	}
	twinStarted := func(p int) bool {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		return states()[p].runs == 2 || sc.over
	}
	until := func(cond func() bool) {
		for deadline := time.Now().Add(stallWait); !cond() && time.Now().Before(deadline); {
			time.Sleep(50 * time.Microsecond)
		}
	}
	switch stall {
	case "first":
		return func(p int, again bool) {
			if again {
				twins.Add(1)
			} else if p%3 == 0 && holding.CompareAndSwap(false, true) {
				until(func() bool { return pieceDone(p) })
				holding.Store(false)
			}
		}
	case "twin":
		return func(p int, again bool) {
			if again {
				twins.Add(1)
				until(func() bool { return pieceDone(p) })
			} else if p%4 == 1 && holding.CompareAndSwap(false, true) {
				until(func() bool { return twinStarted(p) })
				holding.Store(false)
			}
		}
	}
	return nil
}

// TestSpawnedHelperPanicReachesCaller checks that a panic in a goroutine
// the shared scan starts (here from chunk data that does not match the
// slots) does not end the process but reaches the caller of run, where
// the caller's recover sees it, as it would had the caller scanned the
// piece itself.
func TestSpawnedHelperPanicReachesCaller(t *testing.T) {
	ix, _ := synthIndex(t, 300)
	s := ix.current()
	v := &s.vecs
	qv := v.vec(0)
	allowed := make([]bool, len(s.arts))
	for i := range allowed {
		allowed[i] = true
	}
	// No chunk-to-article map beside a filter: every piece panics.
	sc := v.newScan(qv, 10, nil, allowed, nil, 0)
	if !sc.shared {
		t.Fatalf("%d slots: the scan is not shared", v.slots)
	}
	sc.cut(64)
	sc.spawn()
	for deadline := time.Now().Add(10 * time.Second); sc.failed.Load() == nil; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the spawned helper's panic was not kept")
		}
	}
	var got any
	func() {
		defer func() { got = recover() }()
		sc.run(1)
	}()
	if got == nil {
		t.Fatal("run returned; want the panic of the broken pieces")
	}
}

// lexSchedule is one way of running a lexical search's pieces.
type lexSchedule struct {
	name                 string
	chunkPiece, artPiece int32 // 0: the search's own
	helpers              int   // goroutines the test starts beside run's
	delay                time.Duration
	maxprocs             int // 0: as it is
	order                string
}

// lexSchedules are the schedules TestLexRunIgnoresSchedule runs.
var lexSchedules = []lexSchedule{
	{name: "own pieces"},
	{name: "one block a piece, caller only", chunkPiece: msBlock, artPiece: 1, maxprocs: 1},
	{name: "small pieces, one helper", chunkPiece: 3 * msBlock, artPiece: 7, helpers: 1},
	{name: "small pieces, late helper", chunkPiece: 3 * msBlock, artPiece: 7, helpers: 1, delay: time.Millisecond},
	{name: "small pieces, reversed", chunkPiece: 5 * msBlock, artPiece: 13, helpers: 1, order: "reverse"},
	{name: "small pieces, shuffled, seven helpers", chunkPiece: 2 * msBlock, artPiece: 5, helpers: 7, order: "shuffle"},
	{name: "small pieces, eight cores", chunkPiece: 4 * msBlock, artPiece: 9, maxprocs: 8},
	{name: "uneven pieces, two late helpers", chunkPiece: 37 * msBlock, artPiece: 333, helpers: 2, delay: 200 * time.Microsecond, order: "shuffle"},
}

// TestLexRunIgnoresSchedule checks that the lexical search cut into
// pieces returns exactly the exhaustive scorer's results (and so the
// one-piece run's), whatever the pieces' sizes, the order in which they
// are taken and who takes them: the caller alone, helpers that join at
// once or late, more goroutines than cores, one core or eight. The index
// has several segments and dead articles; the cases include filters.
func TestLexRunIgnoresSchedule(t *testing.T) {
	ctx := context.Background()
	arts, qs := multiHop(t)
	qs = every(qs[:min(len(qs), 96)], 4*raceStride)
	ix := newTestIndex(t, Config{MergeIdle: -1}, arts[:400])
	for i := 400; i < 440; i++ {
		if _, err := ix.Add(ctx, []article.Article{arts[i]}); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			if _, err := ix.Remove(ctx, arts[i-5].ID, arts[i-300].ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	s := ix.current()
	if len(s.lex.segs) < 2 || s.lex.nDead == 0 {
		t.Fatalf("got %d segments and %d dead articles, want several and some", len(s.lex.segs), s.lex.nDead)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	matched := eachLexQuery(ix, s, lexCases([]string{arts[0].Outlet, arts[1].Outlet}), qs, func(c lexCase, text string, q lexQuery, want []topk.Item[float64]) {
		one := s.lex.newRun(&q)
		one.chunkPiece, one.artPiece = int32(s.lex.nChunks+msBlock)/msBlock*msBlock, int32(s.lex.nArts)
		if got := one.run(0); !slices.Equal(got, want) {
			t.Errorf("%s, %q, one piece: got %s, want %s", c.name, text, itemsText(got), itemsText(want))
		}
		for _, sd := range lexSchedules {
			procs := runtime.GOMAXPROCS(sd.maxprocs) // 0 only asks
			r := s.lex.newRun(&q)
			if sd.chunkPiece > 0 {
				r.chunkPiece, r.artPiece = sd.chunkPiece, sd.artPiece
			}
			switch sd.order {
			case "reverse":
				r.permute = slices.Reverse[[]lexPiece]
			case "shuffle":
				seed := rng.Uint64()
				r.permute = func(ps []lexPiece) {
					pr := rand.New(rand.NewPCG(seed, 0))
					pr.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
				}
			}
			var wg sync.WaitGroup
			started := make(chan struct{})
			for range sd.helpers {
				wg.Go(func() {
					<-started
					time.Sleep(sd.delay)
					r.help()
				})
			}
			r.start()
			close(started)
			for range r.workers() - 1 - sd.helpers {
				go work(r, nil, false)
			}
			work(r, nil, false)
			got := r.wait()
			wg.Wait()
			runtime.GOMAXPROCS(procs)
			if !slices.Equal(got, want) {
				t.Errorf("%s, %q, %s: got %s, want %s", c.name, text, sd.name, itemsText(got), itemsText(want))
			}
		}
	})
	if matched == 0 {
		t.Fatal("no question matched anything")
	}
}

// eachLexQuery calls f with every lexical query of the cases (but those
// with an expansion, which runs before the search: nothing of the
// search's own) over the questions qs that has terms, and the exhaustive
// scorer's result, and returns how many chunks those results hold.
func eachLexQuery(ix *Index, s *snapshot, cases []lexCase, qs []string, f func(c lexCase, text string, q lexQuery, want []topk.Item[float64])) int {
	matched := 0
	for _, c := range cases {
		if c.prf > 0 {
			continue
		}
		allowed, _ := s.allowed(c.filter)
		tu := DefaultTuning()
		tu.ArticleWeight, tu.TitleWeight = c.artW, c.titleW
		for _, text := range qs {
			q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, allowed, c.k)
			if len(q.terms) == 0 {
				continue
			}
			want := ix.exhaustive(s, q, 0, tu)
			matched += len(want)
			f(c, text, q, want)
		}
	}
	return matched
}

// TestLexPanicReachesCaller checks that a panic in a piece of the
// lexical search (here a piece past the last article) ends the search
// and reaches the caller of wait, whether a helper goroutine ran the
// piece or the caller itself, instead of ending the process or leaving
// the caller waiting.
func TestLexPanicReachesCaller(t *testing.T) {
	arts, qs := multiHop(t)
	ix := newTestIndex(t, Config{}, arts[:200])
	s := ix.current()
	tu := DefaultTuning()
	q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(qs[0], nil), tu), tu, nil, 10)
	broken := func(ps []lexPiece) {
		for i := range ps {
			if ps[i].step == stepArts {
				ps[i].hi += 1000
			}
		}
	}
	for _, helper := range []bool{true, false} {
		r := s.lex.newRun(&q)
		r.permute = broken
		r.start()
		if helper {
			go work(r, nil, false)
			for deadline := time.Now().Add(10 * time.Second); r.failed.Load() == nil; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the helper's panic was not kept")
				}
			}
		} else {
			work(r, nil, false)
		}
		var got any
		func() {
			defer func() { got = recover() }()
			r.wait()
		}()
		if got == nil {
			t.Errorf("helper %v: wait returned; want the panic of the broken piece", helper)
		}
	}
}

// TestHybridPoolIgnoresSchedule checks that the query's one pool of
// lexical and vector pieces returns what each side returns alone, with
// one piece and the caller alone, for one core, two or eight, any piece
// sizes, both schedules (lexical pieces first, or the two sides started
// together) and vector pieces held until their twins finish or twins
// held until the first runs finish; and that a panic in a piece of
// either side, or in a second run, reaches the caller.
func TestHybridPoolIgnoresSchedule(t *testing.T) {
	ix, arts := synthIndex(t, 300)
	s := ix.current()
	ctx := context.Background()
	const k = 100
	newSides := func(text string, qv []float32) (*lexRun, *vecScan) { return hybridSides(t, ix, s, text, qv, k) }
	for i := range 6 {
		text := arts[i*41].Title
		qv, err := ix.embedQuery(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		lr, sc := newSides(text, qv)
		lr.chunkPiece, lr.artPiece = int32(s.lex.nChunks+msBlock)/msBlock*msBlock, int32(s.lex.nArts)
		sc.cut(s.vecs.slots)
		wantLex, wantVec := lr.run(0), sc.run(0)
		wantCands := bestItems(sc)
		if len(wantLex) == 0 || len(wantVec) == 0 {
			t.Fatalf("%q: %d lexical and %d vector hits, want some of each", text, len(wantLex), len(wantVec))
		}
		for _, sd := range []struct {
			name            string
			chunkPiece      int32 // 0: the search's own
			artPiece, piece int
			maxprocs        int
			stall           string // as in TestSharedScanIgnoresSchedule
		}{
			{name: "own pieces"},
			{name: "small pieces, one core", chunkPiece: 2 * msBlock, artPiece: 5, piece: 100, maxprocs: 1},
			{name: "small pieces, two cores", chunkPiece: 3 * msBlock, artPiece: 7, piece: 128, maxprocs: 2},
			{name: "small pieces, eight cores", chunkPiece: msBlock, artPiece: 3, piece: 64, maxprocs: 8},
			{name: "small pieces, two cores, first runs held", chunkPiece: 3 * msBlock, artPiece: 7, piece: 128, maxprocs: 2, stall: "first"},
			{name: "small pieces, two cores, twins held", chunkPiece: 3 * msBlock, artPiece: 7, piece: 128, maxprocs: 2, stall: "twin"},
		} {
			for _, overlap := range []bool{false, true} {
				procs := runtime.GOMAXPROCS(sd.maxprocs)
				lr, sc := newSides(text, qv)
				if sd.chunkPiece > 0 {
					lr.chunkPiece, lr.artPiece = sd.chunkPiece, int32(sd.artPiece)
					sc.cut(sd.piece)
				}
				twins := stallScan(sc, sd.stall)
				t0 := time.Now()
				gotLex, gotVec := hybrid(lr, sc, overlap)
				took := time.Since(t0)
				runtime.GOMAXPROCS(procs)
				if !slices.Equal(gotLex, wantLex) {
					t.Errorf("%q, %s, overlap %v: got lexical %s, want %s", text, sd.name, overlap, itemsText(gotLex), itemsText(wantLex))
				}
				if !slices.Equal(gotVec, wantVec) {
					t.Errorf("%q, %s, overlap %v: got vector %v, want %v", text, sd.name, overlap, gotVec[:min(5, len(gotVec))], wantVec[:min(5, len(wantVec))])
				}
				// Without the 1-bit pass the candidates are the best r of
				// all the slots by code, however the slots are cut.
				if cands := bestItems(sc); sc.fraction == 0 && !slices.Equal(cands, wantCands) {
					t.Errorf("%q, %s, overlap %v: got %d candidates, want the %d best by code", text, sd.name, overlap, len(cands), len(wantCands))
				}
				if sd.stall != "" && twins.Load() == 0 {
					t.Errorf("%q, %s, overlap %v: no vector piece ran twice", text, sd.name, overlap)
				}
				if took > stallWait/2 {
					t.Errorf("%q, %s, overlap %v: the query took %v: it waited for a held piece", text, sd.name, overlap, took)
				}
			}
		}
	}
	qv, err := ix.embedQuery(ctx, arts[0].Title)
	if err != nil {
		t.Fatal(err)
	}
	procs := runtime.GOMAXPROCS(2) // a twin needs a second goroutine
	defer runtime.GOMAXPROCS(procs)
	for _, side := range []string{"lexical", "vector", "vector twin"} {
		lr, sc := newSides(arts[0].Title, qv)
		lr.chunkPiece, lr.artPiece = msBlock, 3
		sc.cut(64)
		switch side {
		case "lexical":
			lr.permute = func(ps []lexPiece) { ps[len(ps)-1].hi += 1 << 20 }
		case "vector":
			sc.chunkArt, sc.allowed = nil, make([]bool, len(s.arts)) // no chunk-to-article map beside a filter
		case "vector twin":
			// The first run of piece 2 waits until its twin has panicked.
			sc.hold = func(p int, again bool) {
				if again {
					panic("a broken second run")
				}
				for deadline := time.Now().Add(stallWait); p == 2 && sc.failed.Load() == nil && time.Now().Before(deadline); {
					time.Sleep(50 * time.Microsecond)
				}
			}
		}
		var got any
		func() {
			defer func() { got = recover() }()
			hybrid(lr, sc, false)
		}()
		if got == nil {
			t.Errorf("broken %s pieces: hybrid returned; want their panic", side)
		}
	}
}

// hybridSides returns the two sides of the hybrid query text (its
// vector qv) for the k best on s: the lexical search and the shared
// vector scan.
func hybridSides(t *testing.T, ix *Index, s *snapshot, text string, qv []float32, k int) (*lexRun, *vecScan) {
	t.Helper()
	tu := DefaultTuning()
	q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, nil, k)
	if len(q.terms) == 0 {
		t.Fatalf("%q: no known query term", text)
	}
	sc, err := s.vectorScan(qv, nil, k)
	if err != nil {
		t.Fatal(err)
	}
	if !sc.shared {
		t.Fatalf("%d slots: the scan is not shared", s.vecs.slots)
	}
	return s.lex.newRun(&q), sc
}

// stallIndex returns the index of the stalled-piece tests (300 articles)
// with its snapshot, the questions and the tuning, on two cores until
// the test ends.
func stallIndex(t *testing.T) (*Index, *snapshot, []string, Tuning) {
	arts, qs := multiHop(t)
	ix := newTestIndex(t, Config{}, arts[:300])
	procs := runtime.GOMAXPROCS(2)
	t.Cleanup(func() { runtime.GOMAXPROCS(procs) })
	return ix, ix.current(), qs, DefaultTuning()
}

// TestLexRunOutrunsStalledPiece checks that a goroutine that stalls
// while it holds a piece (here the first piece taken in each stage, until
// the stage is over) does not hold up the search: another goroutine runs
// the piece again, and the result is still exactly the exhaustive
// scorer's.
func TestLexRunOutrunsStalledPiece(t *testing.T) {
	ix, s, qs, tu := stallIndex(t)
	const stall = 10 * time.Second
	for _, text := range every(qs[:min(len(qs), 40)], 4*raceStride) {
		q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, nil, 100)
		if len(q.terms) == 0 {
			continue
		}
		want := ix.exhaustive(s, q, 0, tu)
		r := s.lex.newRun(&q)
		r.chunkPiece, r.artPiece = 4*msBlock, 50
		var held [2]atomic.Bool
		r.hold = func(st int, again bool) {
			if !again && held[st].CompareAndSwap(false, true) {
				select {
				case <-r.waitChan(): // the stage is over
				case <-time.After(stall):
				}
			}
		}
		t0 := time.Now()
		got := r.run(0)
		if d := time.Since(t0); d >= stall/2 {
			t.Errorf("%q: the search took %v: it waited for the stalled piece", text, d)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", text, itemsText(got), itemsText(want))
		}
		if !held[0].Load() || len(want) > 0 && !held[1].Load() {
			t.Errorf("%q: held stage 0 %v, stage 1 %v: want both held", text, held[0].Load(), held[1].Load())
		}
	}
}

// TestVecPieceRunsTwice checks, step by step, that a vector piece, or a
// part of the scan's rescoring, run twice while the scan goes on adds its
// candidates (or hits) once, whichever run finishes first: the hits and
// the candidates are those of the scan run once.
func TestVecPieceRunsTwice(t *testing.T) {
	ix, arts := synthIndex(t, 300)
	s := ix.current()
	v := &s.vecs
	qv, err := ix.embedQuery(context.Background(), arts[7].Title)
	if err != nil {
		t.Fatal(err)
	}
	const k, piece = 10, 96
	ref := v.newScan(qv, k, s.lex.chunkArt, nil, nil, 0)
	ref.cut(piece)
	want := ref.run(0)
	wantCands := bestItems(ref)
	// until polls cond, for at most stallWait.
	until := func(cond func() bool) {
		for deadline := time.Now().Add(stallWait); !cond(); time.Sleep(50 * time.Microsecond) {
			if time.Now().After(deadline) {
				t.Fatal("gave up waiting")
			}
		}
	}
	for _, part := range []bool{false, true} {
		for _, twinFirst := range []bool{true, false} {
			sc := v.newScan(qv, k, s.lex.chunkArt, nil, nil, 0)
			sc.cut(piece)
			if sc.pieces < 4 {
				t.Fatalf("%d pieces: want at least 4", sc.pieces)
			}
			w := sc.worker(1)
			// states returns the states of the pieces, or of the parts,
			// and how many are done.
			states, hold := func() ([]pieceState, int64) { return sc.state, sc.merged }, &sc.hold
			if part {
				for !closed(sc.rescoring) {
					w.step() // every piece, then the rescoring starts
				}
				if sc.parts < 3 {
					t.Fatalf("%d parts of the rescoring: want at least 3", sc.parts)
				}
				states, hold = func() ([]pieceState, int64) { return sc.rstate, sc.rmerged }, &sc.holdPart
			}
			state := func(p int) pieceState {
				sc.mu.Lock()
				defer sc.mu.Unlock()
				ps, _ := states()
				return ps[p]
			}
			release := make(chan struct{})
			*hold = func(p int, again bool) {
				switch {
				case p == 0 && !again:
					<-release
				case p == 0 && !twinFirst:
					until(func() bool { return state(0).done })
				}
			}
			var wg sync.WaitGroup
			wg.Go(func() { sc.worker(0).step() }) // takes piece (part) 0 and holds it
			until(func() bool { return state(0).runs == 1 })
			w.step() // piece (part) 1
			twin := func() {
				until(func() bool {
					ran, _ := sc.worker(2).speculate()
					return ran
				})
			}
			if twinFirst {
				twin()
				if !state(0).done {
					t.Fatal("the twin of piece 0 finished, the piece is not done")
				}
				close(release)
				wg.Wait()
			} else {
				wg.Go(twin)
				until(func() bool { return state(0).runs == 2 })
				close(release)
				wg.Wait()
			}
			sc.mu.Lock()
			_, merged := states()
			sc.mu.Unlock()
			if merged != 2 {
				t.Errorf("part %v, twin first %v: got %d done after 0 and 1, want 2", part, twinFirst, merged)
			}
			for w.step() {
			}
			got := sc.finish()
			if !slices.Equal(got, want) {
				t.Errorf("part %v, twin first %v: got %v, want %v", part, twinFirst, got, want)
			}
			if cands := bestItems(sc); !slices.Equal(cands, wantCands) {
				i := 0
				for i < min(len(cands), len(wantCands)) && cands[i] == wantCands[i] {
					i++
				}
				t.Errorf("part %v, twin first %v: got %d candidates, want %d; they differ first at %d", part, twinFirst, len(cands), len(wantCands), i)
			}
		}
	}
}

// TestLexRunPoolsArraysAfterItsLastRun checks that a lexical search's
// pooled arrays (lexArrays) go back to the index's pool only when the
// last run of its pieces has ended, not when the search returns: the
// first run of a first-stage piece, stalled until after the search
// returned (another goroutine ran the piece again), still writes them.
// The next search, which lets the stalled run go on and end between its
// stages, must still find the exhaustive scorer's result: in arrays the
// stalled run wrote, it would read another question's article scores.
func TestLexRunPoolsArraysAfterItsLastRun(t *testing.T) {
	ix, s, qs, tu := stallIndex(t)
	search := func(text string) (*lexRun, []topk.Item[float64]) {
		q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), tu), tu, nil, 100)
		r := s.lex.newRun(&q)
		r.chunkPiece, r.artPiece = 4*msBlock, 50
		return r, ix.exhaustive(s, q, 0, tu)
	}
	// ended reports whether every run of r's pieces has ended and its
	// arrays went back to the pool.
	ended := func(r *lexRun) bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.arr == nil && r.live == 0
	}
	texts := every(qs[:min(len(qs), 41)], 4*raceStride)
	for k, text := range texts[:len(texts)-1] {
		r, want := search(text)
		if len(r.q.terms) == 0 || r.q.artW == 0 {
			continue
		}
		release := make(chan struct{})
		var held atomic.Bool
		stalled := make(chan struct{})
		r.hold = func(st int, again bool) {
			if st == 0 && !again && held.CompareAndSwap(false, true) {
				close(stalled)
				select {
				case <-release:
				case <-time.After(stallWait):
				}
			}
		}
		if got := r.run(0); !slices.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", text, itemsText(got), itemsText(want))
		}
		<-stalled
		if ended(r) {
			t.Fatalf("%q: the arrays went back to the pool while a stalled run goes on", text)
		}
		next := texts[k+1]
		r2, want2 := search(next)
		if len(r2.q.terms) == 0 {
			close(release)
			continue
		}
		var once atomic.Bool
		r2.hold = func(st int, again bool) {
			if st != 1 || !once.CompareAndSwap(false, true) {
				return
			}
			close(release)
			for deadline := time.Now().Add(stallWait); !ended(r); time.Sleep(100 * time.Microsecond) {
				if time.Now().After(deadline) {
					t.Errorf("%q: the arrays did not go back to the pool after the last run ended", text)
					return
				}
			}
		}
		if got := r2.run(0); !slices.Equal(got, want2) {
			t.Errorf("%q after a stalled run of %q: got %s, want %s", next, text, itemsText(got), itemsText(want2))
		}
		if !once.Load() {
			close(release)
		}
	}
}
