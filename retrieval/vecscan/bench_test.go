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
// (4-bit scan of 400 candidates, exact rescoring, as retrieval's index
// does), the same after a 1-bit scan passing one in BitFraction vectors to
// the 4-bit codes, the plain float32 scan and the read floor over
// -vecscan.n vectors (100k), and reports each per query, the ratios to the
// floor and the recall@10 of both quantised searches against the float32
// scan.
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
			var tq, tb, tf, tr time.Duration
			var sink uint64
			var recallQ, recallB float64
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				q := qs[i%len(qs)]
				t0 := time.Now()
				quant := Search(&c, vecs, q, 10, 400)
				t1 := time.Now()
				withBits := SearchWith(&c, vecs, q, Options{K: 10, Candidates: 400, BitCandidates: n / BitFraction})
				tb1 := time.Now()
				exact := floatScan(vecs, dims, q, 10)
				t2 := time.Now()
				sink += ReadFloor(vecs)
				t3 := time.Now()
				tq, tb, tf, tr = tq+t1.Sub(t0), tb+tb1.Sub(t1), tf+t2.Sub(tb1), tr+t3.Sub(t2)
				recallQ += overlap(quant, exact)
				recallB += overlap(withBits, exact)
			}
			_ = sink
			per := func(d time.Duration) float64 { return d.Seconds() * 1e3 / float64(b.N) }
			b.ReportMetric(per(tq), "quant-ms/op")
			b.ReportMetric(per(tb), "bits-ms/op")
			b.ReportMetric(per(tf), "float32-ms/op")
			b.ReportMetric(per(tr), "floor-ms/op")
			b.ReportMetric(tq.Seconds()/tr.Seconds(), "quant/floor")
			b.ReportMetric(tb.Seconds()/tr.Seconds(), "bits/floor")
			b.ReportMetric(tf.Seconds()/tr.Seconds(), "float32/floor")
			b.ReportMetric(recallQ/float64(b.N), "quant-recall@10")
			b.ReportMetric(recallB/float64(b.N), "bits-recall@10")
			b.ReportMetric(float64(c.Bytes())/float64(n), "code-B/vec")
		})
	}
}

// BenchmarkRescore times the exact rescoring of 464 candidates (the
// hybrid query's: 4 x (100 + 16)) picked at random among 100k vectors.
func BenchmarkRescore(b *testing.B) {
	for _, dims := range []int{512, 1536} {
		b.Run(fmt.Sprintf("dims=%d", dims), func(b *testing.B) {
			const n, cands = 100_000, 464
			r := rand.New(rand.NewPCG(5, uint64(dims)))
			vecs := randomVectors(r, n, dims)
			qs := make([][]Result, 32)
			for i := range qs {
				for range cands {
					qs[i] = append(qs[i], Result{ID: int32(r.IntN(n))})
				}
			}
			q := vecs[:dims]
			for i := 0; b.Loop(); i++ {
				Rescore(vecs, dims, q, qs[i%len(qs)], 116)
			}
		})
	}
}
