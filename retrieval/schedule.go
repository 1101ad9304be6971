package retrieval

import (
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/briefbot/briefbot/retrieval/topk"
	"github.com/briefbot/briefbot/retrieval/vecscan"
)

// scanPiece is how many slots one piece of a shared vector scan holds:
// small enough that the cores finish within a piece of each other (about
// 0.3 ms of the 512-d int8 kernel, less of the 4-bit one), large enough
// that taking one costs nothing.
const scanPiece = 8192

// vecScan is one query's vector scan, shared among goroutines: the slots
// are cut into pieces of fixed bounds, and each goroutine that works on
// the scan takes the next piece until none is left, then runs again a
// piece another goroutine has held late (speculate), as its core may have
// stalled. So a core that finishes other work of the query (the lexical
// side) joins the scan instead of waiting for a core, and a stalled core
// holds the scan up by about a piece. The scan's result does not depend
// on how many goroutines took which pieces, or how many times: each run
// of a piece keeps the best candidates of the piece by their codes apart,
// and the first run of it to finish adds them to the scan's; the
// candidates of all are cut to the best r (ties by slot), and those are
// rescored exactly, in parts that the goroutines take as they do the
// pieces, and run again as soon as they have nothing else to take: the
// rescoring, a tenth of the scan, no longer waits for the caller's core
// alone (and, in a hybrid query, for the lexical side's end).
type vecScan struct {
	v        *vecView
	q        []float32
	k, r     int
	chunkArt []int32
	allowed  []bool
	// exact holds the slots to score exactly when the scan does not use
	// the codes (a selective filter; nil for all the slots of a small
	// index); shared tells that the codes are scanned in pieces.
	exact  []int32
	shared bool

	qq       vecscan.Query
	qb       vecscan.BitQuery
	fraction int
	piece    int
	pieces   int64
	// hold and holdPart, when set, are called as a piece or a part of
	// the rescoring starts (again: a second run): for tests. probe, when
	// set, records their runs.
	hold, holdPart func(i int, again bool)
	probe          *Probe

	next   atomic.Int64        // the next piece to take
	failed atomic.Pointer[any] // the first panic of a goroutine working on the scan
	// thr is the float32 bits of best's threshold (threshold), for the
	// pieces to drop the candidates below it without the mutex.
	thr atomic.Uint32
	mu  sync.Mutex
	// best holds the keys (topk.Key) of the best r candidates of the
	// pieces finished, best first (ties by slot); spare is the room the
	// next merge writes.
	best, spare []uint64
	state       []pieceState // of each piece taken
	merged      int64        // pieces finished
	// doneTime is the time the finished pieces took, from their first
	// run's start; over tells that done is closed.
	doneTime time.Duration
	over     bool
	done     chan struct{} // closed when the rescoring is done, or on a panic

	// The exact rescoring: once every piece is merged, cands holds the
	// slots of best, cut into parts of rescorePart taken in turn (rnext)
	// and run again by a goroutine with nothing else to take (speculate);
	// rhits holds each part's best k, by its first run to finish.
	// rescoring is closed when the parts are set.
	rescoring chan struct{}
	cands     []int32
	parts     int64
	rnext     atomic.Int64
	rstate    []pieceState
	rhits     [][]vecHit
	rmerged   int64
}

// rescorePart is how many candidates a part of a scan's exact rescoring
// holds: about 20 µs of 512-d vectors, so that the cores finish within a
// part of each other.
const rescorePart = 64

// newScan prepares the scan for the k chunks most similar to the unit
// vector q (see scan), with a 1-bit pass passing one in fraction slots
// to the 4-bit codes, or none for a fraction of 0.
func (v *vecView) newScan(q []float32, k int, chunkArt []int32, allowed []bool, slots []int32, fraction int) *vecScan {
	sc := &vecScan{v: v, q: q, k: k, chunkArt: chunkArt, allowed: allowed, exact: slots}
	n := v.slots
	sc.r = max(rescoreFactor*k, minRescore)
	if k <= 0 || slots != nil || n <= sc.r {
		return sc
	}
	sc.shared = true
	sc.qq = vecscan.NewQuery(q)
	sc.fraction = fraction
	piece := scanPiece
	if fraction > 0 {
		sc.qb = vecscan.NewBitQuery(q)
		// A piece passes more than r slots to the 4-bit codes, or its
		// 1-bit pass would be skipped.
		piece = max(piece, (sc.r+1)*fraction)
	}
	sc.cut(piece)
	sc.best = make([]uint64, 0, sc.r)
	sc.spare = make([]uint64, 0, sc.r)
	sc.thr.Store(math.Float32bits(float32(math.Inf(-1))))
	sc.done = make(chan struct{})
	sc.rescoring = make(chan struct{})
	return sc
}

