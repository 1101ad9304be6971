package vecscan

import (
	"runtime"
	"sync"
	"unsafe"
)

// ReadFloor reads every byte of vecs on every core, as 64-bit words summed
// in eight independent integer chains: the least any scan of the float32
// vectors can cost, bound by memory bandwidth rather than arithmetic. The
// benchmarks report every scan as a ratio to it.
func ReadFloor(vecs []float32) uint64 {
	if len(vecs) < 2 {
		return 0
	}
	words := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(vecs))), len(vecs)/2)
	w := runtime.GOMAXPROCS(0)
	sums := make([]uint64, w)
	var wg sync.WaitGroup
	n := len(words)
	for p := 0; p < w; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			part := words[p*n/w : (p+1)*n/w]
			var s [8]uint64
			i := 0
			for ; i+8 <= len(part); i += 8 {
				s[0] += part[i]
				s[1] += part[i+1]
				s[2] += part[i+2]
				s[3] += part[i+3]
				s[4] += part[i+4]
				s[5] += part[i+5]
				s[6] += part[i+6]
				s[7] += part[i+7]
			}
			for ; i < len(part); i++ {
				s[0] += part[i]
			}
			sums[p] = s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7]
		}()
	}
	wg.Wait()
	var s uint64
	for _, x := range sums {
		s += x
	}
	return s
}
