package retrieval

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/briefbot/briefbot/retrieval/vecscan"
)

// The 1-bit pass calibrates itself: whether it keeps recall depends on the
// embedder (random-like model embeddings keep it at 1/8 of the slots, the
// local embedder's sparse hashed vectors need a third and more; see
// BENCHMARKS.md), and whether it saves time on the dimension, the size and
// the machine (at 1M random 1536-d vectors the 4-bit scan alone took 16.4
// ms, with the 1-bit pass first 17.5). Once an index holds minBitSlots
// chunks, and again each time it has grown bitCheckGrowth-fold since the
// last check, a background check asks bitCheckQueries queries made from
// stored vectors (a fixed-seed sample: see bitRecalls) for their top
// bitCheckK with the 4-bit scan alone and with the 1-bit pass at each of
// bitFractions, timing each scan, and keeps the smallest share whose
// recall@10 against the 4-bit scan is at least bitCheckRecall if its
// median time is below the 4-bit scan's; else the pass stays off. These
// queries are not questions: TestBitCheckProxy measures that wherever the
// proxy of bitConfirmQueries reaches bitCheckRecall, real questions reach
// the 0.99.
// The sample follows the slot order, which concurrent adds set, so the
// proxy varies between builds of one corpus: with 64 queries it measured
// 0.983-0.995 at 1/8 on MultiHop-RAG (questions 0.988), once reaching
// the bar; with 256, 0.985-0.990. So a share that 64 queries would turn
// on is confirmed with bitConfirmQueries before it is: 256 queries cost
// a 1M index about four times the 64's scans at each open, which only a
// check that might turn the pass on is worth.
const (
	minBitSlots       = 16384
	bitCheckGrowth    = 2
	bitCheckQueries   = 64
	bitConfirmQueries = 256
	bitCheckK         = 10
	bitCheckRecall    = 0.995
	bitCheckSeed      = 13
)

// bitFractions lists the shares (one in f of the slots) a check tries,
// smallest first.
func bitFractions() []int { return []int{8, 4, 3} }

// scanCost runs one scan of a check, with the 1-bit pass at fraction (0:
// the 4-bit scan alone), and returns what it cost. The index's is
// wallClock; tests inject one, so that the decision does not hang on the
// machine's speed.
type scanCost func(fraction int, scan func()) time.Duration

// wallClock is the scanCost of an index: the scan's time.
func wallClock(_ int, scan func()) time.Duration {
	start := time.Now()
	scan()
	return time.Since(start)
}

// bitCheck is what a check of the 1-bit pass measured: for each fraction
// it reached (a prefix of fractions) the recall and the median cost of a
// query, and the median cost of the 4-bit scan alone.
type bitCheck struct {
	fractions []int
	recalls   []float64
	costs     []time.Duration
	base      time.Duration
	asked     int
}

// bitRecalls measures the recall@k of the 1-bit pass at each fraction
// against the 4-bit scan alone (both with the exact rescoring), and the
// cost of each (median over the queries, cost the clock), on queries made
// from stored vectors of v picked with seed: each a stored vector with
// half its coordinates (picked at random) zeroed, as a question shares
// part of its answer's words. (A whole stored vector is an easy query: on
// the local embedder it measured 0.998 at 1/8 where the MultiHop-RAG
// questions measured 0.989.) It stops at the first fraction that reaches
// stop (0: measures all). The 4-bit scan alone and the first fraction are
// asked in turn, query by query, each first every other query, so that a
// slow spell of the machine weighs on both alike.
func (v *vecView) bitRecalls(fractions []int, queries, k int, seed uint64, stop float64, cost scanCost) bitCheck {
	var inUse []int32
	for slot := range v.slots {
		if v.chunkOf(slot) >= 0 {
			inUse = append(inUse, int32(slot))
		}
	}
	r := rand.New(rand.NewPCG(seed, seed))
	var qs [][]float32
	for range min(queries, len(inUse)) {
		src := v.vec(inUse[r.IntN(len(inUse))])
		q := make([]float32, len(src))
		for j, x := range src {
			if r.Uint64()&1 == 0 {
				q[j] = x
			}
		}
		if normalized(q) != nil {
			qs = append(qs, q)
		}
	}
	out := bitCheck{asked: len(qs)}
	if len(qs) == 0 {
		return out
	}
	top := func(q []float32, fraction int) (hits []vecHit, took time.Duration) {
		took = cost(fraction, func() { hits = v.scanWith(q, k, nil, nil, nil, fraction) })
		return hits, took
	}
	want := make([]map[int32]bool, len(qs))
	base := make([]time.Duration, len(qs))
	total := 0
	for fi, f := range fractions {
		found := 0
		costs := make([]time.Duration, len(qs))
		for i, q := range qs {
			var got []vecHit
			if fi == 0 && i%2 == 1 {
				got, costs[i] = top(q, f)
			}
			if fi == 0 {
				var exact []vecHit
				exact, base[i] = top(q, 0)
				want[i] = map[int32]bool{}
				for _, h := range exact {
					want[i][h.ID] = true
				}
				total += len(want[i])
			}
			if fi > 0 || i%2 == 0 {
				got, costs[i] = top(q, f)
			}
			for _, h := range got {
				if want[i][h.ID] {
					found++
				}
			}
		}
		out.fractions = append(out.fractions, f)
		out.recalls = append(out.recalls, float64(found)/float64(max(1, total)))
		out.costs = append(out.costs, median(costs))
		if stop > 0 && out.recalls[len(out.recalls)-1] >= stop {
			break
		}
	}
	out.base = median(base)
	return out
}

