// Package vecscan finds the vectors most similar to a query in two passes:
// a scan of compact 4-bit codes (half a byte per dimension and one float32
// scale per vector) picks the best candidates, and the candidates are
// rescored exactly against their float32 vectors, so the similarities it
// returns are the exact float32 dot products.
//
// The code scan runs an AVX-512 VNNI kernel on amd64 processors that have
// it, an AVX2 kernel on those that have AVX2 and a pure-Go kernel
// elsewhere (or with the purego build tag); all compute the same integer
// dot products, so the results do not depend on the
// processor. A segment of an index owns its Codes and appends to them as it
// grows; the float32 vectors may live anywhere (in memory or mapped from a
// file), as long as vector i is vectors[i*dims:(i+1)*dims].
//
// The rescoring reads the float32 vectors directly rather than through
// chromem-go's documents: chromem-go v0.7 has no way to score a given set
// of documents (QueryEmbedding always scans the whole collection, a where
// filter included), and GetByID clones the embedding and the metadata map
// on every call, under the collection's lock. Dot sums in chromem-go's
// order, so the scores are the ones chromem-go would give, to the bit.
package vecscan

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/briefbot/briefbot/retrieval/topk"
)

// MaxDims is the largest dimension Codes accept: with codes in [0, 15] and
// query codes in [-127, 127], a dot product of MaxDims terms cannot
// overflow an int32.
const MaxDims = 8192

// queryMax is the largest magnitude of a query code: the query is
// quantised to int8 (7 bits of magnitude), far finer than the codes' 4
// bits, so its rounding adds little to theirs.
const queryMax = 127

// codeLevels is the largest 4-bit code: a coordinate x of a vector whose
// largest magnitude is m gets the code round((x/m+1)*codeLevels/2), in
// [0, codeLevels], and stands for m*(2*code-codeLevels)/codeLevels.
const codeLevels = 15

// blockDims is how many dimensions one block of codes holds: 32 bytes,
// the low nibble of byte j dimension j of the block, the high nibble
// dimension 32+j (one 256-bit register, split by a shift and a mask).
const blockDims = 64

// Stride returns the bytes of one vector's codes: a whole number of
// 32-byte blocks, the dimensions past dims padded (with codes that the
// query's zero coordinates there cancel).
func Stride(dims int) int { return (dims + blockDims - 1) / blockDims * (blockDims / 2) }

// Codes are the 4-bit codes of a set of vectors: vector i's are
// Codes[i*Stride(Dims):(i+1)*Stride(Dims)] (QuantizeInto), to be scaled
// by Scales[i].
//
// Bits are the vectors' 1-bit codes (see SignBitsInto): vector i's is
// Bits[i*Words(Dims):(i+1)*Words(Dims)].
type Codes struct {
	Dims   int
	Codes  []byte
	Scales []float32
	Bits   []uint64
}

// Quantize returns the codes of vecs, a contiguous block of vectors of dims
// dimensions each.
func Quantize(vecs []float32, dims int) Codes {
	c := Codes{Dims: dims}
	c.Append(vecs)
	return c
}

// Len returns the number of vectors.
func (c *Codes) Len() int { return len(c.Scales) }

// Bytes returns the memory the codes take, in bytes.
func (c *Codes) Bytes() int { return len(c.Codes) + 4*len(c.Scales) + 8*len(c.Bits) }

// Append adds the codes of vecs, a contiguous block of vectors of c.Dims
// dimensions each. It panics if vecs is not a whole number of vectors or
// the dimension is out of range: both are programming errors.
func (c *Codes) Append(vecs []float32) {
	if c.Dims <= 0 || c.Dims > MaxDims {
		panic(fmt.Sprintf("vecscan: %d dimensions, want 1 to %d", c.Dims, MaxDims))
	}
	if len(vecs)%c.Dims != 0 {
		panic(fmt.Sprintf("vecscan: %d floats are not a whole number of %d-dimensional vectors", len(vecs), c.Dims))
	}
	n := len(vecs) / c.Dims
	st, o := Stride(c.Dims), len(c.Codes)
	c.Codes = append(c.Codes, make([]byte, n*st)...)
	w, ob := Words(c.Dims), len(c.Bits)
	c.Bits = append(c.Bits, make([]uint64, n*w)...)
	for i := 0; i < n; i++ {
		v := vecs[i*c.Dims : (i+1)*c.Dims]
		c.Scales = append(c.Scales, QuantizeInto(c.Codes[o+i*st:o+(i+1)*st], v))
		SignBitsInto(c.Bits[ob+i*w:ob+(i+1)*w], v)
	}
}