// cut sets the scan's pieces to hold piece slots each.
func (sc *vecScan) cut(piece int) {
	sc.piece = piece
	sc.pieces = int64((sc.v.slots + piece - 1) / piece)
	sc.state = make([]pieceState, sc.pieces)
}

// workers returns how many goroutines the scan is worth: one per core, at
// most one per minScanPerWorker slots.
func (sc *vecScan) workers() int {
	if !sc.shared {
		return 1
	}
	return max(1, min(runtime.GOMAXPROCS(0), sc.v.slots/minScanPerWorker, int(sc.pieces)))
}

// run scans and returns the hits, best first (ties by chunk number). The
// caller works on the scan; helpers is how many other goroutines will
// call help, and run starts as many more as make one per worker.
func (sc *vecScan) run(helpers int) []vecHit {
	if sc.k <= 0 {
		return nil
	}
	if !sc.shared {
		t := topk.New[float32](sc.k)
		if sc.exact != nil {
			sc.v.scanList(sc.q, sc.exact, &t)
		} else {
			sc.v.scanRange(sc.q, 0, sc.v.slots, sc.chunkArt, sc.allowed, &t)
		}
		return t.Sorted()
	}
	for range sc.workers() - 1 - helpers {
		sc.spawn()
	}
	sc.help()
	return sc.finish()
}

// finish waits until the candidates of every piece are merged and
// rescored exactly, and returns the best k.
func (sc *vecScan) finish() []vecHit {
	<-sc.done
	if p := sc.failed.Load(); p != nil {
		panic(*p) // to the caller's recover, as if it had scanned the piece
	}
	t := topk.New[float32](sc.k)
	for _, hits := range sc.rhits {
		for _, h := range hits {
			t.Push(h)
		}
	}
	return t.Sorted()
}

// spawn starts a goroutine that helps with the scan. A panic there (a
// bug) would end the process, since nothing above the goroutine can
// recover it: it is kept for finish to raise in the caller's goroutine.
func (sc *vecScan) spawn() {
	go func() {
		defer func() { recover() }() // kept by help
		sc.help()
	}()
}

// help works on the scan until it is done: it takes pieces until none is
// left, then runs late ones again, and so the rescoring's parts. It does
// nothing for a scan that is not shared, or nil. A panic in a piece ends
// the scan (abort), so that no goroutine waits for the piece, and goes on
// up.
func (sc *vecScan) help() {
	if sc == nil || !sc.shared {
		return
	}
	w := sc.worker(sc.probe.worker())
	defer func() {
		if p := recover(); p != nil {
			sc.abort(p)
			panic(p)
		}
	}()
	for {
		if w.step() {
			continue
		}
		ran, wait := w.speculate()
		if ran {
			continue
		}
		rescoring, ok := sc.rescoringChan()
		if !ok {
			continue // the rescoring started since step
		}
		var late <-chan time.Time
		if wait > 0 {
			late = time.After(wait)
		}
		select {
		case <-sc.done:
			return
		case <-rescoring:
		case <-late:
		}
	}
}

// rescoringChan returns the channel to wait on for the rescoring to
// start, nil once it has, or false when it has started and has parts
// left to take.
func (sc *vecScan) rescoringChan() (<-chan struct{}, bool) {
	if !closed(sc.rescoring) {
		return sc.rescoring, true
	}
	return nil, sc.rnext.Load() >= sc.parts
}

// abort ends the scan after the panic p of a goroutine working on it,
// kept for finish to raise, unless the scan was over (a run's panic then
// goes no further than its settle).
func (sc *vecScan) abort(p any) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if !sc.over {
		sc.failed.CompareAndSwap(nil, &p)
		sc.over = true
		close(sc.done)
	}
}

// vecWorker is one goroutine's share of a shared scan: the candidates of
// the piece it runs.
type vecWorker struct {
	sc *vecScan
	id int // for the probe
	t  topk.Buffer[float32]
	// keys holds the keys of the candidates of the piece run last.
	keys []uint64
}

