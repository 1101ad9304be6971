package retrieval

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/briefbot/briefbot/internal/benchdata"
)

// BenchmarkLexicalScale times the lexical side alone, as Index.lexical
// runs it (analysis of the question, then the pruned search), on the
// MultiHop-RAG dev questions against the synthetic corpus of
// cmd/scalebench: 100,000 chunks with -large, 1,000,000 with -huge. The
// index gets a constant embedding, so that building it costs only what
// the lexical side needs (at 1M: minutes and a few GB, not the full
// scale benchmark). It reports the p50 and p99 per question over every
// pass, and over each question's best pass (best-p50, best-p99: what a
// loaded machine disturbs least), and checks
// every 20th question against the exhaustive scorer. The questions of
// the slowest tenth run under the pprof label lex=slow, the rest under
// lex=fast, so a -cpuprofile separates them (pprof -tagfocus lex=slow):
//
//	go test -run '^$' -bench LexicalScale -benchtime 1x ./retrieval/ -args -large
//
// With -lexcold each question runs after a read of a buffer larger than
// the caches (untimed), as in cmd/scalebench, whose engines take turns on
// each question, so that the lexical side often starts right after the
// floor program read every vector: what a question's memory traffic
// costs then shows.
//
// With -lexdir the index persists there and later runs reopen it, so
// that two builds of the code compare on one index.
func BenchmarkLexicalScale(b *testing.B) {
	qs := benchdata.MultiHopQuestions(b)
	eachScale(b, func(b *testing.B, size int) {
		ix, opened := lexScaleIndex(b, size)
		s := ix.current()
		t := DefaultTuning()
		toks := make([][]token, len(qs))
		for i, q := range qs {
			toks[i] = ix.an.tokens(q, nil)
		}
		// After a restart: how long the index took to open and its
		// first search (reported after the loop, which clears them).
		t0 := time.Now()
		ix.lexical(s, toks[0], nil, t.Candidates, t)
		first := time.Since(t0)
		for i := 0; i < len(qs); i += 20 {
			q := newLexQuery(s, ix.queryTerms(s, toks[i], t), t, nil, t.Candidates)
			if got, want := s.lex.search(&q), ix.exhaustive(s, q, 0, t); !slices.Equal(got, want) {
				b.Fatalf("%q: pruned and exhaustive differ", qs[i])
			}
		}
		w := countLexWork(ix, s, toks, t)
		// A first pass finds the slowest tenth; the timed passes
		// label them.
		took := make([]time.Duration, len(qs))
		for i := range qs {
			evictCaches()
			t0 := time.Now()
			ix.lexical(s, toks[i], nil, t.Candidates, t)
			took[i] = time.Since(t0)
		}
		cut := slices.Clone(took)
		slices.Sort(cut)
		slow := cut[len(cut)*9/10]
		ctx := context.Background()
		fast, slowCtx := pprof.WithLabels(ctx, pprof.Labels("lex", "fast")), pprof.WithLabels(ctx, pprof.Labels("lex", "slow"))
		var all []time.Duration
		best := make([]time.Duration, len(qs))
		for i := range best {
			best[i] = time.Hour
		}
		for b.Loop() {
			for i := range qs {
				c := fast
				if took[i] >= slow {
					c = slowCtx
				}
				pprof.SetGoroutineLabels(c)
				evictCaches()
				t0 := time.Now()
				ix.lexical(s, toks[i], nil, t.Candidates, t)
				d := time.Since(t0)
				all = append(all, d)
				best[i] = min(best[i], d)
			}
		}
		pprof.SetGoroutineLabels(ctx)
		b.ReportMetric(quantileMS(all, 0.5), "p50-ms")
		b.ReportMetric(quantileMS(all, 0.99), "p99-ms")
		b.ReportMetric(quantileMS(best, 0.5), "best-p50-ms")
		b.ReportMetric(quantileMS(best, 0.99), "best-p99-ms")
		w.report(b, len(qs))
		if opened > 0 {
			b.ReportMetric(opened.Seconds(), "open-s")
			b.ReportMetric(first.Seconds()*1e3, "first-ms")
		}
		b.ReportMetric(0, "ns/op")
	})
}

// eachScale runs f as a sub-benchmark for each size of the synthetic
// corpus that the flags ask for: 100,000 chunks with -large, 1,000,000
// with -huge too.
func eachScale(b *testing.B, f func(b *testing.B, size int)) {
	for _, size := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("%dk", size/1000), func(b *testing.B) {
			if !boolFlag("large") || size > 100_000 && !boolFlag("huge") {
				b.Skip("large synthetic corpus: run with -args -large (and -huge for 1M)")
			}
			f(b, size)
		})
	}
}

// quantileMS returns the q-quantile of ds in milliseconds (sorting ds).
func quantileMS(ds []time.Duration, q float64) float64 {
	slices.Sort(ds)
	return ds[int(q*float64(len(ds)-1))].Seconds() * 1e3
}

// lexCold runs each question of BenchmarkLexicalScale with cold caches.
var lexCold = flag.Bool("lexcold", false, "BenchmarkLexicalScale: read a buffer larger than the caches before each question")

// coldBuf is what evictCaches reads: 64 MiB, more than this machine's
// last-level cache.
var coldBuf []uint64

