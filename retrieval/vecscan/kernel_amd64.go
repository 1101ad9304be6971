//go:build amd64 && !purego

package vecscan

import "golang.org/x/sys/cpu"

// dotsAVX2 sets out[0:n] to the dot products of the n vectors' 4-bit
// codes, stride bytes each from codes, with the 2*stride int8 at q.
// Implemented in kernel_amd64.s.
//
//go:noescape
func dotsAVX2(codes *byte, q *int8, stride, n int, out *int32)

// dotsVNNI is dotsAVX2 with AVX-512 VNNI, q the query codes in widen's
// order. Implemented in kernel_amd64.s.
//
//go:noescape
func dotsVNNI(codes *byte, q *int8, stride, n int, out *int32)

// hasVNNI reports whether the processor has the AVX-512 instructions
// dotsVNNI uses (VPDPBUSD on 512- and 256-bit registers).
func hasVNNI() bool {
	return cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512VNNI
}

// dotsNibble is dotsGeneric, with AVX-512 VNNI (given wide, q in widen's
// order) or AVX2 when the processor has them.
func dotsNibble(codes []byte, q, wide []int8, stride int, out []int32) {
	if len(out) == 0 || stride == 0 {
		return
	}
	_ = codes[len(out)*stride-1] // bounds, checked once
	_ = q[2*stride-1]
	switch {
	case wide != nil && hasVNNI():
		_ = wide[2*stride-1]
		dotsVNNI(&codes[0], &wide[0], stride, len(out), &out[0])
	case cpu.X86.HasAVX2:
		dotsAVX2(&codes[0], &q[0], stride, len(out), &out[0])
	default:
		dotsGeneric(codes, q, stride, out)
	}
}

// Kernel names the kernel the scan uses.
func Kernel() string {
	switch {
	case hasVNNI():
		return "avx512vnni"
	case cpu.X86.HasAVX2:
		return "avx2"
	}
	return "go"
}

// wideKernel reports whether the scan's kernel wants the query in widen's
// order.
func wideKernel() bool { return hasVNNI() }

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