// worker returns a new worker on the shared scan.
func (sc *vecScan) worker(id int) *vecWorker {
	return &vecWorker{sc: sc, id: id, t: topk.NewBuffer[float32](sc.r), keys: make([]uint64, 0, sc.r)}
}

// step takes and scans a piece, or once they are all merged rescores a
// part, if one is left.
func (w *vecWorker) step() bool {
	sc := w.sc
	if p, ok := sc.take(&sc.next, sc.pieces, sc.state); ok {
		w.scan(p, false)
		return true
	}
	if !closed(sc.rescoring) {
		return false
	}
	if i, ok := sc.take(&sc.rnext, sc.parts, sc.rstate); ok {
		w.rescore(i, false)
		return true
	}
	return false
}

// take takes the next of n tasks (pieces, or parts of the rescoring)
// that next counts, if one is left, and starts its first run in state.
// The two at once, under the mutex: a task taken but not yet started
// would be one speculate neither runs again nor waits for, and a
// goroutine stalled between the two would hold the scan up for good.
func (sc *vecScan) take(next *atomic.Int64, n int64, state []pieceState) (int, bool) {
	if next.Load() >= n {
		return 0, false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	i := next.Add(1) - 1
	if i >= n {
		return 0, false
	}
	state[i].runs, state[i].start = 1, time.Now()
	return int(i), true
}

// speculate runs again a piece of the scan that another goroutine has
// held late (lateAfter the finished pieces' mean time), as lexRun's does,
// or a part of the rescoring another goroutine holds. It returns false
// when none is, with how long until the next piece held would be late
// (0: none is held that could run again).
func (w *vecWorker) speculate() (bool, time.Duration) {
	sc := w.sc
	sc.mu.Lock()
	if sc.over {
		sc.mu.Unlock()
		return false, 0
	}
	if sc.rstate != nil {
		// A part of the rescoring runs again as soon as a goroutine has
		// nothing else to take: a part is short (about 20 us at 512-d),
		// and the query's last step waits for the last part, so a run
		// again costs less than waiting to know whether its core stalled.
		for i := range sc.rstate[:min(sc.rnext.Load(), sc.parts)] {
			if ps := &sc.rstate[i]; ps.runs == 1 && !ps.done {
				ps.runs++
				sc.mu.Unlock()
				w.rescore(i, true)
				return true, 0
			}
		}
		sc.mu.Unlock()
		return false, 0
	}
	i, wait := lateOne(sc.state[:min(sc.next.Load(), sc.pieces)], sc.doneTime, int(sc.merged))
	sc.mu.Unlock()
	if i < 0 {
		return false, wait
	}
	w.scan(i, true)
	return true, 0
}

// scan runs piece p into the worker's buffer, which admits no candidate
// below the scan's threshold (the scan's best r so far rank at or above
// it, so no such candidate could be among the best r of all), and
// records the candidates still above it as the piece ends, sorted here,
// outside the scan's mutex.
func (w *vecWorker) scan(p int, again bool) {
	sc := w.sc
	defer sc.settle(&sc.state[p])
	t0 := sc.probe.now()
	if sc.hold != nil {
		sc.hold(p, again)
	}
	n := sc.v.slots
	lo := p * sc.piece
	hi := min(lo+sc.piece, n)
	w.t.Reset(sc.threshold())
	if c1 := vecscan.BitShare(n/max(sc.fraction, 1), lo, hi, n); sc.fraction > 0 && c1 > sc.r {
		sc.v.refine(sc.qq, sc.v.scanBits(sc.qb, c1, lo, hi, sc.chunkArt, sc.allowed), &w.t)
	} else {
		sc.v.scanCodes(sc.qq, lo, hi, sc.chunkArt, sc.allowed, &w.t)
	}
	thr := sc.threshold()
	w.keys = w.keys[:0]
	for _, c := range w.t.Items() {
		if c.Score >= thr {
			w.keys = append(w.keys, topk.Key(c))
		}
	}
	slices.Sort(w.keys)
	sc.probe.span(w.id, "vec", p, again, t0) // first: a record may end the scan
	sc.record(p, w.keys)
}

// threshold returns a score below which no candidate can enter the scan's
// best r: that of the r-th best of the pieces finished, -Inf while they
// have fewer.
func (sc *vecScan) threshold() float32 { return math.Float32frombits(sc.thr.Load()) }

// record merges the candidates of piece p, keys (topk.Key) in order, into
// the scan's best, unless another run of the piece finished first (or
// the scan was aborted); after the last piece it starts the rescoring.
func (sc *vecScan) record(p int, keys []uint64) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	ps := &sc.state[p]
	if !sc.first(ps) {
		return
	}
	sc.doneTime += time.Since(ps.start)
	sc.best, sc.spare = topk.MergeKeys(sc.spare, sc.r, sc.best, keys), sc.best
	if len(sc.best) == sc.r {
		sc.thr.Store(math.Float32bits(topk.FromKey(sc.best[sc.r-1]).Score))
	}
	if sc.merged++; sc.merged == sc.pieces {
		sc.startRescoring()
	}
	ps.done = true
}

