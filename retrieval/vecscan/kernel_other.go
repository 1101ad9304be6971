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
func bitDots(codes []uint64, p *[bitPlanes][]uint64, out []int32) {
	bitDotsGeneric(codes, p, out)
}
