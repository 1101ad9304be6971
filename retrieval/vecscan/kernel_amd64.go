//go:build amd64 && !purego

package vecscan

import "golang.org/x/sys/cpu"

// dotsAVX2 sets out[0:n] to the dot products of the n dims-long codes at
// codes with the dims int16 at q. Implemented in kernel_amd64.s.
//
//go:noescape
func dotsAVX2(codes *int8, q *int16, dims, n int, out *int32)

// dotsInt8 sets out[i] to the dot product of the i-th dims-long code in
// codes with q, with AVX2 when the processor has it.
func dotsInt8(codes []int8, q []int16, dims int, out []int32) {
	if len(out) == 0 {
		return
	}
	if !cpu.X86.HasAVX2 {
		dotsGeneric(codes, q, dims, out)
		return
	}
	_ = codes[len(out)*dims-1] // bounds, checked once
	_ = q[dims-1]
	dotsAVX2(&codes[0], &q[0], dims, len(out), &out[0])
}

// Kernel names the kernel the scan uses.
func Kernel() string {
	if cpu.X86.HasAVX2 {
		return "avx2"
	}
	return "go"
}

// bitDots is BitDots' kernel: the pure-Go one, whose math/bits.OnesCount64
// compiles to the POPCNT instruction.
func bitDots(codes []uint64, p *[bitPlanes][]uint64, out []int32) {
	bitDotsGeneric(codes, p, out)
}
