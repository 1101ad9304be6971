package vecscan

import (
	"math/rand/v2"
	"testing"
)

// TestKernelUnalignedAndExtreme checks the kernel against the plain sum on
// codes that start at every offset within 32 bytes (an index's vectors of
// an odd dimension start anywhere) and end at the end of their slice, and
// on the extreme codes at the largest dimension, where the sums come
// closest to overflowing int32.
func TestKernelUnalignedAndExtreme(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	want := func(codes []int8, q []int16, dims, n int) []int32 {
		out := make([]int32, n)
		for i := range out {
			var s int64
			for j := 0; j < dims; j++ {
				s += int64(codes[i*dims+j]) * int64(q[j])
			}
			out[i] = int32(s)
		}
		return out
	}
	check := func(t *testing.T, name string, codes []int8, q []int16, dims, n int) {
		t.Helper()
		w := want(codes, q, dims, n)
		got, gen := make([]int32, n), make([]int32, n)
		dotsInt8(codes, q, dims, got)
		dotsGeneric(codes, q, dims, gen)
		for i := range w {
			if got[i] != w[i] || gen[i] != w[i] {
				t.Fatalf("%s, dims %d, vector %d: kernel %s got %d, generic got %d, want %d", name, dims, i, Kernel(), got[i], gen[i], w[i])
			}
		}
	}
	for _, dims := range []int{1, 7, 17, 33, 65, 129, 513, 1535} {
		for off := range 32 {
			n := 3
			buf := make([]int8, off+n*dims)
			for i := range buf {
				buf[i] = int8(r.IntN(255) - 127)
			}
			q := make([]int16, dims+1)
			for i := range q {
				q[i] = int16(r.IntN(2*queryMax+1) - queryMax)
			}
			check(t, "unaligned", buf[off:], q[1:], dims, n)
		}
	}
	for _, signs := range [][2]int{{1, 1}, {-1, -1}, {1, -1}} {
		codes := make([]int8, 2*MaxDims)
		q := make([]int16, MaxDims)
		for i := range codes {
			codes[i] = int8(127 * signs[0])
		}
		for i := range q {
			q[i] = int16(queryMax * signs[1])
		}
		check(t, "extreme", codes, q, MaxDims, 2)
	}
}
