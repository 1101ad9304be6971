package vecscan

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bitReference is BitDots by its definition: the sum, over the set bits of
// each code, of the query's coordinates scaled to [-8, 7] and rounded.
func bitReference(codes []uint64, q []float32, n int) []int32 {
	m := maxAbs(q)
	var inv float32
	if m > 0 {
		inv = 7.5 / m
	}
	w := Words(len(q))
	out := make([]int32, n)
	for i := range out {
		for j, x := range q {
			if codes[i*w+j/64]>>(j%64)&1 == 0 {
				continue
			}
			out[i] += int32(min(max(math.Round(float64(x*inv)), -8), 7))
		}
	}
	return out
}

func TestBitDotsMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, dims := range []int{1, 2, 3, 7, 31, 63, 64, 65, 100, 127, 128, 129, 511, 512, 513, 1536, MaxDims} {
		for _, n := range []int{1, 3, 5} {
			vecs := randomVectors(r, n, dims)
			codes := make([]uint64, n*Words(dims))
			for i := 0; i < n; i++ {
				SignBitsInto(codes[i*Words(dims):(i+1)*Words(dims)], vecs[i*dims:(i+1)*dims])
			}
			q := randomVectors(r, 1, dims)
			bq := NewBitQuery(q)
			got := make([]int32, n)
			BitDots(codes, bq, got)
			gen := make([]int32, n)
			bitDotsGeneric(codes, &bq, gen)
			want := bitReference(codes, q, n)
			for i := range want {
				if got[i] != want[i] || gen[i] != want[i] {
					t.Fatalf("dims %d, n %d, vector %d: kernel %s got %d, generic got %d, want %d", dims, n, i, BitKernel(), got[i], gen[i], want[i])
				}
			}
		}
	}
}

func TestSignBits(t *testing.T) {
	tests := []struct {
		name string
		vec  []float32
		want []uint64
	}{
		{"signs, zero unset", []float32{0.5, -0.25, 0, 0.125}, []uint64{0b1001}},
		{"past 64 bits", append(make([]float32, 64), 1, -1, 2), []uint64{0, 0b101}},
		{"NaN unset", []float32{float32(math.NaN()), 1}, []uint64{0b10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Quantize(tt.vec, len(tt.vec))
			if len(c.Bits) != len(tt.want) {
				t.Fatalf("got %d words, want %d", len(c.Bits), len(tt.want))
			}
			for i, x := range c.Bits {
				if x != tt.want[i] {
					t.Fatalf("got bits %b, want %b", c.Bits, tt.want)
				}
			}
		})
	}
}

func TestZeroBitQueryMatchesNothing(t *testing.T) {
	codes := []uint64{0b111}
	got := make([]int32, 1)
	BitDots(codes, NewBitQuery(make([]float32, 3)), got)
	// Every coordinate of a zero query is 0, stored as 8 in the planes.
	if got[0] != 0 {
		t.Fatalf("got %d for a zero query, want 0", got[0])
	}
}

func TestSelectBits(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const dims = 3 // scores in [-24, 21]: many ties
	for _, tt := range []struct{ n, lo, hi int }{{0, 0, 100}, {1, 0, 100}, {10, 5, 700}, {100, 0, 1000}, {2000, 0, 1000}, {37, 300, 301}} {
		scores := make([]int32, tt.hi)
		for i := range scores {
			scores[i] = int32(r.IntN(46) - 24)
			if r.IntN(7) == 0 {
				scores[i] = NoScore
			}
		}
		got := SelectBits(tt.n, dims, tt.lo, tt.hi, func(b, e int, out []int32) {
			copy(out, scores[b:e])
		})
		// The reference: sort by score, best first, ties by index.
		var idx []int32
		for i := tt.lo; i < tt.hi; i++ {
			if scores[i] != NoScore {
				idx = append(idx, int32(i))
			}
		}
		slices.SortStableFunc(idx, func(a, b int32) int { return int(scores[b] - scores[a]) })
		want := idx[:min(tt.n, len(idx))]
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("n %d of [%d, %d): got %v, want %v", tt.n, tt.lo, tt.hi, got, want)
		}
	}
}

// BenchmarkSignBits times the making of the 1-bit codes, the cost they add
// to an index's load (which rebuilds them with the 4-bit codes), per vector.
func BenchmarkSignBits(b *testing.B) {
	for _, dims := range []int{512, 1536} {
		b.Run(fmt.Sprintf("dims=%d", dims), func(b *testing.B) {
			const n = 10_000
			vecs := randomVectors(rand.New(rand.NewPCG(15, uint64(dims))), n, dims)
			dst := make([]uint64, n*Words(dims))
			w := Words(dims)
			for b.Loop() {
				for i := 0; i < n; i++ {
					SignBitsInto(dst[i*w:(i+1)*w], vecs[i*dims:(i+1)*dims])
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/vector")
		})
	}
}
