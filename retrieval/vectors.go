package retrieval

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/briefbot/briefbot/retrieval/topk"
	"github.com/briefbot/briefbot/retrieval/vecscan"
)

// slabSlots is how many vectors a full slab holds (4 MiB of 512-dimensional
// float32 vectors); the first slabs of a store are smaller.
const slabSlots = 2048

// vecStore holds the chunks' unit embeddings in slabs: contiguous []float32
// blocks of slabSlots vectors each, dimension-strided, and beside each slab
// the vectors' 4-bit codes (vecscan: half a byte per dimension and one
// float32 scale per vector) and 1-bit codes (one bit per dimension), which a
// search scans first. A vector lives in a slot
// for as long as its chunk is indexed, and a search reads the slabs in
// memory order.
//
// Slabs never move. A slot is reserved while its chunk is prepared (only
// the Add in progress writes it; no snapshot refers to it yet), gets its
// codes when the snapshot that indexes the chunk is built (encode),
// becomes visible when that snapshot is published, and is freed after the
// snapshot that drops the chunk is published, when no search can still
// read it.
type vecStore struct {
	mu     sync.Mutex
	dim    int
	slabs  [][]float32
	codes  [][]byte    // slabSlots*vecscan.Stride(dim) bytes of codes per slab
	scales [][]float32 // slabSlots scales per slab
	bits   [][]uint64  // slabSlots*vecscan.Words(dim) words per slab; nil slabs when bitless
	// bitless stores no 1-bit codes: the 1-bit pass is never turned on
	// for this index (the local embedder), so they would cost 64 B per
	// chunk at 512-d and a restart's time for nothing.
	bitless bool
	next    int32   // slots below next have been handed out at least once
	free    []int32 // freed slots, reused first
	// pins counts merges writing a snapshot out; while there are any,
	// released slots wait in held, so that no vector the snapshot shows
	// is overwritten.
	pins int
	held []int32
	// bitFrac is the 1-bit pass's share of the slots (one in bitFrac, 0:
	// no 1-bit pass), set by the background check (bitcal.go), read by
	// searches; bitChecked is the chunk count of the last check,
	// bitRunning tells whether one runs.
	bitFrac    atomic.Int32
	bitChecked int
	bitRunning bool
}

// pin holds released slots back until unpin.
func (s *vecStore) pin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pins++
}

// unpin undoes pin; the last one frees the slots held back.
func (s *vecStore) unpin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pins--
	if s.pins == 0 {
		s.free = append(s.free, s.held...)
		s.held = nil
	}
}

// dimension returns the vectors' dimension, 0 before the first.
func (s *vecStore) dimension() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dim
}

// setDim fixes the dimension of the vectors; it may change only while no
// slot is in use (reserved or indexed). It reports an error for a vector of
// another dimension.
func (s *vecStore) setDim(dim int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dim == dim {
		return nil
	}
	if s.dim != 0 && int(s.next) > len(s.free) {
		return fmt.Errorf("%d-dimensional embeddings, the index holds %d", dim, s.dim)
	}
	if dim > vecscan.MaxDims {
		return fmt.Errorf("%d-dimensional embeddings, at most %d supported", dim, vecscan.MaxDims)
	}
	s.dim, s.slabs, s.codes, s.scales, s.bits, s.next, s.free = dim, nil, nil, nil, nil, 0, nil
	s.bitChecked = 0
	s.bitFrac.Store(0)
	return nil
}

// reserve hands out n slots.
func (s *vecStore) reserve(n int, out []int32) []int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ; n > 0 && len(s.free) > 0; n-- {
		out = append(out, s.free[len(s.free)-1])
		s.free = s.free[:len(s.free)-1]
	}
	for ; n > 0; n-- {
		if b := int(s.next) / slabSlots; b == len(s.slabs) || int(s.next)%slabSlots*s.dim == len(s.slabs[b]) {
			// The last slab is full: the next one starts at a slab
			// boundary (the slots a short slab leaves are never used).
			prev := 0
			if len(s.slabs) > 0 {
				prev = len(s.slabs[len(s.slabs)-1]) / max(1, s.dim)
			}
			s.next = int32(len(s.slabs) * slabSlots)
			n := min(slabSlots, max(n, 2*prev, minSlabSlots))
			s.slabs = append(s.slabs, make([]float32, n*s.dim))
			s.codes = append(s.codes, make([]byte, n*vecscan.Stride(s.dim)))
			s.scales = append(s.scales, make([]float32, n))
			var bits []uint64
			if !s.bitless {
				bits = make([]uint64, n*vecscan.Words(s.dim))
			}
			s.bits = append(s.bits, bits)
		}
		out = append(out, s.next)
		s.next++
	}
	return out
}