// QuantizeInto writes v's 4-bit codes into dst (Stride(len(v)) bytes, in
// blocks of blockDims dimensions) and returns their scale: the code of a
// coordinate x is round((x/m+1)*7.5), m the largest magnitude in v, and
// stands for (2*code-15)*scale with scale m/15. A zero vector, or one
// holding a NaN or an infinity, gets zero codes and scale 0 (it matches
// nothing).
func QuantizeInto(dst []byte, v []float32) float32 {
	dst = dst[:Stride(len(v))]
	clear(dst)
	m := maxAbs(v)
	if m == 0 {
		return 0
	}
	inv := codeLevels / 2.0 / m
	// code rounds (x/m+1)*7.5, in [0, 15] (a rounding may take it a hair
	// below 0 or above 15, never to -0.5 or 15.5), to the nearest: the
	// conversion truncates it plus a half.
	code := func(x float32) byte { return byte(int32(x*inv + (codeLevels+1)/2.0)) }
	const half = blockDims / 2
	b := 0
	for ; (b+1)*blockDims <= len(v); b++ {
		lo, hi, out := v[b*blockDims:][:half], v[b*blockDims+half:][:half], dst[b*half:][:half]
		for j := range out {
			out[j] = code(lo[j]) | code(hi[j])<<4
		}
	}
	for i, x := range v[b*blockDims:] { // the last block, part padding
		if i < half {
			dst[b*half+i] |= code(x)
		} else {
			dst[b*half+i-half] |= code(x) << 4
		}
	}
	return m / codeLevels
}

// round rounds f to the nearest integer, halves away from zero, as
// math.Round does (but for the float32 just below a half, which the
// addition rounds up), without a branch: the conversion truncates f plus a
// half of f's sign.
func round(f float32) int32 {
	half := math.Float32frombits(math.Float32bits(f)&(1<<31) | math.Float32bits(0.5))
	return int32(f + half)
}

// maxAbs returns the largest magnitude in v, or 0 when v holds a NaN or an
// infinity (such a vector can match nothing). It compares the magnitudes'
// bits as integers (for floats without their sign, the order is the same),
// four lanes at a time: Go's max on floats must order NaNs and signed zeros,
// which made it most of the cost of quantising an index at load.
func maxAbs(v []float32) float32 {
	const magnitude, inf = 1<<31 - 1, 0x7f800000
	var m0, m1, m2, m3 uint32
	i := 0
	for ; i+4 <= len(v); i += 4 {
		m0 = max(m0, math.Float32bits(v[i])&magnitude)
		m1 = max(m1, math.Float32bits(v[i+1])&magnitude)
		m2 = max(m2, math.Float32bits(v[i+2])&magnitude)
		m3 = max(m3, math.Float32bits(v[i+3])&magnitude)
	}
	for ; i < len(v); i++ {
		m0 = max(m0, math.Float32bits(v[i])&magnitude)
	}
	m := max(m0, m1, m2, m3)
	if m >= inf { // an infinity, or a NaN (exponent all ones)
		return 0
	}
	return math.Float32frombits(m)
}

// Query is a query vector quantised for Dots: int8 codes (padded with
// zeros to whole blocks), the same in the 512-bit kernel's order where it
// runs (widen), their sum and their scale.
type Query struct {
	codes []int8
	wide  []int8
	sum   int32
	scale float32
}

// NewQuery quantises a query vector.
func NewQuery(q []float32) Query {
	out := Query{codes: make([]int8, 2*Stride(len(q)))}
	m := maxAbs(q)
	if m == 0 {
		return out
	}
	inv := queryMax / m
	for i, x := range q {
		c := round(x * inv)
		out.codes[i] = int8(c)
		out.sum += c
	}
	out.scale = m / queryMax
	if wideKernel() {
		out.wide = widen(out.codes)
	}
	return out
}

// score turns the integer dot product of a vector's codes with q's into
// the approximate similarity, given the vector's scale: the codes stand
// for 2*code-15 times the scale.
func (q *Query) score(dot int32, scale float32) float32 {
	return float32(2*dot-codeLevels*q.sum) * scale * q.scale
}

// Dots sets out[i] to the approximate dot product of q with the i-th
// vector whose codes are codes[i*Stride(dims):(i+1)*Stride(dims)] and
// whose scale is scales[i]. It runs the AVX2 kernel where the processor
// has it; every kernel computes the same integer sums, so the results are
// the same on every processor. The codes must be of q's dimension.
func Dots(codes []byte, scales []float32, q Query, out []float32) {
	var dots [block]int32
	st := len(q.codes) / 2
	for b := 0; b < len(out); b += block {
		e := min(b+block, len(out))
		dotsNibble(codes[b*st:e*st], q.codes, q.wide, st, dots[:e-b])
		for i, x := range dots[:e-b] {
			out[b+i] = q.score(x, scales[b+i])
		}
	}
}