// startRescoring cuts the candidates of every piece, merged, into the
// parts of the exact rescoring, under the mutex.
func (sc *vecScan) startRescoring() {
	sc.cands = make([]int32, len(sc.best))
	for i, c := range sc.best {
		sc.cands[i] = topk.FromKey(c).ID
	}
	sc.parts = int64((len(sc.cands) + rescorePart - 1) / rescorePart)
	sc.rstate = make([]pieceState, sc.parts)
	sc.rhits = make([][]vecHit, sc.parts)
	close(sc.rescoring)
	if sc.parts == 0 {
		sc.over = true
		close(sc.done)
	}
}

// first reports whether the run of a piece or part that has ended, whose
// state is ps, is the first to finish; false too once the scan is over
// (aborted). Under the mutex; the caller marks ps done once it has
// merged the run's result, so that a panic before leaves the run needed
// (settle).
func (sc *vecScan) first(ps *pieceState) bool {
	return !ps.done && !sc.over
}

// settle, deferred by a run of a piece or part of the rescoring whose
// state is ps, lets a panic of the run go on up (to the recover of help
// or work, which ends the scan and raises the panic in the caller) while
// the scan needs the run's result; once another run has finished the
// piece or part, or the scan is over, the run's result is not needed and
// its panic goes no further: a late twin's panic must not end a search
// that has, or will have, its result.
func (sc *vecScan) settle(ps *pieceState) {
	p := recover()
	if p == nil {
		return
	}
	sc.mu.Lock()
	needed := !ps.done && !sc.over
	sc.mu.Unlock()
	if needed {
		panic(p)
	}
}

// rescore scores part i of the candidates exactly, keeps the best k, and
// records them unless another run of the part finished first; after the
// last part it closes done.
func (w *vecWorker) rescore(i int, again bool) {
	sc := w.sc
	defer sc.settle(&sc.rstate[i])
	t0 := sc.probe.now()
	if sc.holdPart != nil {
		sc.holdPart(i, again)
	}
	cands := sc.cands[i*rescorePart : min((i+1)*rescorePart, len(sc.cands))]
	t := topk.Heap[float32]{K: sc.k, Items: make([]vecHit, 0, min(sc.k, len(cands)))}
	// Four at a time (Rescorer): one sum at a time waits on each
	// addition.
	sc.v.scanList(sc.q, cands, &t)
	sc.probe.span(w.id, "vecx", i, again, t0)
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if !sc.first(&sc.rstate[i]) {
		return
	}
	sc.rhits[i] = t.Items
	if sc.rmerged++; sc.rmerged == sc.parts {
		sc.over = true
		close(sc.done)
	}
	sc.rstate[i].done = true
}

// lexPieces is about how many pieces each step of a lexical search is cut
// into: enough that the cores finish a stage within a piece of each
// other, and that a piece run again (speculate) costs little, few enough
// that the pieces' own costs (cursors set up per piece, a heap each)
// stay small.
const lexPieces = 16

// minChunkPiece and minArtPiece are the fewest chunks and articles a
// piece holds: below them a piece costs more to hand over than to do.
const (
	minChunkPiece = 4096
	minArtPiece   = 1024
)

// minSplitPostings is the fewest postings (of the query's terms, chunks
// and articles) of a lexical search cut into pieces: a search with fewer
// costs less than handing pieces to other goroutines (at 100k chunks, the
// 7-word synthetic questions of cmd/scalebench took 0.23-0.37 ms on one
// goroutine, 0.57 ms in pieces on a busy machine), and runs as one piece
// per stage on the caller.
const minSplitPostings = 1 << 17

