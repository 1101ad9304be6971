//go:build !amd64 || purego

package vecscan

// dotsInt8 sets out[i] to the dot product of the i-th dims-long code in
// codes with q.
func dotsInt8(codes []int8, q []int16, dims int, out []int32) {
	dotsGeneric(codes, q, dims, out)
}

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
func Prefetch(codes []int8) {}