// minSlabSlots is the size of a store's first slab. Each later slab is
// twice the size of the one before (or as large as the reservation that
// needs it), up to slabSlots, so that a store allocates about what it
// holds: a small index, or a file that names a few huge vectors, never
// costs a whole slab of the largest dimension.
const minSlabSlots = 16

// release returns slots for reuse.
func (s *vecStore) release(slots []int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range slots {
		switch {
		case x < 0:
		case s.pins > 0:
			s.held = append(s.held, x)
		default:
			s.free = append(s.free, x)
		}
	}
}

// vec returns slot's vector. Callers either reserved the slot or read it
// through a published snapshot.
func (s *vecStore) vec(slot int32) []float32 {
	s.mu.Lock()
	slab := s.slabs[int(slot)/slabSlots]
	dim := s.dim
	s.mu.Unlock()
	o := int(slot) % slabSlots * dim
	return slab[o : o+dim : o+dim]
}

// minEncodePerWorker is the fewest vectors worth an encoding goroutine of
// their own.
const minEncodePerWorker = 4096

// encode makes the codes of the vectors in slots, which the caller has
// reserved and filled, on every core for many. (Recomputing codes is
// cheaper than storing them: see docs/scaling.md.)
func (s *vecStore) encode(slots []int32) {
	s.mu.Lock()
	codes, scales, dim := slices.Clip(s.codes), slices.Clip(s.scales), s.dim
	slabs, bits := slices.Clip(s.slabs), slices.Clip(s.bits)
	s.mu.Unlock()
	words, st := vecscan.Words(dim), vecscan.Stride(dim)
	one := func(slot int32) {
		b, o := int(slot)/slabSlots, int(slot)%slabSlots
		v := slabs[b][o*dim : (o+1)*dim]
		scales[b][o] = vecscan.QuantizeInto(codes[b][o*st:(o+1)*st], v)
		if bits[b] != nil {
			vecscan.SignBitsInto(bits[b][o*words:(o+1)*words], v)
		}
	}
	w := max(1, min(runtime.GOMAXPROCS(0), len(slots)/minEncodePerWorker))
	vecscan.Ranges(len(slots), w, func(_, lo, hi int) {
		for _, slot := range slots[lo:hi] {
			if slot >= 0 {
				one(slot)
			}
		}
	})
}

// view returns a read-only view of the vectors and codes of the slots
// handed out so far, without their chunks (see setChunks and fullView).
func (s *vecStore) view() vecView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return vecView{dim: s.dim, slabs: slices.Clip(s.slabs), codes: slices.Clip(s.codes),
		scales: slices.Clip(s.scales), bits: slices.Clip(s.bits), slots: int(s.next), bitFrac: &s.bitFrac}
}

// vecView is a snapshot's read-only view of the vectors and their codes.
type vecView struct {
	dim    int
	slabs  [][]float32
	codes  [][]byte
	scales [][]float32
	bits   [][]uint64
	slots  int // slots handed out
	// bitFrac is the store's 1-bit pass share (vecStore.bitFrac), nil
	// for an empty view.
	bitFrac *atomic.Int32
	// slotChunk maps a slot to its chunk's number, -1 for a slot not in
	// use, in blocks of slabSlots: the next snapshot copies only the
	// blocks whose slots it changes.
	slotChunk [][]int32
}

// chunkOf returns the chunk in slot, -1 for none.
func (v *vecView) chunkOf(slot int) int32 {
	return v.slotChunk[slot/slabSlots][slot%slabSlots]
}