// lexRun is one lexical search cut into pieces by doc range, in two
// stages: the best chunk's score and the articles' scores, then the best
// chunks by the final score. The goroutines that work on the search take
// the next piece of the current stage until none is left; the one that
// finishes a stage's last piece starts the next stage; one with nothing
// left to take runs a late piece again (speculate). Each piece scores its
// docs as the whole search would (the MaxScore pieces share their
// threshold, msTheta), so the result does not depend on how many
// goroutines took which pieces in which order, or how many times.
type lexRun struct {
	lx                   *lexIndex
	q                    *lexQuery
	cl, al               msLevel
	chunkAllow, artAllow func(int32) bool
	chunkPiece, artPiece int32 // docs per piece; chunkPiece a multiple of msBlock
	// permute, when set, reorders each stage's pieces; hold, when set, is
	// called as a piece starts (again: a second run): for tests.
	permute func([]lexPiece)
	hold    func(stage int, again bool)
	probe   *Probe // when set, records the pieces' runs

	next   atomic.Uint64 // stage<<32 | the index of the next piece to take
	stages [2][]lexPiece // a stage's pieces, set before next moves to it
	pstate [2][]pieceState
	theta  [2]msTheta // the MaxScore thresholds of the two stages
	failed atomic.Pointer[any]
	done   chan struct{} // closed when the result is set, or on a panic

	mu       sync.Mutex
	stage    int           // 2 when done
	finished int           // pieces of the stage finished
	doneTime time.Duration // their time, from the first run's start
	nDone    int
	wake     chan struct{}
	best     topk.Heap[float64] // the best chunks of the stage's finished pieces
	maxArt   float32
	// arts0 and terms0 are where the second step's first runs write the
	// articles' scores and term bounds; artScore and artTerm what the
	// third step reads: the same, or new arrays where second runs
	// finished first (late; lateScores).
	arts0    []float32
	terms0   []float64
	late     []lateArts
	artScore []float32
	maxChunk float32
	extras   []float64
	// With an article part, when a chunk has only terms its article has:
	// termUB are the query terms' chunk-level bounds (the largest over
	// the segments), artTerm by article the sum of those of the terms it
	// has (set by the second step), and caps the third step's bounds by
	// block (blockExtras); docTerm is artTerm, or a scaled copy (tests).
	termUB   []float64
	termCaps termCaps // from termUB
	artTerm  []float64
	docTerm  []float64
	caps     []float64
	// arr holds the arrays over every article and block below, from
	// the index's pool, until the last run of a piece has ended (live
	// counts them, under mu): a run late past the search's end may still
	// write them.
	arr  *lexArrays
	live int
	// blkArt and blkTerm are, by block of the walk, the best score and
	// term bound of the articles of its chunks (bestOfArts, merged as the
	// second step's pieces finish): the third step's extras and caps.
	blkArt  []float32
	blkTerm []float64
	result  []topk.Item[float64]
	// seen and topArts are the candidates of the seed of the third
	// step's threshold (seedChunks): chunks the first step scored in
	// full, and the best articles.
	seen    []topk.Item[float32]
	topArts topk.Heap[float64]
	seeded  [2]float64 // the thresholds the MaxScore steps started from
}

// lexArrays are a lexical search's arrays over every article (the
// second step's scores and term bounds) and every block of the walk (the
// best of those by block, the third step's extras and caps), reused by
// later searches of the index (lexPool): not cleared, each user clears
// or sets its part.
type lexArrays struct {
	arts         []float32
	terms        []float64
	blkArt       []float32
	blkTerm      []float64
	extras, caps []float64
	// late copies of arts and terms (lateScores), made when first needed
	lateA []float32
	lateT []float64
}

// lexPool keeps lexArrays for the lexical searches of an index and its
// later snapshots (which share it), so that a search does not allocate
// and clear arrays over every article, and the scratch of the goroutines
// that work on them (msScratch); nil pools nothing.
type lexPool struct{ p, ws sync.Pool }

// scratch returns a goroutine's scratch for the pieces of one search.
func (lp *lexPool) scratch() *msScratch {
	if lp != nil {
		if ws, ok := lp.ws.Get().(*msScratch); ok {
			return ws
		}
	}
	return &msScratch{}
}

// putScratch returns ws, whose pieces have all ended, to the pool.
func (lp *lexPool) putScratch(ws *msScratch) {
	if lp != nil {
		lp.ws.Put(ws)
	}
}

