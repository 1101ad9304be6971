package vecscan

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval/topk"
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
			t := topk.New[float32](k)
			for i := p * n / w; i < (p+1)*n/w; i++ {
				t.Push(Result{ID: int32(i), Score: Dot(q, vecs[i*dims:(i+1)*dims])})
			}
			parts[p] = t.Items
		}()
	}
	wg.Wait()
	return topk.Merge(k, parts...)
}

var (
	scanVectors = flag.Int("vecscan.n", 100_000, "vectors of BenchmarkScan")
	scanDims    = flag.String("vecscan.dims", "512,1536", "dimensions of BenchmarkScan, comma-separated")
)

// BenchmarkScan times, in one run and interleaved, the quantised search
// (int8 scan of 400 candidates, exact rescoring, as retrieval's index
// does), the plain float32 scan and the read floor over -vecscan.n
// vectors (100k), and reports each per query and the ratios to the floor.
func BenchmarkScan(b *testing.B) {
	for _, d := range strings.Split(*scanDims, ",") {
		dims, err := strconv.Atoi(d)
		if err != nil {
			b.Fatal(err)
		}
		n := *scanVectors
		b.Run(fmt.Sprintf("n=%d/dims=%d", n, dims), func(b *testing.B) {
			r := rand.New(rand.NewPCG(9, uint64(dims)))
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
				Search(&c, vecs, q, 10, 400)
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
			b.ReportMetric(float64(c.Bytes())/float64(n), "code-B/vec")
		})
	}
}
