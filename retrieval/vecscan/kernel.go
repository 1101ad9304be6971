package vecscan

// dotsGeneric sets out[i] to the dot product of the i-th vector's 4-bit
// codes, stride bytes at codes[i*stride:] in blocks of blockDims
// dimensions (see QuantizeInto), with the int8 query codes q (2*stride of
// them), summed in int32: the portable kernel, and the reference the
// assembly kernel is tested against.
func dotsGeneric(codes []byte, q []int8, stride int, out []int32) {
	q = q[:2*stride]
	for i := range out {
		c := codes[i*stride : (i+1)*stride]
		var s0, s1 int32
		for b := 0; b < stride; b += blockDims / 2 {
			lo, hi := q[2*b:2*b+blockDims/2], q[2*b+blockDims/2:2*b+blockDims]
			for j, x := range c[b : b+blockDims/2] {
				s0 += int32(x&0xf) * int32(lo[j])
				s1 += int32(x>>4) * int32(hi[j])
			}
		}
		out[i] = s0 + s1
	}
}

// widen returns the query codes q (2*stride of them) in the order of the
// 512-bit kernel: per two blocks (128 codes), the first halves of both
// blocks, then the second halves of both; a last odd block as it is.
func widen(q []int8) []int8 {
	out := make([]int8, len(q))
	const half = blockDims / 2
	i := 0
	for ; i+2*blockDims <= len(q); i += 2 * blockDims {
		copy(out[i:], q[i:i+half])
		copy(out[i+half:], q[i+blockDims:i+blockDims+half])
		copy(out[i+blockDims:], q[i+half:i+blockDims])
		copy(out[i+blockDims+half:], q[i+blockDims+half:i+2*blockDims])
	}
	copy(out[i:], q[i:])
	return out
}