// get returns arrays of at least arts articles and blocks blocks, not
// cleared.
func (lp *lexPool) get(arts, blocks int) *lexArrays {
	var a *lexArrays
	if lp != nil {
		a, _ = lp.p.Get().(*lexArrays)
	}
	if a == nil {
		a = &lexArrays{}
	}
	if cap(a.arts) < arts {
		a.arts, a.terms = make([]float32, arts), make([]float64, arts)
	}
	if cap(a.extras) < blocks {
		a.blkArt, a.blkTerm = make([]float32, blocks), make([]float64, blocks)
		a.extras, a.caps = make([]float64, blocks), make([]float64, blocks)
	}
	return a
}

// put returns a to the pool, for a later search.
func (lp *lexPool) put(a *lexArrays) {
	if lp != nil {
		lp.p.Put(a)
	}
}

// pieceState is what a lexical search knows of one of its pieces, under
// its mutex.
type pieceState struct {
	runs  int       // runs started
	start time.Time // of the first run
	done  bool      // a run finished
}

// newRun prepares the lexical search q, which has terms and k > 0.
func (lx *lexIndex) newRun(q *lexQuery) *lexRun {
	r := &lexRun{lx: lx, q: q, done: make(chan struct{}), wake: make(chan struct{})}
	r.cl, r.al = lx.levels(q)
	r.chunkAllow, r.artAllow = lx.allowFuncs(q.allowed)
	r.chunkPiece = (max(int32(lx.nChunks/lexPieces), minChunkPiece) + msBlock - 1) / msBlock * msBlock
	r.artPiece = max(int32(lx.nArts/lexPieces), minArtPiece)
	n := 0
	for _, t := range q.terms {
		for _, g := range lx.segs {
			lo, hi := g.chunkPost.span(t.id)
			alo, ahi := g.artPost.span(t.id)
			n += int(hi - lo + ahi - alo)
		}
	}
	if n < minSplitPostings {
		r.chunkPiece = int32(lx.nChunks+msBlock) / msBlock * msBlock
		r.artPiece = int32(max(lx.nArts, 1))
	}
	r.best = topk.New[float64](1)
	r.best.Order = q.order
	r.topArts = topk.Heap[float64]{K: seedArts, Order: cmpInt32}
	return r
}

// workers returns how many goroutines the search is worth: one per core,
// at most one per piece of the first stage.
func (r *lexRun) workers() int {
	n := (r.lx.nChunks + int(r.chunkPiece) - 1) / int(r.chunkPiece)
	return max(1, min(runtime.GOMAXPROCS(0), n))
}

// start publishes the first stage's pieces.
func (r *lexRun) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.publish(0, r.firstPieces())
}

// publish makes ps the pieces of stage st, under r.mu; a stage without
// pieces is finished at once.
func (r *lexRun) publish(st int, ps []lexPiece) {
	for ; len(ps) == 0 && st < 2; st++ {
		ps = r.nextStage(st)
	}
	if r.permute != nil {
		r.permute(ps)
	}
	r.stage, r.finished, r.doneTime, r.nDone = st, 0, 0, 0
	if st < 2 {
		r.stages[st] = ps
		r.pstate[st] = make([]pieceState, len(ps))
	}
	r.next.Store(uint64(st) << 32)
	close(r.wake)
	if st == 2 {
		close(r.done)
		return
	}
	r.wake = make(chan struct{})
}

// run runs the search and returns its result. helpers is how many other
// goroutines will call help, and run starts as many more as make one per
// worker. With one worker the caller does the work; with more it only
// waits, so that a stall of its core, or of any one core, holds up no
// more than a piece (which the others run again, speculate).
func (r *lexRun) run(helpers int) []topk.Item[float64] {
	r.start()
	n := r.workers()
	if n == 1 && helpers == 0 {
		work(r, nil, false)
		return r.wait()
	}
	for range n - helpers {
		go work(r, nil, false)
	}
	return r.wait()
}

// wait waits for the search to end and returns its result; a panic of
// any goroutine that worked on it is raised here.
func (r *lexRun) wait() []topk.Item[float64] {
	<-r.done
	if p := r.failed.Load(); p != nil {
		panic(*p) // to the caller's recover, as if it had run the piece
	}
	return r.result
}

// help works on the search until it is done. It does nothing for nil.
func (r *lexRun) help() {
	if r != nil {
		work(r, nil, false)
	}
}

// take takes the next piece of the current stage, if there is one: the
// piece, its stage and its index.
func (r *lexRun) take() (lexPiece, int, int, bool) {
	v := r.next.Add(1) - 1
	st, i := int(v>>32), int(v&math.MaxUint32)
	if st >= 2 || i >= len(r.stages[st]) {
		return lexPiece{}, 0, 0, false
	}
	return r.stages[st][i], st, i, true
}