// PrefetchAhead is how many candidates ahead of its DotCodes a candidate's
// codes are best prefetched: at 100k x 1536-d, refining 12.5k candidates
// of the 1-bit pass (then to int8 codes) took about 10 ms without
// prefetching, 8 ms 4 ahead and 1.9 ms 8 ahead.
const PrefetchAhead = 8

// DotCodes is Dots for one vector: the approximate dot product of q with
// the vector whose codes are codes (Stride of q's dimension) and whose
// scale is scale.
func DotCodes(codes []byte, scale float32, q Query) float32 {
	var dot [1]int32
	dotsNibble(codes, q.codes, q.wide, len(q.codes)/2, dot[:])
	return q.score(dot[0], scale)
}

// Result is a vector (ID: its position in Codes and vectors) and its
// similarity to the query.
type Result = topk.Item[float32]

// Options parameterise SearchWith.
type Options struct {
	// K is the number of results.
	K int
	// Candidates is how many vectors the code scan passes to the exact
	// rescoring (at least K).
	Candidates int
	// Keep, when not nil, admits only the vectors i for which Keep(i) is
	// true.
	Keep func(i int) bool
	// Workers is how many goroutines scan the codes; 0 means GOMAXPROCS,
	// with at least MinPerWorker vectors each.
	Workers int
	// BitCandidates, when above Candidates, makes the scan start with the
	// 1-bit codes: their best BitCandidates vectors go to the 4-bit codes,
	// whose best Candidates go to the exact rescoring.
	BitCandidates int
}

// MinPerWorker is the fewest vectors worth a scanning goroutine of their
// own.
const MinPerWorker = 8192

// Search returns the k vectors most similar to query by dot product, best
// first (ties by index), choosing them among the candidates best by their
// codes. vectors holds the float32 vectors the codes were made from.
func Search(c *Codes, vectors, query []float32, k, candidates int) []Result {
	return SearchWith(c, vectors, query, Options{K: k, Candidates: candidates})
}

// SearchWith is Search with every option. Each of the workers scans the
// codes of a contiguous range of the vectors, rescores its own best
// Candidates exactly and keeps its best K; the best K of all are returned.
func SearchWith(c *Codes, vectors, query []float32, o Options) []Result {
	if o.K <= 0 || c.Len() == 0 {
		return nil
	}
	if len(query) != c.Dims {
		panic(fmt.Sprintf("vecscan: %d-dimensional query, the codes have %d", len(query), c.Dims))
	}
	n := max(o.K, o.Candidates)
	bits := o.BitCandidates > n && o.BitCandidates < c.Len()
	q := NewQuery(query)
	var qb BitQuery
	if bits {
		qb = NewBitQuery(query)
	}
	total := c.Len()
	w := workerCount(o.Workers, total)
	parts := make([][]Result, w)
	Ranges(total, w, func(p, lo, hi int) {
		var cands []Result
		if bits {
			cands = scanBitsRange(c, q, qb, lo, hi, n, BitShare(o.BitCandidates, lo, hi, total), o.Keep)
		} else {
			cands = scanRange(c, q, lo, hi, n, o.Keep)
		}
		parts[p] = Rescore(vectors, c.Dims, query, cands, o.K)
	})
	return topk.Merge(o.K, parts...)
}

// workerCount is how many goroutines scan total vectors when asked for
// workers (0: GOMAXPROCS, with at least MinPerWorker vectors each).
func workerCount(workers, total int) int {
	w := workers
	if w <= 0 {
		w = max(1, min(runtime.GOMAXPROCS(0), total/MinPerWorker))
	}
	return min(w, total)
}

// scanBitsRange returns the n vectors in [lo, hi) best by their 4-bit
// codes' similarity to q among the bitCands best by their 1-bit codes'
// (BitDots), with their 4-bit scores: the first two passes of a
// three-pass search.
func scanBitsRange(c *Codes, q Query, qb BitQuery, lo, hi, n, bitCands int, keep func(int) bool) []Result {
	wd, st := Words(c.Dims), Stride(c.Dims)
	top := SelectBits(bitCands, c.Dims, lo, hi, func(b, e int, out []int32) {
		BitDots(c.Bits[b*wd:e*wd], qb, out)
		if keep != nil {
			for i := range out {
				if !keep(b + i) {
					out[i] = NoScore
				}
			}
		}
	})
	t := topk.NewBuffer[float32](n)
	for j, i := range top {
		if j+PrefetchAhead < len(top) {
			a := int(top[j+PrefetchAhead])
			Prefetch(c.Codes[a*st : (a+1)*st])
		}
		v := int(i)
		t.Push(Result{ID: int32(v), Score: DotCodes(c.Codes[v*st:(v+1)*st], c.Scales[v], q)})
	}
	return t.Items()
}

