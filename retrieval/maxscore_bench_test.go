package retrieval

import (
	"flag"
	"fmt"
	"slices"
	"sync"
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
		}{fmt.Sprintf("synthetic-%dk", *lexChunks/1000), func() []article.Article { return synthCorpus(*lexChunks) }})
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

// BenchmarkHybridSides times the two components of a hybrid query on the
// MultiHop-RAG dev questions run one after the other and run at once (as
// Search runs them), query by query on one index, and reports each per
// query and their ratio. With -lexchunks it uses the synthetic corpus.
func BenchmarkHybridSides(b *testing.B) {
	arts, qs := multiHop(b)
	if *lexChunks > 0 {
		arts = synthCorpus(*lexChunks)
	}
	ix := newTestIndex(b, Config{}, arts)
	s := ix.current()
	t := DefaultTuning()
	qvs := make([][]float32, len(qs))
	for i, q := range qs {
		v, err := ix.embedQuery(b.Context(), q)
		if err != nil {
			b.Fatal(err)
		}
		qvs[i] = v
	}
	var tseq, tconc time.Duration
	for i := 0; b.Loop(); i++ {
		toks := ix.an.tokens(qs[i%len(qs)], nil)
		qv := qvs[i%len(qs)]
		t0 := time.Now()
		lexA := ix.lexical(s, toks, nil, t.Candidates, t)
		vecA, errA := s.vector(qv, nil, t.Candidates)
		t1 := time.Now()
		var lexB []cand
		var wg sync.WaitGroup
		wg.Go(func() { lexB = ix.lexical(s, toks, nil, t.Candidates, t) })
		vecB, errB := s.vector(qv, nil, t.Candidates)
		wg.Wait()
		tseq, tconc = tseq+t1.Sub(t0), tconc+time.Since(t1)
		if errA != nil || errB != nil || !slices.Equal(lexA, lexB) || !slices.Equal(vecA, vecB) {
			b.Fatalf("%q: the two runs differ (%v, %v)", qs[i%len(qs)], errA, errB)
		}
	}
	b.ReportMetric(tseq.Seconds()*1e3/float64(b.N), "sequential-ms/op")
	b.ReportMetric(tconc.Seconds()*1e3/float64(b.N), "concurrent-ms/op")
	b.ReportMetric(tconc.Seconds()/tseq.Seconds(), "concurrent/sequential")
}

// synthCorpus returns synthetic articles of about n chunks in all.
func synthCorpus(n int) []article.Article {
	g := synthetic.New(1)
	var out []article.Article
	for chunks := 0; chunks < n; {
		a := g.Article(len(out))
		chunks += len(ChunkOptions{}.Chunks(&a))
		out = append(out, a)
	}
	return out
}
