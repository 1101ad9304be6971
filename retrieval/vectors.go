package retrieval

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
)

// slabSlots is how many vectors a full slab holds (4 MiB of 512-dimensional
// float32 vectors); the first slabs of a store are smaller.
const slabSlots = 2048

// vecStore holds the chunks' unit embeddings in slabs: contiguous []float32
// blocks of slabSlots vectors each, dimension-strided. A vector lives in a
// slot for as long as its chunk is indexed; the chromem-go documents hold
// sub-slices of the slabs (chromem keeps a unit vector as it is given), so
// no vector is stored twice, and a search scans the slabs in memory order.
//
// Slabs never move. A slot is reserved while its chunk is prepared (only
// the Add in progress writes it; no snapshot refers to it yet), becomes
// visible when the snapshot that indexes the chunk is published, and is
// freed after the snapshot that drops the chunk is published, when no
// search can still read it.
type vecStore struct {
	mu    sync.Mutex
	dim   int
	slabs [][]float32
	next  int32   // slots below next have been handed out at least once
	free  []int32 // freed slots, reused first
	// pins counts merges writing a snapshot out; while there are any,
	// released slots wait in held, so that no vector the snapshot shows
	// is overwritten.
	pins int
	held []int32
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
	s.dim, s.slabs, s.next, s.free = dim, nil, 0, nil
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
			s.slabs = append(s.slabs, make([]float32, min(slabSlots, max(n, 2*prev, minSlabSlots))*s.dim))
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

// view returns the slabs and the number of slots handed out, for a
// snapshot.
func (s *vecStore) view() (slabs [][]float32, slots int, dim int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clip(s.slabs), int(s.next), s.dim
}

// vecView is a snapshot's read-only view of the vectors.
type vecView struct {
	dim   int
	slabs [][]float32
	slots int // slots handed out
	// slotChunk maps a slot to its chunk's number, -1 for a slot not in
	// use, in blocks of slabSlots: the next snapshot copies only the
	// blocks whose slots it changes.
	slotChunk [][]int32
}

// chunkOf returns the chunk in slot, -1 for none.
func (v *vecView) chunkOf(slot int) int32 {
	return v.slotChunk[slot/slabSlots][slot%slabSlots]
}

// setChunks returns a copy of v over the given slabs and slots with the
// chunks of some slots changed (-1 for none), sharing the blocks it does
// not change.
func (v vecView) setChunks(slabs [][]float32, slots, dim int, set map[int32]int32) vecView {
	out := vecView{dim: dim, slabs: slabs, slots: slots, slotChunk: slices.Clone(v.slotChunk)}
	if dim != v.dim {
		out.slotChunk = nil
	}
	owned := map[int]bool{}
	for len(out.slotChunk)*slabSlots < slots {
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

// vecHit is a chunk and its cosine similarity to the query.
type vecHit struct {
	sim   float32
	chunk int32
}

// worse reports whether a ranks below b: lower similarity, or the same and
// a later chunk.
func worse(a, b vecHit) bool {
	return a.sim < b.sim || a.sim == b.sim && a.chunk > b.chunk
}

// topHits keeps the best k hits seen: a heap with the worst at the root.
type topHits struct {
	k int
	h []vecHit
}

func (t *topHits) push(x vecHit) {
	if len(t.h) < t.k {
		t.h = append(t.h, x)
		for i := len(t.h) - 1; i > 0; {
			p := (i - 1) / 2
			if !worse(t.h[i], t.h[p]) {
				break
			}
			t.h[i], t.h[p] = t.h[p], t.h[i]
			i = p
		}
		return
	}
	if !worse(t.h[0], x) {
		return
	}
	t.h[0] = x
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(t.h) && worse(t.h[l], t.h[m]) {
			m = l
		}
		if r < len(t.h) && worse(t.h[r], t.h[m]) {
			m = r
		}
		if m == i {
			break
		}
		t.h[i], t.h[m] = t.h[m], t.h[i]
		i = m
	}
}

// minScanPerWorker is the fewest slots worth a goroutine of their own.
const minScanPerWorker = 2048

// scan returns the k chunks most similar to the unit vector q, best first
// (ties by chunk order), among those whose article allowed admits (nil:
// all). The similarity of each is the float32 dot product summed in the
// same order as chromem-go's, so the scores are chromem's to the bit. With
// a filter that leaves few chunks (the list in slots), only those are
// scanned; otherwise every core scans a contiguous range of slots.
func (v *vecView) scan(q []float32, k int, chunkArt []int32, allowed []bool, slots []int32) []vecHit {
	if k <= 0 {
		return nil
	}
	var parts [][]vecHit
	if slots != nil {
		t := topHits{k: k}
		v.scanList(q, slots, &t)
		parts = append(parts, t.h)
	} else {
		n := v.slots
		w := max(1, min(runtime.GOMAXPROCS(0), n/minScanPerWorker))
		parts = make([][]vecHit, w)
		var wg sync.WaitGroup
		for p := 0; p < w; p++ {
			lo, hi := p*n/w, (p+1)*n/w
			run := func() {
				t := topHits{k: k}
				v.scanRange(q, lo, hi, chunkArt, allowed, &t)
				parts[p] = t.h
			}
			if p == w-1 {
				run()
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				run()
			}()
		}
		wg.Wait()
	}
	var all []vecHit
	for _, p := range parts {
		all = append(all, p...)
	}
	slices.SortFunc(all, func(a, b vecHit) int {
		return cmp.Or(cmp.Compare(b.sim, a.sim), cmp.Compare(a.chunk, b.chunk))
	})
	if len(all) > k {
		all = all[:k]
	}
	return all
}

// scanRange scores the chunks in slots [lo, hi) that allowed admits, four
// at a time.
func (v *vecView) scanRange(q []float32, lo, hi int, chunkArt []int32, allowed []bool, t *topHits) {
	var chunks [4]int32
	var vecs [4][]float32
	n := 0
	for slot := lo; slot < hi; slot++ {
		c := v.chunkOf(slot)
		if c < 0 || allowed != nil && !allowed[chunkArt[c]] {
			continue
		}
		chunks[n], vecs[n] = c, v.vec(int32(slot))
		if n++; n == 4 {
			s := dot4(q, &vecs)
			for i := range s {
				t.push(vecHit{s[i], chunks[i]})
			}
			n = 0
		}
	}
	for i := 0; i < n; i++ {
		t.push(vecHit{dot(q, vecs[i]), chunks[i]})
	}
}

// scanList scores the chunks in the given slots.
func (v *vecView) scanList(q []float32, slots []int32, t *topHits) {
	var chunks [4]int32
	var vecs [4][]float32
	n := 0
	for _, slot := range slots {
		chunks[n], vecs[n] = v.chunkOf(int(slot)), v.vec(slot)
		if n++; n == 4 {
			s := dot4(q, &vecs)
			for i := range s {
				t.push(vecHit{s[i], chunks[i]})
			}
			n = 0
		}
	}
	for i := 0; i < n; i++ {
		t.push(vecHit{dot(q, vecs[i]), chunks[i]})
	}
}

// dot is the dot product of two vectors of the same length, summed in
// order in float32, as chromem-go does.
func dot(q, a []float32) float32 {
	a = a[:len(q)]
	var s float32
	for i, x := range q {
		s += x * a[i]
	}
	return s
}

// dot4 computes four dot products with q at once. Each is summed in order,
// exactly as dot does; interleaving four independent sums keeps the
// processor's adders busy where a single sum waits on each addition. (Four
// beat eight: eight sums do not fit the registers Go uses.) Large scans are
// bound by memory bandwidth either way.
func dot4(q []float32, v *[4][]float32) [4]float32 {
	n := len(q)
	a0, a1, a2, a3 := v[0][:n], v[1][:n], v[2][:n], v[3][:n]
	var s0, s1, s2, s3 float32
	for i, x := range q {
		s0 += x * a0[i]
		s1 += x * a1[i]
		s2 += x * a2[i]
		s3 += x * a3[i]
	}
	return [4]float32{s0, s1, s2, s3}
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
	for i := range v {
		v[i] *= inv
	}
	return v
}