// evictCaches reads coldBuf with -lexcold, so that what the next question
// reads comes from memory; without it, nothing.
func evictCaches() {
	if !*lexCold {
		return
	}
	if coldBuf == nil {
		coldBuf = make([]uint64, 64<<20/8)
		for i := range coldBuf {
			coldBuf[i] = uint64(i)
		}
	}
	var x uint64
	for i := 0; i < len(coldBuf); i += 8 { // a cache line each
		x += coldBuf[i]
	}
	coldSink = x
}

// coldSink keeps evictCaches' reads from being optimised away.
var coldSink uint64

// lexDir keeps BenchmarkLexicalScale's indexes, one directory per size.
var lexDir = flag.String("lexdir", "", "directory where BenchmarkLexicalScale keeps its indexes (empty: in memory)")

// lexScaleIndex returns the synthetic index of about size chunks, built
// in memory, or in *lexDir and reopened from there when it already is
// (then with the time that took; else 0).
func lexScaleIndex(tb testing.TB, size int) (*Index, time.Duration) {
	tb.Helper()
	if *lexDir == "" {
		return newTestIndex(tb, Config{Embed: constEmbed}, synthCorpus(size)), 0
	}
	dir := filepath.Join(*lexDir, strconv.Itoa(size))
	_, err := os.Stat(dir)
	cfg := Config{Dir: dir, Embed: constEmbed, EmbedModel: "constant", MergeIdle: -1}
	if err == nil {
		t0 := time.Now()
		ix := newTestIndex(tb, cfg, nil)
		return ix, time.Since(t0)
	}
	return newTestIndex(tb, cfg, synthCorpus(size)), 0
}

// boolFlag returns the value of the test binary's boolean flag name:
// -large and -huge belong to the external test package (bench_test.go),
// which shares this binary.
func boolFlag(name string) bool {
	f := flag.Lookup(name)
	if f == nil {
		return false
	}
	v, _ := f.Value.(flag.Getter).Get().(bool)
	return v
}

// constEmbed is an embedding that costs nothing: the same unit vector for
// every text.
func constEmbed(context.Context, string) ([]float32, error) {
	v := make([]float32, 16)
	v[0] = 1
	return v, nil
}

// countLexWork runs the lexical search of every question once more,
// untimed, counting its work (lexWork): a measure that the machine's
// noise does not move.
func countLexWork(ix *Index, s *snapshot, toks [][]token, t Tuning) *lexWork {
	var w lexWork
	for _, tk := range toks {
		terms := ix.queryTerms(s, tk, t)
		if len(terms) == 0 {
			continue
		}
		q := newLexQuery(s, terms, t, nil, t.Candidates)
		q.work = &w
		s.lex.search(&q)
	}
	return &w
}

// report reports the work per question of n questions.
func (w *lexWork) report(b *testing.B, n int) {
	per := func(x int64) float64 { return float64(x) / float64(n) }
	b.ReportMetric(per(w.docs), "docs/q")
	b.ReportMetric(per(w.contribs), "contribs/q")
	b.ReportMetric(per(w.pushed), "pushed/q")
	b.ReportMetric(per(w.blocks), "blocks/q")
	b.ReportMetric(per(w.skipped), "skipped/q")
	b.ReportMetric(per(w.capped), "capped/q")
	b.ReportMetric(per(w.docCaps), "doccaps/q")
	b.ReportMetric(per(w.coasted), "coasted/q")
	b.ReportMetric(per(w.artPosts), "artposts/q")
}

// BenchmarkArticleStep times the article step of the lexical search alone
// (scoreRange over every piece of articles, with the articles' term
// bounds), on the questions and corpus of BenchmarkLexicalScale: a
// steadier measure of that step than the searches' times. It reports the
// time per question and the article postings scored per question.
func BenchmarkArticleStep(b *testing.B) {
	qs := benchdata.MultiHopQuestions(b)
	eachScale(b, func(b *testing.B, size int) {
		ix, _ := lexScaleIndex(b, size)
		s := ix.current()
		t := DefaultTuning()
		type artRun struct {
			r  *lexRun
			ps []lexPiece
		}
		var runs []artRun
		for _, question := range qs {
			terms := ix.queryTerms(s, ix.an.tokens(question, nil), t)
			if len(terms) == 0 {
				continue
			}
			q := newLexQuery(s, terms, t, nil, t.Candidates)
			var w lexWork
			q.work = &w
			r := s.lex.newRun(&q)
			runs = append(runs, artRun{r, r.firstPieces()})
		}
		sc := make([]float32, s.lex.nArts)
		terms := make([]float64, s.lex.nArts)
		for b.Loop() {
			for _, x := range runs {
				r := x.r
				clear(sc)
				clear(terms)
				for _, p := range x.ps {
					if p.step == stepArts {
						r.al.scoreRange(r.q.terms, sc[p.lo:p.hi], terms[p.lo:p.hi], &r.termCaps, p.lo, p.hi)
					}
				}
			}
		}
		var posts int64
		for _, x := range runs {
			posts += x.r.q.work.artPosts
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(runs))/1e3, "us/q")
		b.ReportMetric(float64(posts)/float64(b.N*len(runs)), "artposts/q")
		b.ReportMetric(0, "ns/op")
	})
}