// step takes and runs a piece, if there is one now; wid numbers the
// goroutine for the probe.
func (r *lexRun) step(ws *msScratch, wid int) bool {
	p, st, i, ok := r.take()
	if !ok {
		return false
	}
	r.mu.Lock()
	if r.stage != st { // aborted
		r.mu.Unlock()
		return true
	}
	ps := &r.pstate[st][i]
	ps.runs, ps.start = 1, time.Now()
	r.live++
	r.mu.Unlock()
	t0 := r.probe.now()
	r.runPiece(st, i, p, ws, false)
	r.probe.span(wid, lexSide[st], i, false, t0)
	r.ended()
	return true
}

// runPiece runs piece i of stage st, p (see piece), and lets a panic in
// it go on up (to work's recover, which ends the search and raises the
// panic in the caller of wait) while the search needs the run's result;
// once another run has finished the piece, or the stage is over, the
// run's result is not needed and its panic goes no further: a late
// twin's panic must not end a search that has, or will have, its result.
// The goroutine then goes on with a new scratch: the panic may have left
// ws's window half set (runSeg clears it as a block ends), which would
// add stale contributions to the scores of its next pieces.
func (r *lexRun) runPiece(st, i int, p lexPiece, ws *msScratch, again bool) {
	defer r.settle(st, i, ws)
	r.piece(st, i, p, ws, again)
}

// settle is runPiece's recover.
func (r *lexRun) settle(st, i int, ws *msScratch) {
	p := recover()
	if p == nil {
		return
	}
	r.mu.Lock()
	needed := r.stage == st && !r.pstate[st][i].done
	r.mu.Unlock()
	if needed {
		panic(p)
	}
	*ws = msScratch{}
}

// ended records that a run of a piece ended: the last one to end after
// the search did returns the run's arrays to the pool.
func (r *lexRun) ended() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live--; r.live == 0 && r.stage == 2 && r.arr != nil && r.failed.Load() == nil {
		r.lx.pool.put(r.arr)
		r.arr = nil
	}
}

// lexSide names the stages for the probe.
var lexSide = [2]string{"lex0", "lex1"}

// minLate is the least time a piece runs before another goroutine runs
// it again (speculate).
const minLate = 200 * time.Microsecond

// lateFactor is how many times the mean time of a stage's (or scan's)
// finished pieces a piece is held before it is late.
const lateFactor = 3

// lateAfter returns how long a piece runs before it is late, when n
// pieces of its stage or scan have finished in doneTime in all: lexical
// and vector pieces follow the one rule.
func lateAfter(doneTime time.Duration, n int) time.Duration {
	if n == 0 {
		return minLate
	}
	return max(minLate, lateFactor*doneTime/time.Duration(n))
}

// speculate runs again a piece of the current stage that another
// goroutine has held, without finishing it, for several times as long as
// the stage's finished pieces took on average (at least minLate): the
// goroutine may be on a core that stalls, and the stage waits for the
// piece. The first run to finish counts; a piece runs at most twice. It
// returns false when no piece is that late, with how long until the
// next one held would be (0: none is held).
func (r *lexRun) speculate(ws *msScratch, wid int) (bool, time.Duration) {
	r.mu.Lock()
	st := r.stage
	if st >= 2 {
		r.mu.Unlock()
		return false, 0
	}
	i, wait := lateOne(r.pstate[st], r.doneTime, r.nDone)
	if i < 0 {
		r.mu.Unlock()
		return false, wait
	}
	p := r.stages[st][i]
	r.live++
	r.mu.Unlock()
	t0 := r.probe.now()
	r.runPiece(st, i, p, ws, true)
	r.probe.span(wid, lexSide[st], i, true, t0)
	r.ended()
	return true, 0
}

// lateOne returns the first of a stage's or scan's pieces (their states,
// under its mutex) held late: run once, not finished, for lateAfter the
// n finished pieces' doneTime; and marks it run twice. With none it
// returns -1 and how long until the next piece held would be late (0:
// none is held that could run again). A piece not started (runs 0) may
// have been taken by a goroutine that has yet to mark it (between taking
// it and the mutex: a stall there is a stall too): it is looked at again
// after lateAfter, or the caller would wait for the end with no timer
// and no twin could ever cut that piece's stall.
func lateOne(states []pieceState, doneTime time.Duration, n int) (int, time.Duration) {
	late := lateAfter(doneTime, n)
	now := time.Now()
	wait := time.Duration(0)
	for i := range states {
		ps := &states[i]
		if ps.runs == 0 && (wait == 0 || late < wait) {
			wait = late
		}
		if ps.runs != 1 || ps.done {
			continue
		}
		if age := now.Sub(ps.start); age < late {
			if left := late - age; wait == 0 || left < wait {
				wait = left
			}
			continue
		}
		ps.runs++
		return i, 0
	}
	return -1, wait
}

