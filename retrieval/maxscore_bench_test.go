package retrieval

import (
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval/synthetic"
)

// lexChunks adds to BenchmarkLexical a synthetic corpus of about this
// many chunks, asked the MultiHop-RAG dev questions:
// go test -run '^$' -bench Lexical ./retrieval/ -args -lexchunks=100000
var lexChunks = flag.Int("lexchunks", 0, "chunks of BenchmarkLexical's synthetic corpus (0: none)")

// BenchmarkLexical times the pruned lexical search against the exhaustive
// oracle, query by query on one index (so that a loaded machine slows both
// alike), on the MultiHop-RAG dev questions (default tuning, 100
// candidates), checks that they agree on every question, and reports each
// per query and their ratio.
func BenchmarkLexical(b *testing.B) {
	arts, qs := multiHop(b)
	corpora := []struct {
		name string
		arts func() []article.Article
	}{{"multihop", func() []article.Article { return arts }}}
	if *lexChunks > 0 {
		corpora = append(corpora, struct {
			name string
			arts func() []article.Article
		}{fmt.Sprintf("synthetic-%dk", *lexChunks/1000), func() []article.Article {
			g := synthetic.New(1)
			var out []article.Article
			for chunks := 0; chunks < *lexChunks; {
				a := g.Article(len(out))
				chunks += len(ChunkOptions{}.Chunks(&a))
				out = append(out, a)
			}
			return out
		}})
	}
	for _, c := range corpora {
		b.Run(c.name, func(b *testing.B) {
			ix := newTestIndex(b, Config{}, c.arts())
			s := ix.current()
			t := DefaultTuning()
			var tm, te time.Duration
			for i := 0; b.Loop(); i++ {
				text := qs[i%len(qs)]
				q := newLexQuery(s, ix.queryTerms(s, ix.an.tokens(text, nil), t), t, nil, t.Candidates)
				t0 := time.Now()
				got := s.lex.search(&q)
				t1 := time.Now()
				want := ix.exhaustive(s, q, 0, t)
				tm, te = tm+t1.Sub(t0), te+time.Since(t1)
				if !slices.Equal(got, want) {
					b.Fatalf("%q: pruned and exhaustive differ", text)
				}
			}
			b.ReportMetric(tm.Seconds()*1e3/float64(b.N), "maxscore-ms/op")
			b.ReportMetric(te.Seconds()*1e3/float64(b.N), "exhaustive-ms/op")
			b.ReportMetric(tm.Seconds()/te.Seconds(), "maxscore/exhaustive")
		})
	}
}
