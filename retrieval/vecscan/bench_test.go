package vecscan

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// floatScan is the plain float32 scan: every vector's exact dot product on
// every core, the best k kept. It is what retrieval's scan does today.
func floatScan(vecs []float32, dims int, q []float32, k int) []Result {
	n := len(vecs) / dims
	w := max(1, min(runtime.GOMAXPROCS(0), n/MinPerWorker))
	parts := make([][]Result, w)
	var wg sync.WaitGroup
	for p := 0; p < w; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := top{k: k}
			for i := p * n / w; i < (p+1)*n/w; i++ {
				t.push(Result{Index: int32(i), Score: Dot(q, vecs[i*dims:(i+1)*dims])})
			}
			parts[p] = t.h
		}()
	}
	wg.Wait()
	var all []Result
	for _, p := range parts {
		all = append(all, p...)
	}
	sortResults(all)
	return all[:min(k, len(all))]
}

// BenchmarkScan times, in one run and interleaved, the quantised search
// (int8 scan of 100 candidates, exact rescoring), the plain float32 scan and
// the read floor over 100k vectors, and reports each per query and the
// ratios to the floor.
func BenchmarkScan(b *testing.B) {
	for _, dims := range []int{512, 1536} {
		b.Run(fmt.Sprintf("n=100000/dims=%d", dims), func(b *testing.B) {
			r := rand.New(rand.NewPCG(9, uint64(dims)))
			const n = 100_000
			vecs := randomVectors(r, n, dims)
			c := Quantize(vecs, dims)
			qs := make([][]float32, 16)
			for i := range qs {
				qs[i] = vecs[r.IntN(n)*dims:][:dims]
			}
			var tq, tf, tr time.Duration
			var sink uint64
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				q := qs[i%len(qs)]
				t0 := time.Now()
				Search(&c, vecs, q, 10, 100)
				t1 := time.Now()
				floatScan(vecs, dims, q, 10)
				t2 := time.Now()
				sink += ReadFloor(vecs)
				t3 := time.Now()
				tq, tf, tr = tq+t1.Sub(t0), tf+t2.Sub(t1), tr+t3.Sub(t2)
			}
			_ = sink
			per := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(b.N) }
			b.ReportMetric(per(tq), "quant-ms/op")
			b.ReportMetric(per(tf), "float32-ms/op")
			b.ReportMetric(per(tr), "floor-ms/op")
			b.ReportMetric(tq.Seconds()/tr.Seconds(), "quant/floor")
			b.ReportMetric(tf.Seconds()/tr.Seconds(), "float32/floor")
			b.ReportMetric(float64(c.Bytes())/n, "code-B/vec")
		})
	}
}