// finish records that piece i of stage st is done, with merge adding its
// result to the run's, unless another run of it finished first (or the
// search was aborted); after the stage's last piece it starts the next.
func (r *lexRun) finish(st, i int, merge func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stage != st || r.pstate[st][i].done {
		return
	}
	ps := &r.pstate[st][i]
	r.doneTime += time.Since(ps.start)
	r.nDone++
	merge()
	if r.finished++; r.finished == len(r.stages[st]) {
		r.publish(st+1, r.nextStage(st))
	}
	ps.done = true // last: a panic above leaves the run needed (settle)
}

// waitChan returns a channel closed when the stage changes.
func (r *lexRun) waitChan() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.wake
}

// abort ends the search after the panic p of a goroutine working on it.
func (r *lexRun) abort(p any) {
	r.failed.CompareAndSwap(nil, &p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stage < 2 {
		r.stage = 2
		r.next.Store(2 << 32)
		close(r.wake)
		close(r.done)
	}
}

// work takes the pieces of one query, lexical (lr) first, as they gate
// its next stage, then of the vector scan (sc, nil or not shared for
// none), or vector ones first when vecFirst is set; then it runs again
// pieces of either side held late, until both sides are done; in between
// it waits for the lexical search's next stage, either side's end or a
// piece to be late. A panic, in a piece of either side, ends both and is
// kept for lexRun.wait to raise in the caller.
func work(lr *lexRun, sc *vecScan, vecFirst bool) {
	wid := lr.probe.worker()
	var vw *vecWorker
	if sc != nil && sc.shared {
		vw = sc.worker(wid)
	}
	defer func() {
		if p := recover(); p != nil {
			lr.abort(p)
			if vw != nil {
				sc.abort(p)
			}
		}
	}()
	// The scratch goes back to the pool on a normal end only: a panic
	// may leave its window half set.
	ws := lr.lx.pool.scratch()
	for {
		wake := lr.waitChan()
		if vecFirst && vw != nil && vw.step() || lr.step(ws, wid) || !vecFirst && vw != nil && vw.step() {
			continue
		}
		ran, wait := lr.speculate(ws, wid)
		if ran {
			continue
		}
		lexDone, vecDone, rescoring := lr.done, (<-chan struct{})(nil), (<-chan struct{})(nil)
		if vw != nil {
			vran, vwait := vw.speculate()
			if vran {
				continue
			}
			if vwait > 0 && (wait == 0 || vwait < wait) {
				wait = vwait
			}
			vecDone = sc.done
			var ok bool
			if rescoring, ok = sc.rescoringChan(); !ok {
				continue // the rescoring started since step
			}
		}
		switch {
		case closed(lexDone) && (vecDone == nil || closed(vecDone)):
			lr.lx.pool.putScratch(ws)
			return
		case closed(lexDone):
			lexDone, wake = nil, nil // only the scan is left
		case vecDone != nil && closed(vecDone):
			vecDone = nil
		}
		var late <-chan time.Time
		if wait > 0 {
			late = time.After(wait)
		}
		select {
		case <-lexDone:
		case <-vecDone:
		case <-rescoring:
		case <-wake:
		case <-late:
		}
	}
}

// closed reports whether ch is closed.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// hybrid runs the lexical search lr and the shared vector scan sc of one
// query on one goroutine per core (work), and returns their results. The
// caller waits, as lexRun.run's does. All the goroutines take lexical
// pieces first; with overlap (a Probe's, for an A/B) every other one
// takes vector pieces first, so that the two sides start together.
func hybrid(lr *lexRun, sc *vecScan, overlap bool) ([]topk.Item[float64], []vecHit) {
	lr.start()
	for i := range max(lr.workers(), sc.workers()) {
		go work(lr, sc, overlap && i%2 == 1)
	}
	res := lr.wait() // first: it raises a panic of either side's pieces
	return res, sc.finish()
}
