package retrieval

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// A bulk build or a merge of a large index allocates far more than it
// keeps: analysis scratch, the term bags of every chunk until they are
// postings, the compacted postings beside the old ones. With the Go
// collector's default pacing (GOGC=100) the heap grows to twice what is
// live before a collection, so the process's peak is 1.5x its settled
// size or more. For the length of such an operation, when neither the
// program nor GOMEMLIMIT sets a memory limit, the index sets a soft one
// (debug.SetMemoryLimit) of memHeadroom times the memory it expects the
// runtime to hold once the operation is done (the live heap, and the
// runtime's own beside it), and restores the previous setting after. The
// collector then runs more often as the heap nears that size instead of
// letting it double.

// memHeadroom is the soft limit over the memory the runtime is expected
// to hold after the operation: under 1.3x with the memory the process
// holds outside the Go runtime (its code, mostly) and what the runtime
// returns to the system late.
const memHeadroom = 1.2

// memPeakRoom is the least soft limit over what an operation holds at its
// peak (a merge's compacted postings beside the old ones: a quarter of an
// index on the local embedder), so that the collector has room to work
// instead of running back to back.
const memPeakRoom = 1.05

// minGuardChunks is the size of an index, in chunks, from which its bulk
// Adds and merges hold a memory limit: below, the memory at stake (some
// 100 MB) is not worth the collections.
const minGuardChunks = 20_000

// guardMerge starts the memory guard of a merge of s, or returns nil for
// a small index.
func (ix *Index) guardMerge(s *snapshot) *memGuard {
	if s.lex.nChunks < ix.memMin {
		return nil
	}
	return guardMemory(s.compactBytes())
}

// memPoll is how often a guard looks for a finished collection to update
// its limit.
const memPoll = 10 * time.Millisecond

// memLimits arbitrates the process's memory limit between the operations
// (of any index in the process) that want one at once: the limit in force
// is the largest they ask for, and the one found before the first is
// restored when the last ends, unless someone else changed it meanwhile.
// It is package state because the memory limit it guards is the
// process's.
var memLimits memArbiter

type memArbiter struct {
	mu    sync.Mutex
	wants map[*memGuard]int64
	prev  int64 // the limit before the first guard
	set   int64 // the limit this arbiter set, 0 for none
	user  bool  // the process had a limit of its own: leave it alone
}

// enter registers g; it reports false when the process has a limit of its
// own (GOMEMLIMIT or the program's), which is then left as it is.
func (m *memArbiter) enter(g *memGuard) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.wants) == 0 {
		m.prev = debug.SetMemoryLimit(-1)
		m.user = m.prev != math.MaxInt64
		m.set = 0
		m.wants = map[*memGuard]int64{}
	}
	if m.user {
		return false
	}
	m.wants[g] = 0
	return true
}

// want sets g's wish and applies the largest.
func (m *memArbiter) want(g *memGuard, limit int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.wants[g]; !ok {
		return
	}
	m.wants[g] = limit
	m.apply()
}

// leave drops g; after the last guard the previous limit comes back.
func (m *memArbiter) leave(g *memGuard) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.wants[g]; !ok {
		return
	}
	delete(m.wants, g)
	if len(m.wants) > 0 {
		m.apply()
		return
	}
	if m.set != 0 && debug.SetMemoryLimit(-1) == m.set {
		debug.SetMemoryLimit(m.prev)
	}
	m.set = 0
	m.wants = nil
}

// apply sets the largest wish as the limit, unless someone other than the
// arbiter has changed the limit since it last set it.
func (m *memArbiter) apply() {
	cur := debug.SetMemoryLimit(-1)
	if m.set != 0 && cur != m.set || m.set == 0 && cur != m.prev {
		return
	}
	limit := int64(0)
	for _, w := range m.wants {
		limit = max(limit, w)
	}
	if limit == 0 {
		limit = m.prev
	}
	debug.SetMemoryLimit(limit)
	m.set = limit
}

