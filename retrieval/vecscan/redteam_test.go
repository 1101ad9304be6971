package vecscan

import (
	"math/rand/v2"
	"testing"
)

// TestKernelUnalignedAndExtreme checks the kernels against a plain sum on
// codes that start at every offset within 32 bytes (an index's vectors
// need not start on a register boundary) and end at the end of their
// slice, and on the extreme codes at the largest dimension, where the sums
// come closest to overflowing int32. The plain sum reads dimension d of a
// vector from the layout QuantizeInto documents (block d/blockDims, low
// nibble of byte d%blockDims for the first half of a block, high nibble
// of byte d%blockDims-blockDims/2 for the second), not from the kernels'
// own loops.
func TestKernelUnalignedAndExtreme(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	code := func(c []byte, d int) int64 {
		b, j := d/blockDims, d%blockDims
		if j < blockDims/2 {
			return int64(c[b*blockDims/2+j] & 0xf)
		}
		return int64(c[b*blockDims/2+j-blockDims/2] >> 4)
	}
	want := func(codes []byte, q []int8, stride, n int) []int32 {
		out := make([]int32, n)
		for i := range out {
			var s int64
			for d := 0; d < 2*stride; d++ {
				s += code(codes[i*stride:], d) * int64(q[d])
			}
			out[i] = int32(s)
		}
		return out
	}
	check := func(t *testing.T, name string, codes []byte, q []int8, stride, n int) {
		t.Helper()
		w := want(codes, q, stride, n)
		got, gen := make([]int32, n), make([]int32, n)
		var wide []int8
		if wideKernel() {
			wide = widen(q)
		}
		dotsNibble(codes, q, wide, stride, got)
		dotsGeneric(codes, q, stride, gen)
		for i := range w {
			if got[i] != w[i] || gen[i] != w[i] {
				t.Fatalf("%s, stride %d, vector %d: kernel %s got %d, generic got %d, want %d", name, stride, i, Kernel(), got[i], gen[i], w[i])
			}
		}
	}
	for _, dims := range []int{1, 7, 65, 129, 513, 1535} {
		stride := Stride(dims)
		for off := range 32 {
			n := 3
			buf := make([]byte, off+n*stride)
			for i := range buf {
				buf[i] = byte(r.IntN(256))
			}
			q := make([]int8, 2*stride+1)
			for i := range q {
				q[i] = int8(r.IntN(2*queryMax+1) - queryMax)
			}
			check(t, "unaligned", buf[off:], q[1:], stride, n)
		}
	}
	for _, qs := range []int8{queryMax, -queryMax} {
		stride := Stride(MaxDims)
		codes := make([]byte, 2*stride)
		for i := range codes {
			codes[i] = 0xff // every code at codeLevels
		}
		q := make([]int8, 2*stride)
		for i := range q {
			q[i] = qs
		}
		check(t, "extreme", codes, q, stride, 2)
	}
}