// setChunks returns base (a view without chunks, from vecStore.view) with
// v's chunks, those of some slots changed (-1 for none), sharing the
// blocks it does not change.
func (v vecView) setChunks(base vecView, set map[int32]int32) vecView {
	out := base
	out.slotChunk = slices.Clone(v.slotChunk)
	if base.dim != v.dim {
		out.slotChunk = nil
	}
	owned := map[int]bool{}
	for len(out.slotChunk)*slabSlots < out.slots {
		b := make([]int32, slabSlots)
		for i := range b {
			b[i] = -1
		}
		owned[len(out.slotChunk)] = true
		out.slotChunk = append(out.slotChunk, b)
	}
	for slot, c := range set {
		b := int(slot) / slabSlots
		if !owned[b] {
			out.slotChunk[b] = slices.Clone(out.slotChunk[b])
			owned[b] = true
		}
		out.slotChunk[b][int(slot)%slabSlots] = c
	}
	return out
}

func (v *vecView) vec(slot int32) []float32 {
	o := int(slot) % slabSlots * v.dim
	return v.slabs[int(slot)/slabSlots][o : o+v.dim : o+v.dim]
}

// vecHit is a chunk (ID) and its cosine similarity to the query.
type vecHit = topk.Item[float32]

// rescoreFactor and minRescore set how many candidates the code scan
// passes to the exact rescoring: rescoreFactor times the hits wanted, and
// at least minRescore. At the default 100 hits that is 400, which keeps
// the top 100 of the exact scan (measured on MultiHop-RAG in
// TestQuantisedRecall).
const (
	rescoreFactor = 4
	minRescore    = 400
)

// minScanPerWorker is the fewest slots worth a goroutine of their own.
const minScanPerWorker = 8192

// scan returns the k chunks most similar to the unit vector q, best first
// (ties by chunk order), among those whose article allowed admits (nil:
// all). The similarity of each is the float32 dot product summed in the
// same order as chromem-go's, so the scores are chromem's to the bit.
//
// With a filter that leaves few chunks (the list in slots), only those are
// scored, exactly. Otherwise every core scans the 4-bit codes of pieces of
// the slots (vecscan's SIMD kernel; vecScan hands the pieces out), the
// best rescoreFactor*k candidates of all are rescored exactly in float32,
// and the best k of those are returned; an index of fewer slots than that
// is scored exactly throughout. With the 1-bit pass on (the store's
// background check turns it on where it keeps recall: see bitcal.go),
// each piece's 1-bit codes are scanned first and pass the best of them to
// the 4-bit codes.
func (v *vecView) scan(q []float32, k int, chunkArt []int32, allowed []bool, slots []int32) []vecHit {
	return v.scanWith(q, k, chunkArt, allowed, slots, v.fraction())
}

// fraction returns the 1-bit pass's share of the slots now (0: off).
func (v *vecView) fraction() int {
	if v.bitFrac == nil {
		return 0
	}
	return int(v.bitFrac.Load())
}

// scanWith is scan, with a 1-bit pass passing one in fraction slots to the
// 4-bit codes, or none for a fraction of 0.
func (v *vecView) scanWith(q []float32, k int, chunkArt []int32, allowed []bool, slots []int32, fraction int) []vecHit {
	return v.newScan(q, k, chunkArt, allowed, slots, fraction).run(0)
}

// codeRun is the most slots one call of the code kernel scores.
const codeRun = 256

// runs calls fn on the runs of slots in [lo, hi) in use whose article
// allowed admits, each run within one slab (b; o is the first slot's
// offset in it) and at most codeRun long.
func (v *vecView) runs(lo, hi int, chunkArt []int32, allowed []bool, fn func(slot, b, o, n int)) {
	for slot := lo; slot < hi; {
		b, o := slot/slabSlots, slot%slabSlots
		// The slots' chunks up to the run's limit, read from their
		// block as one slice: a lookup per slot (chunkOf) cost a tenth
		// of the scan.
		chunks := v.slotChunk[b][o : o+min(hi, (b+1)*slabSlots, slot+codeRun)-slot]
		n := 0
		for _, c := range chunks {
			if c < 0 || allowed != nil && !allowed[chunkArt[c]] {
				break
			}
			n++
		}
		if n == 0 {
			slot++
			continue
		}
		fn(slot, b, o, n)
		slot += n
	}
}

