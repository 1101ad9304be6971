package vecscan

// dotsGeneric sets out[i] to the dot product of the i-th dims-long code in
// codes with q, summed in int32: the portable kernel, and the reference the
// assembly kernel is tested against.
func dotsGeneric(codes []int8, q []int16, dims int, out []int32) {
	q = q[:dims]
	for i := range out {
		c := codes[i*dims : (i+1)*dims]
		var s0, s1, s2, s3 int32
		j := 0
		for ; j+4 <= dims; j += 4 {
			s0 += int32(c[j]) * int32(q[j])
			s1 += int32(c[j+1]) * int32(q[j+1])
			s2 += int32(c[j+2]) * int32(q[j+2])
			s3 += int32(c[j+3]) * int32(q[j+3])
		}
		for ; j < dims; j++ {
			s0 += int32(c[j]) * int32(q[j])
		}
		out[i] = s0 + s1 + s2 + s3
	}
}
