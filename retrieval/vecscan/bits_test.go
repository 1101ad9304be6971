package vecscan

import (
	"math"
	"math/rand/v2"
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
			bitDotsGeneric(codes, &bq.planes, gen)
			want := bitReference(codes, q, n)
			for i := range want {
				if got[i] != want[i] || gen[i] != want[i] {
					t.Fatalf("dims %d, n %d, vector %d: kernel got %d, generic got %d, want %d", dims, n, i, got[i], gen[i], want[i])
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