// pushAbove pushes into t the slots from slot on with scores sims that
// can enter it.
func pushAbove(t *topk.Buffer[float32], slot int, sims []float32) {
	thr := t.Threshold()
	for i, x := range sims {
		if x < thr {
			continue // most are: no call
		}
		t.Push(vecHit{ID: int32(slot + i), Score: x})
		thr = t.Threshold()
	}
}

// scanCodes keeps in t the slots in [lo, hi) that allowed admits best by
// the approximate similarity of their codes (IDs are slots, not chunks).
// Only slots in use are read: runs of them, within one slab, go to the
// kernel at once.
func (v *vecView) scanCodes(q vecscan.Query, lo, hi int, chunkArt []int32, allowed []bool, t *topk.Buffer[float32]) {
	var sims [codeRun]float32
	st := vecscan.Stride(v.dim)
	v.runs(lo, hi, chunkArt, allowed, func(slot, b, o, n int) {
		vecscan.Dots(v.codes[b][o*st:(o+n)*st], v.scales[b][o:o+n], q, sims[:n])
		pushAbove(t, slot, sims[:n])
	})
}

// scanBits returns about the c1 slots in [lo, hi) that allowed admits best
// by the estimated similarity of their 1-bit codes (vecscan.BitDots).
func (v *vecView) scanBits(q vecscan.BitQuery, c1, lo, hi int, chunkArt []int32, allowed []bool) []int32 {
	w := vecscan.Words(v.dim)
	return vecscan.SelectBits(c1, v.dim, lo, hi, func(b, e int, out []int32) {
		for i := range out {
			out[i] = vecscan.NoScore
		}
		v.runs(b, e, chunkArt, allowed, func(slot, sb, o, n int) {
			vecscan.BitDots(v.bits[sb][o*w:(o+n)*w], q, out[slot-b:slot-b+n])
		})
	})
}

// refine keeps in t the candidate slots best by the approximate similarity
// of their 4-bit codes, prefetching each some candidates ahead.
func (v *vecView) refine(q vecscan.Query, slots []int32, t *topk.Buffer[float32]) {
	st := vecscan.Stride(v.dim)
	codes := func(slot int32) []byte {
		b, o := int(slot)/slabSlots, int(slot)%slabSlots
		return v.codes[b][o*st : (o+1)*st]
	}
	for j, slot := range slots {
		if j+vecscan.PrefetchAhead < len(slots) {
			vecscan.Prefetch(codes(slots[j+vecscan.PrefetchAhead]))
		}
		t.Push(vecHit{ID: slot, Score: vecscan.DotCodes(codes(slot), v.scales[int(slot)/slabSlots][int(slot)%slabSlots], q)})
	}
}

// scanRange scores exactly the chunks in slots [lo, hi) that allowed
// admits.
func (v *vecView) scanRange(q []float32, lo, hi int, chunkArt []int32, allowed []bool, t *topk.Heap[float32]) {
	e := vecscan.NewRescorer(q, t)
	for slot := lo; slot < hi; slot++ {
		c := v.chunkOf(slot)
		if c < 0 || allowed != nil && !allowed[chunkArt[c]] {
			continue
		}
		e.Add(c, v.vec(int32(slot)))
	}
	e.Flush()
}

// scanList scores exactly the chunks in the given slots.
func (v *vecView) scanList(q []float32, slots []int32, t *topk.Heap[float32]) {
	e := vecscan.NewRescorer(q, t)
	for _, slot := range slots {
		e.Add(v.chunkOf(int(slot)), v.vec(slot))
	}
	e.Flush()
}

// normalized scales v to unit length in place (chromem-go does not normalise
// what an embedding function returns) and returns it; it returns nil for an
// empty, zero or non-finite vector. Its result is within chromem-go's
// tolerance of unit length, so chromem keeps the slice as it is.
func normalized(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return nil
	}
	if math.Abs(s-1) < 1e-9 {
		return v
	}
	inv := float32(1 / math.Sqrt(s))
	if math.IsInf(float64(inv), 0) {
		// A vector of subnormal components: its inverse length overflows
		// float32, so it is scaled in float64.
		inv64 := 1 / math.Sqrt(s)
		for i := range v {
			v[i] = float32(float64(v[i]) * inv64)
		}
		return v
	}
	for i := range v {
		v[i] *= inv
	}
	return v
}
