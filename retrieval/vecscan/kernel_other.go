//go:build !amd64 || purego

package vecscan

// dotsNibble is dotsGeneric (wide is unused).
func dotsNibble(codes []byte, q, wide []int8, stride int, out []int32) {
	dotsGeneric(codes, q, stride, out)
}

// wideKernel reports whether the scan's kernel wants the query in widen's
// order: none here does.
func wideKernel() bool { return false }

// Kernel names the kernel the scan uses.
func Kernel() string { return "go" }

// bitDots is BitDots' kernel.
func bitDots(codes []uint64, q *BitQuery, out []int32) {
	bitDotsGeneric(codes, q, out)
}

// BitKernel names the kernel of the 1-bit scan.
func BitKernel() string { return "go" }

// Prefetch does nothing here: the portable kernels have no prefetch
// instruction.
func Prefetch(codes []byte) {}