// median returns the median of ds (the upper one of an even count).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// choose returns the first fraction whose recall reaches bar, and that
// recall, if its cost is below the 4-bit scan's; else 0 and the recall of
// that fraction (slower), or the best recall measured (none reached bar).
func (c bitCheck) choose(bar float64) (int, float64) {
	best := 0.0
	for i, x := range c.recalls {
		if x >= bar {
			if c.costs[i] >= c.base {
				return 0, x
			}
			return c.fractions[i], x
		}
		best = max(best, x)
	}
	return 0, best
}

// maybeCheckBits starts a background check of the 1-bit pass when s has
// reached minBitSlots chunks, or grown bitCheckGrowth-fold since the last
// check, and none is running. Callers hold addMu (or load the index).
//
// With the local embedder the pass stays off, unchecked: the proxy is not
// to be trusted there. On the synthetic 100k index (cmd/scalebench, 512-d)
// it chose 1/4, where the synthetic questions' recall@10 was 0.988.
func (ix *Index) maybeCheckBits(s *snapshot) {
	if ix.local {
		return
	}
	n := len(s.chunks)
	vs := ix.vecs
	if !vs.checkDue(n, ix.bitMin) {
		return
	}
	vs.pin() // no slot the check reads is reused meanwhile
	v := s.vecs
	ix.bitWG.Go(func() {
		defer vs.unpin()
		start := time.Now()
		c := v.bitRecalls(bitFractions(), bitCheckQueries, bitCheckK, bitCheckSeed, bitCheckRecall, ix.bitCost)
		f, recall := c.choose(bitCheckRecall)
		if f > 0 {
			c = v.bitRecalls(bitFractions(), bitConfirmQueries, bitCheckK, bitCheckSeed, bitCheckRecall, ix.bitCost)
			f, recall = c.choose(bitCheckRecall)
		}
		vs.checked(n, f)
		var bits time.Duration // the median query of the last fraction tried
		if len(c.costs) > 0 {
			bits = c.costs[len(c.costs)-1]
		}
		ix.log.Info("checked the 1-bit vector pass", "on", f > 0, "fraction", f, "recall_at_10", recall,
			"query_4bit", c.base.Round(time.Microsecond), "query_1bit", bits.Round(time.Microsecond),
			"sample", c.asked, "chunks", n, "dims", v.dim, "took", time.Since(start).Round(time.Millisecond))
	})
}

// WaitVectorCheck waits for a running background check of the 1-bit
// vector pass to end (see the constants above); tests use it to make
// results deterministic.
func (ix *Index) WaitVectorCheck() { ix.bitWG.Wait() }

// checkDue reports whether a check of the 1-bit pass is due at n chunks
// (the first at bitMin or more), and if so marks one running.
func (s *vecStore) checkDue(n, bitMin int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bitRunning || n < bitMin || n < bitCheckGrowth*s.bitChecked || s.dim == 0 || vecscan.Words(s.dim) == 0 {
		return false
	}
	s.bitRunning = true
	return true
}

// checked records a check's decision: from now on searches pass one in
// fraction slots from the 1-bit pass to the 4-bit codes (0: no 1-bit pass).
func (s *vecStore) checked(n, fraction int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bitRunning, s.bitChecked = false, n
	s.bitFrac.Store(int32(fraction))
}

// BitFraction returns the share of the slots the vector scan's 1-bit pass
// passes on to the 4-bit codes (one in BitFraction), as the last background
// check decided, or 0 while the pass is off.
func (ix *Index) BitFraction() int {
	if f := ix.current().vecs.bitFrac; f != nil {
		return int(f.Load())
	}
	return 0
}