// memGuard holds a soft memory limit for one operation (see update).
type memGuard struct {
	// expect returns, from the live heap now (as the last collection
	// found it), the live heap expected after the operation and the most
	// the operation holds until then; 0 while it cannot tell.
	expect atomic.Pointer[func(live uint64) (expect, peak uint64)]
	stop   chan struct{}
	done   chan struct{}
	// base is the live heap found when the guard started.
	base uint64
}

// memSampleNames are the runtime metrics a guard reads.
var memSampleNames = [...]string{
	"/gc/cycles/total:gc-cycles",
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/objects:bytes",
}

// guardMemory starts a guard whose expected live heap is, until it is
// told otherwise, the live heap found by a collection now plus extra, the
// most the operation holds beside it at once (a merge: the compacted
// postings beside the old ones). It returns nil when the process has a
// memory limit of its own. Stop it with release.
func guardMemory(extra uint64) *memGuard {
	g := &memGuard{stop: make(chan struct{}), done: make(chan struct{})}
	if !memLimits.enter(g) {
		return nil
	}
	runtime.GC()
	r := g.read()
	g.base = r.live
	g.fixed(r.live, r.live+extra)
	g.update(r)
	go g.watch(r.cycles)
	return g
}

// memReading is one reading of the runtime metrics.
type memReading struct {
	cycles, live, other uint64
}

func (g *memGuard) read() memReading {
	var s [len(memSampleNames)]metrics.Sample
	for i, n := range memSampleNames {
		s[i].Name = n
	}
	metrics.Read(s[:])
	v := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[i].Value.Uint64()
	}
	r := memReading{cycles: v(0), live: v(1)}
	// What the runtime holds beside the heap's objects and free pages:
	// stacks, metadata, unused parts of spans.
	if total, held := v(2), v(3)+v(4)+v(5); total > held {
		r.other = total - held
	}
	return r
}

// fixed makes the expected live heap a fixed size, and peak what the
// operation holds at most until it ends.
func (g *memGuard) fixed(expect, peak uint64) {
	f := func(uint64) (uint64, uint64) { return expect, peak }
	g.expect.Store(&f)
}

// settle collects garbage and fixes the expected live heap, and the peak,
// at what sizes returns for the live heap found: for the rest of an
// operation that has made everything it keeps.
func (g *memGuard) settle(sizes func(live uint64) (expect, peak uint64)) {
	if g == nil {
		return
	}
	runtime.GC()
	r := g.read()
	g.fixed(sizes(r.live))
	g.update(r)
}

// project makes the expected live heap grow with the work done: the live
// heap when the guard started, plus what has been added since scaled
// up to the whole (done of total, in any unit). Before an eighth is done
// the projection is too rough, and the guard sets no limit.
func (g *memGuard) project(done func() int, total int) {
	if g == nil {
		return
	}
	base := g.base
	f := func(live uint64) (uint64, uint64) {
		d := done()
		if d < total/8 || d <= 0 || live <= base {
			return 0, 0
		}
		e := base + uint64(float64(live-base)*float64(total)/float64(d))
		return e, e
	}
	g.expect.Store(&f)
}

// update sets the limit for the reading: memHeadroom over the expected
// size, but at least memPeakRoom over the peak (and over the live heap
// found, should the peak be more than foreseen), lest the collector run
// back to back.
func (g *memGuard) update(r memReading) {
	f := g.expect.Load()
	if f == nil {
		return
	}
	e, peak := (*f)(r.live)
	if e == 0 {
		memLimits.want(g, 0)
		return
	}
	// What the last collection found live bounds the peak from below.
	peak = max(peak, r.live)
	limit := max(memHeadroom*float64(e+r.other), memPeakRoom*float64(peak+r.other))
	memLimits.want(g, int64(limit))
}

// watch updates the limit after every collection until release.
func (g *memGuard) watch(cycles uint64) {
	defer close(g.done)
	t := time.NewTicker(memPoll)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
		}
		if r := g.read(); r.cycles != cycles {
			cycles = r.cycles
			g.update(r)
		}
	}
}

// release stops the guard and gives the limit back.
func (g *memGuard) release() {
	if g == nil {
		return
	}
	close(g.stop)
	<-g.done
	memLimits.leave(g)
}