// BitShare is the share of n candidates a worker scanning [lo, hi) of
// total vectors keeps: n*(hi-lo)/total, rounded up.
func BitShare(n, lo, hi, total int) int {
	return (n*(hi-lo) + total - 1) / total
}

// Ranges splits [0, n) into w contiguous ranges of about the same length
// and runs fn(p, lo, hi) on range p, the last on the calling goroutine and
// each other on one of its own, and returns when all have.
func Ranges(n, w int, fn func(p, lo, hi int)) {
	var wg sync.WaitGroup
	for p := 0; p < w-1; p++ {
		wg.Go(func() { fn(p, p*n/w, (p+1)*n/w) })
	}
	if w > 0 {
		fn(w-1, (w-1)*n/w, n)
	}
	wg.Wait()
}

// block is how many dot products one kernel call computes.
const block = 256

// scanRange keeps the n best vectors in [lo, hi) by approximate score.
func scanRange(c *Codes, q Query, lo, hi, n int, keep func(int) bool) []Result {
	t := topk.NewBuffer[float32](n)
	var sims [block]float32
	st := Stride(c.Dims)
	for b := lo; b < hi; b += block {
		e := min(b+block, hi)
		Dots(c.Codes[b*st:e*st], c.Scales[b:e], q, sims[:e-b])
		thr := t.Threshold()
		for i, x := range sims[:e-b] {
			if j := b + i; x >= thr && (keep == nil || keep(j)) {
				t.Push(Result{ID: int32(j), Score: x})
				thr = t.Threshold()
			}
		}
	}
	return t.Items()
}

// Rescore returns the k candidates most similar to query by the exact
// float32 dot product with their vectors, best first (ties by index), four
// at a time (Rescorer). The dot product is summed in order, as chromem-go
// and retrieval sum it, so the scores match theirs to the bit.
func Rescore(vectors []float32, dims int, query []float32, cands []Result, k int) []Result {
	t := topk.New[float32](k)
	e := NewRescorer(query, &t)
	for _, c := range cands {
		e.Add(c.ID, vectors[int(c.ID)*dims:(int(c.ID)+1)*dims])
	}
	e.Flush()
	return t.Sorted()
}

// Rescorer pushes vectors into a top-k heap with their exact similarity
// to a query, four at a time (Dot4: the same sums as Dot, interleaved),
// the last few one at a time on Flush. Rescore and retrieval's scans of
// chunks share it.
type Rescorer struct {
	q    []float32
	t    *topk.Heap[float32]
	ids  [4]int32
	vecs [4][]float32
	n    int
}

// NewRescorer returns a Rescorer of query into t.
func NewRescorer(query []float32, t *topk.Heap[float32]) Rescorer {
	return Rescorer{q: query, t: t}
}

// Add scores vec, of the query's dimension, as id: at once with the three
// added before it, or on Flush.
func (e *Rescorer) Add(id int32, vec []float32) {
	e.ids[e.n], e.vecs[e.n] = id, vec
	if e.n++; e.n == 4 {
		s := Dot4(e.q, &e.vecs)
		for i := range s {
			e.t.Push(Result{ID: e.ids[i], Score: s[i]})
		}
		e.n = 0
	}
}

// Flush scores the vectors added since the last four.
func (e *Rescorer) Flush() {
	for i := range e.n {
		e.t.Push(Result{ID: e.ids[i], Score: Dot(e.q, e.vecs[i])})
	}
	e.n = 0
}

// Exact returns the k vectors most similar to query by the exact float32
// dot product, scanning every vector: the reference Search is measured
// against.
func Exact(vectors []float32, dims int, query []float32, k int) []Result {
	t := topk.New[float32](k)
	for i := 0; i*dims < len(vectors); i++ {
		t.Push(Result{ID: int32(i), Score: Dot(query, vectors[i*dims:(i+1)*dims])})
	}
	return t.Sorted()
}

// Dot is the dot product of two vectors of the same length, summed in
// order in float32.
func Dot(q, a []float32) float32 {
	a = a[:len(q)]
	var s float32
	for i, x := range q {
		s += x * a[i]
	}
	return s
}

// Dot4 computes four dot products with q at once. Each is summed in order,
// exactly as Dot does; interleaving four independent sums keeps the
// processor's adders busy where a single sum waits on each addition. (Four
// beat eight: eight sums do not fit the registers Go uses.) Large scans are
// bound by memory bandwidth either way.
func Dot4(q []float32, v *[4][]float32) [4]float32 {
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
