package retrieval

import (
	"runtime"
	"sync"
	"sync/atomic"

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
// the scan takes the next piece until none is left. So a core that
// finishes other work of the query (the lexical side) joins the scan
// instead of waiting for a core, and the scan's result does not depend on
// how many goroutines took which pieces: each keeps the best candidates of
// its pieces by their codes, the candidates of all are cut to the best
// r (ties by slot), and those are rescored exactly.
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

	next   atomic.Int64        // the next piece to take
	failed atomic.Pointer[any] // the first panic of a goroutine spawn started
	mu     sync.Mutex
	best   topk.Heap[float32] // the best r candidates merged so far, by slot
	merged int64              // pieces whose candidates are in best
	done   chan struct{}      // closed when merged reaches pieces
}

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
	sc.best = topk.New[float32](sc.r)
	sc.done = make(chan struct{})
	return sc
}

// cut sets the scan's pieces to hold piece slots each.
func (sc *vecScan) cut(piece int) {
	sc.piece = piece
	sc.pieces = int64((sc.v.slots + piece - 1) / piece)
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
	<-sc.done
	if p := sc.failed.Load(); p != nil {
		panic(*p) // to the caller's recover, as if it had scanned the piece
	}
	// The candidates rescored four at a time (dot4): one sum at a time
	// waits on each addition, and took as long as the codes of a small
	// index.
	slots := make([]int32, len(sc.best.Items))
	for i, c := range sc.best.Items {
		slots[i] = c.ID
	}
	t := topk.New[float32](sc.k)
	sc.v.scanList(sc.q, slots, &t)
	return t.Sorted()
}

// spawn starts a goroutine that helps with the scan. A panic there (a
// bug) would end the process, since nothing above the goroutine can
// recover it: it is kept for run to raise in the caller's goroutine.
func (sc *vecScan) spawn() {
	go func() {
		defer func() {
			if p := recover(); p != nil {
				sc.failed.CompareAndSwap(nil, &p)
			}
		}()
		sc.help()
	}()
}

// help takes pieces of the scan until none is left, then merges the
// candidates of those it took. It does nothing for a scan that is not
// shared, or nil.
func (sc *vecScan) help() {
	if sc == nil || !sc.shared {
		return
	}
	t := topk.NewBuffer[float32](sc.r)
	var took int64
	// Deferred, so that a panic in a piece does not leave run waiting.
	defer func() { sc.merge(&t, took) }()
	n := sc.v.slots
	for {
		p := sc.next.Add(1) - 1
		if p >= sc.pieces {
			return
		}
		took++ // before the work: a piece that panics counts as merged
		lo := int(p) * sc.piece
		hi := min(lo+sc.piece, n)
		if c1 := vecscan.BitShare(n/max(sc.fraction, 1), lo, hi, n); sc.fraction > 0 && c1 > sc.r {
			sc.v.refine(sc.qq, sc.v.scanBits(sc.qb, c1, lo, hi, sc.chunkArt, sc.allowed), &t)
		} else {
			sc.v.scanCodes(sc.qq, lo, hi, sc.chunkArt, sc.allowed, &t)
		}
	}
}

// merge adds the candidates of took pieces, in t, to the scan's best.
func (sc *vecScan) merge(t *topk.Buffer[float32], took int64) {
	if took == 0 {
		return
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for _, c := range t.Items() {
		sc.best.Push(c)
	}
	if sc.merged += took; sc.merged == sc.pieces {
		close(sc.done)
	}
}
