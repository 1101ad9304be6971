package maxscore

import (
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/synthetic"
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

// syntheticChunks is the corpus size of BenchmarkSynthetic; -args
// -maxscore.chunks=100000 for the scale the issue targets.
var syntheticChunks = flag.Int("maxscore.chunks", 20_000, "chunks of BenchmarkSynthetic's corpus")

// BenchmarkSynthetic times Search and Exhaustive, interleaved, on the
// synthetic corpus of retrieval/synthetic with its short questions and the
// MultiHop-RAG dev questions, and checks that they agree on every one.
func BenchmarkSynthetic(b *testing.B) {
	g := synthetic.New(1)
	var arts []article.Article
	for chunks := 0; chunks < *syntheticChunks; {
		a := g.Article(len(arts))
		chunks += len((retrieval.ChunkOptions{}).Chunks(&a))
		arts = append(arts, a)
	}
	ix, bl := buildIndex(b, arts)
	ix.Prepare(chunkP, artP)
	_, real := loadMultiHop(b)
	var synth []string
	for i := 0; i < 200; i++ {
		synth = append(synth, g.Question(i, len(arts)))
	}
	for _, set := range []struct {
		name string
		qs   []string
	}{{"synthetic", synth}, {"real", real}} {
		b.Run(fmt.Sprintf("chunks=%d/questions=%s", ix.NChunks, set.name), func(b *testing.B) {
			var tm, te time.Duration
			for i := 0; b.Loop(); i++ {
				q := Query{Terms: queryTerms(bl, set.qs[i%len(set.qs)], 0.5), Chunk: chunkP, Article: artP, ArticleWeight: 0.5, K: 100}
				t0 := time.Now()
				got := ix.Search(q)
				t1 := time.Now()
				want := ix.Exhaustive(q)
				tm, te = tm+t1.Sub(t0), te+time.Since(t1)
				if !slices.Equal(got, want) {
					b.Fatalf("question %q: Search and Exhaustive differ", set.qs[i%len(set.qs)])
				}
			}
			b.ReportMetric(tm.Seconds()*1e3/float64(b.N), "maxscore-ms/op")
			b.ReportMetric(te.Seconds()*1e3/float64(b.N), "exhaustive-ms/op")
			b.ReportMetric(tm.Seconds()/te.Seconds(), "maxscore/exhaustive")
		})
	}
}
