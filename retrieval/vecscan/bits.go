package vecscan

import (
	"math"
	"math/bits"
)

// The 1-bit codes: bit j of a vector's code is set when its coordinate j
// is positive, Words(dims) 64-bit words per vector, the bits past dims
// clear. A scan of them estimates the query's
// dot product with each vector's sign vector, the query kept at 4 bits per
// coordinate (BitQuery): with the query at full precision on one side the
// estimate ranks far better than the Hamming distance of two sign codes
// (measured on MultiHop-RAG with the local embedder: recall@10 of 0.99
// needs a fifth of the chunks as candidates with the Hamming distance's
// two, and centring the coordinates by their mean, or scaling by each
// vector's L1 norm, does not help).

// BitFraction sets how many vectors the 1-bit scan passes to the 4-bit
// codes: one in BitFraction of those scanned. Random unit vectors (the
// hard case: the query's neighbours beyond the first are barely closer
// than the rest) need it: with queries near a stored vector, recall@10
// after the then int8 codes at 100 candidates was 1.0000 at 1/4, 0.9925-1.0000
// at 1/8, 0.9575-0.9925 at 1/16 and 0.8875-0.9700 at 1/32 of 8k and 64k
// vectors of 512 and 1536 dimensions, rising with the count.
const BitFraction = 8

// Words returns the number of 64-bit words of a dims-bit code.
func Words(dims int) int { return (dims + 63) / 64 }

// SignBitsInto sets dst, Words(len(v)) words, to v's 1-bit code.
func SignBitsInto(dst []uint64, v []float32) {
	dst = dst[:Words(len(v))]
	for i := range dst {
		var w uint64
		for k, x := range v[i*64 : min(len(v), (i+1)*64)] {
			var bit uint64 // a conditional move, not a branch: signs are random
			if x > 0 {
				bit = 1
			}
			w |= bit << uint(k)
		}
		dst[i] = w
	}
}

// bitPlanes is how many bits of each query coordinate the 1-bit scan
// uses: the coordinate as a signed integer in [-bitOffset, bitOffset-1].
const (
	bitPlanes = 4
	bitOffset = 1 << (bitPlanes - 1)
)

// BitQuery is a query vector quantised for BitDots: each coordinate an
// integer v in [-8, 7], stored as v+8 in four bit planes, each plane
// padded with zero words to a multiple of 8 words (one 512-bit register)
// in one block.
type BitQuery struct {
	planes [bitPlanes][]uint64
	block  []uint64 // the planes, stride words apart
	stride int
}

// NewBitQuery quantises a query vector for BitDots.
func NewBitQuery(q []float32) BitQuery {
	w := Words(len(q))
	out := BitQuery{stride: (w + 7) &^ 7}
	out.block = make([]uint64, bitPlanes*out.stride)
	for b := range out.planes {
		out.planes[b] = out.block[b*out.stride : b*out.stride+w]
	}
	var inv float32 // a zero query: every coordinate 0
	if m := maxAbs(q); m > 0 {
		inv = (bitOffset - 0.5) / m
	}
	for j, x := range q {
		u := min(max(round(x*inv), -bitOffset), bitOffset-1) + bitOffset
		for b := range out.planes {
			out.planes[b][j/64] |= uint64(u>>b&1) << (j % 64)
		}
	}
	return out
}

// BitDots sets out[i] to the integer estimate of q's similarity with the
// i-th vector whose 1-bit code is codes[i*w:(i+1)*w], w = Words(dims):
// the sum over its set bits of q's coordinates (as integers in [-8, 7]).
// A larger estimate is a closer vector. Every kernel computes the same
// sums.
func BitDots(codes []uint64, q BitQuery, out []int32) {
	bitDots(codes, &q, out)
}

// bitDotsGeneric is the portable kernel of BitDots, and the reference any
// other is tested against.
func bitDotsGeneric(codes []uint64, q *BitQuery, out []int32) {
	p := &q.planes
	w := len(p[0])
	p0, p1, p2, p3 := p[0], p[1][:w], p[2][:w], p[3][:w]
	for i := range out {
		c := codes[i*w : (i+1)*w]
		var s, n int
		for j, x := range c {
			s += bits.OnesCount64(x&p0[j]) + 2*bits.OnesCount64(x&p1[j]) +
				4*bits.OnesCount64(x&p2[j]) + 8*bits.OnesCount64(x&p3[j])
			n += bits.OnesCount64(x)
		}
		out[i] = int32(s - bitOffset*n)
	}
}

// NoScore marks, in the scores TopScores selects from, an entry that is
// not a candidate (a removed or filtered-out vector).
const NoScore = math.MinInt32

// SelectBits returns the indexes in [lo, hi), in increasing order, of the
// n largest scores that score gives (of ties, the lowest indexes), entries
// it sets to NoScore left out: a counting selection over BitDots'
// estimates for dims dimensions, which lie in [-8*dims, 7*dims]. score(b,
// e, out) sets out to the scores of [b, e), at most 256 at a time; it is
// called twice for each, once to count and once to collect, as computing
// the scores again costs less than storing them (a large buffer per query
// costs its page faults) or keeping a heap of many candidates.
func SelectBits(n, dims, lo, hi int, score func(b, e int, out []int32)) []int32 {
	if n <= 0 {
		return nil
	}
	base := int32(bitOffset * dims)
	counts := make([]int32, (2*bitOffset-1)*dims+1)
	var buf [block]int32
	for b := lo; b < hi; b += block {
		e := min(b+block, hi)
		score(b, e, buf[:e-b])
		for _, s := range buf[:e-b] {
			if s != NoScore {
				counts[s+base]++
			}
		}
	}
	// The cut-off: the lowest score taken, and how many of it.
	cut, take := len(counts), n
	for cut > 0 && take > 0 {
		cut--
		take -= int(counts[cut])
	}
	if cut == len(counts) {
		return nil
	}
	take += int(counts[cut])
	c := int32(cut) - base
	out := make([]int32, 0, n)
	for b := lo; b < hi; b += block {
		e := min(b+block, hi)
		score(b, e, buf[:e-b])
		for i, s := range buf[:e-b] {
			switch {
			case s == NoScore || s < c:
			case s > c:
				out = append(out, int32(b+i))
			case take > 0:
				out = append(out, int32(b+i))
				take--
			}
		}
	}
	return out
}
