//go:build amd64 && !purego

package vecscan

import "golang.org/x/sys/cpu"

// dotsAVX2 sets out[0:n] to the dot products of the n vectors' 4-bit
// codes, stride bytes each from codes, with the 2*stride int8 at q.
// Implemented in kernel_amd64.s.
//
//go:noescape
func dotsAVX2(codes *byte, q *int8, stride, n int, out *int32)

// dotsNibble is dotsGeneric, with AVX2 when the processor has it.
func dotsNibble(codes []byte, q []int8, stride int, out []int32) {
	if len(out) == 0 || stride == 0 {
		return
	}
	if !cpu.X86.HasAVX2 {
		dotsGeneric(codes, q, stride, out)
		return
	}
	_ = codes[len(out)*stride-1] // bounds, checked once
	_ = q[2*stride-1]
	dotsAVX2(&codes[0], &q[0], stride, len(out), &out[0])
}

// Kernel names the kernel the scan uses.
func Kernel() string {
	if cpu.X86.HasAVX2 {
		return "avx2"
	}
	return "go"
}

// bitDotsAVX512 sets out[0:n] to BitDots' estimates for the n codes of
// words words at codes, with the four query planes stride words apart at
// planes. Implemented in kernel_amd64.s.
//
//go:noescape
func bitDotsAVX512(codes, planes *uint64, words, stride, n int, out *int32)

// hasVPOPCNTQ reports whether the processor has the AVX-512 instructions
// bitDotsAVX512 uses (VPOPCNTQ on 512-bit registers).
func hasVPOPCNTQ() bool { return cpu.X86.HasAVX512F && cpu.X86.HasAVX512VPOPCNTDQ }

// bitDots is BitDots' kernel: AVX-512 VPOPCNTQ where the processor has it,
// the pure-Go one (math/bits.OnesCount64, the POPCNT instruction)
// elsewhere.
func bitDots(codes []uint64, q *BitQuery, out []int32) {
	if len(out) == 0 {
		return
	}
	w := len(q.planes[0])
	if !hasVPOPCNTQ() {
		bitDotsGeneric(codes, q, out)
		return
	}
	_ = codes[len(out)*w-1] // bounds, checked once
	_ = q.block[bitPlanes*q.stride-1]
	bitDotsAVX512(&codes[0], &q.block[0], w, q.stride, len(out), &out[0])
}

// BitKernel names the kernel of the 1-bit scan.
func BitKernel() string {
	if hasVPOPCNTQ() {
		return "avx512"
	}
	return "go"
}

// prefetch asks for the n bytes at p to be brought into the cache.
// Implemented in kernel_amd64.s.
//
//go:noescape
func prefetch(p *byte, n int)

// Prefetch asks for codes to be brought into the cache ahead of a DotCodes of
// them: the candidates of the 1-bit scan lie scattered in memory, and each
// waits on memory without it.
func Prefetch(codes []byte) {
	if len(codes) > 0 {
		prefetch(&codes[0], len(codes))
	}
}
