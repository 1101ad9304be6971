package maxscore

import (
	"testing"
	"time"
)

// BenchmarkMultiHop times Search and Exhaustive, interleaved so that a
// loaded machine slows both alike, on the MultiHop-RAG questions over the
// MultiHop-RAG corpus (k=100, retrieval's default parameters), and reports
// each per query and their ratio.
func BenchmarkMultiHop(b *testing.B) {
	arts, qs := loadMultiHop(b)
	ix, bl := buildIndex(b, arts)
	ix.Prepare(chunkP, artP)
	queries := make([]Query, len(qs))
	for i, q := range qs {
		queries[i] = Query{Terms: queryTerms(bl, q, 0.5), Chunk: chunkP, Article: artP, ArticleWeight: 0.5, K: 100}
	}
	var tm, te time.Duration
	for i := 0; b.Loop(); i++ {
		q := queries[i%len(queries)]
		t0 := time.Now()
		ix.Search(q)
		t1 := time.Now()
		ix.Exhaustive(q)
		tm, te = tm+t1.Sub(t0), te+time.Since(t1)
	}
	b.ReportMetric(tm.Seconds()*1e3/float64(b.N), "maxscore-ms/op")
	b.ReportMetric(te.Seconds()*1e3/float64(b.N), "exhaustive-ms/op")
	b.ReportMetric(tm.Seconds()/te.Seconds(), "maxscore/exhaustive")
}
