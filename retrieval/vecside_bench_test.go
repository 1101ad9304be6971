package retrieval

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval/topk"
)

var (
	vecSideN    = flag.Int("vecside.n", 0, "vectors of BenchmarkVectorSide (0: skip it)")
	vecSideDims = flag.String("vecside.dims", "512,1536", "dimensions of BenchmarkVectorSide, comma-separated")
	vecSideQs   = flag.Int("vecside.queries", 200, "timed queries of BenchmarkVectorSide per iteration and setting")
)

// randomView returns a view of n random unit vectors of dims dimensions
// (the hard case for the codes: see vecscan.BitFraction), chunk i in slot
// i, written straight into the store's slabs.
func randomView(tb testing.TB, r *rand.Rand, n, dims int) vecView {
	tb.Helper()
	s := &vecStore{}
	if err := s.setDim(dims); err != nil {
		tb.Fatal(err)
	}
	slots := s.reserve(n, nil)
	set := make(map[int32]int32, n)
	for i, slot := range slots {
		v := s.vec(slot)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		normalized(v)
		set[slot] = int32(i)
	}
	s.encode(slots)
	return vecView{}.setChunks(s.view(), set)
}

// vecSetting is one way BenchmarkVectorSide scans: the 1-bit pass's
// fraction (0: off) and the piece size of the shared scan.
type vecSetting struct{ fraction, piece int }

func (s vecSetting) String() string { return fmt.Sprintf("bits%d-piece%d", s.fraction, s.piece) }

// BenchmarkVectorSide times the index's vector side as a hybrid query
// runs it (Tuning.Candidates hits and the tie slack, the shared scan of
// pieces on every core, the exact rescoring) over -vecside.n random unit
// vectors, with queries near stored vectors, in several settings asked in
// turn query by query (the first rotating): the 4-bit scan alone and
// after the 1-bit pass at 1/8, each in pieces of 8192 (scanPiece), 4096
// and 2048 slots. It reports each setting's p50 and p99 per query, the
// recall@10 of each against the exact float32 scan over the first 20
// queries, and what the index's background check of the 1-bit pass
// decides there (fraction, 0: off) with the median query times it
// measured.
func BenchmarkVectorSide(b *testing.B) {
	if *vecSideN <= 0 {
		b.Skip("-vecside.n not set")
	}
	settings := []vecSetting{{0, 8192}, {0, 4096}, {0, 2048}, {8, 8192}, {8, 4096}}
	for _, d := range strings.Split(*vecSideDims, ",") {
		dims, err := strconv.Atoi(d)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("n=%d/dims=%d", *vecSideN, dims), func(b *testing.B) {
			r := rand.New(rand.NewPCG(19, uint64(dims)))
			v := randomView(b, r, *vecSideN, dims)
			qs := make([][]float32, *vecSideQs)
			for i := range qs {
				base := v.vec(int32(r.IntN(*vecSideN)))
				q := make([]float32, dims)
				for j := range q {
					q[j] = base[j] + float32(r.NormFloat64())/float32(dims)*16
				}
				qs[i] = normalized(q)
			}
			k := DefaultTuning().Candidates + vecTieSlack
			scan := func(q []float32, s vecSetting) []vecHit {
				sc := v.newScan(q, k, nil, nil, nil, s.fraction)
				sc.cut(max(s.piece, (sc.r+1)*s.fraction))
				return sc.run(0)
			}
			recall := make([]float64, len(settings))
			const recallQs = 20
			for _, q := range qs[:min(recallQs, len(qs))] {
				exact := topk.New[float32](10)
				v.scanRange(q, 0, v.slots, nil, nil, &exact)
				want := map[int32]bool{}
				for _, h := range exact.Items {
					want[h.ID] = true
				}
				for i, s := range settings {
					got := topk.New[float32](10)
					for _, h := range scan(q, s) {
						got.Push(h)
					}
					for _, h := range got.Items {
						if want[h.ID] {
							recall[i] += 1.0 / float64(len(want)*min(recallQs, len(qs)))
						}
					}
				}
			}
			check := v.bitRecalls(bitFractions(), bitCheckQueries, bitCheckK, bitCheckSeed, bitCheckRecall, wallClock)
			frac, checkRecall := check.choose(bitCheckRecall)
			times := make([][]time.Duration, len(settings))
			b.ResetTimer()
			for b.Loop() {
				for i, q := range qs {
					for j := range settings {
						s := (i + j) % len(settings)
						t := time.Now()
						scan(q, settings[s])
						times[s] = append(times[s], time.Since(t))
					}
				}
			}
			b.StopTimer()
			for i, s := range settings {
				p50, p99 := nearestRank(times[i], 0.5), nearestRank(times[i], 0.99)
				b.ReportMetric(p50.Seconds()*1e3, s.String()+"-p50-ms")
				b.ReportMetric(p99.Seconds()*1e3, s.String()+"-p99-ms")
				b.ReportMetric(recall[i], s.String()+"-recall@10")
			}
			b.ReportMetric(float64(frac), "check-fraction")
			b.ReportMetric(checkRecall, "check-recall@10")
			b.ReportMetric(check.base.Seconds()*1e3, "check-4bit-ms")
			if len(check.costs) > 0 {
				b.ReportMetric(check.costs[len(check.costs)-1].Seconds()*1e3, "check-1bit-ms")
			}
		})
	}
}

// nearestRank returns the p-th quantile of ds by nearest rank.
func nearestRank(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}
