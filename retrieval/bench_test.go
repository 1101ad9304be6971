package retrieval_test

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/internal/benchdata"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/synthetic"
	"github.com/briefbot/briefbot/seeds"
)

var seedQuestions = []string{
	"What did Leavitt say about US boots on the ground?",
	"How much did Zelenskyy offer to spend on American weapons?",
	"Which city is the White House eyeing for the Putin-Zelenskyy summit?",
	"security guarantees for Ukraine",
	"Did Merz think a Putin-Zelenskyy meeting could happen without a ceasefire?",
}

// BenchmarkStartSeeds measures start-up with the seeds: load them, open an
// in-memory index, chunk, analyse and embed them.
func BenchmarkStartSeeds(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		arts, _, err := article.LoadFS(seeds.FS)
		if err != nil {
			b.Fatal(err)
		}
		ix, err := retrieval.New(ctx, retrieval.Config{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ix.Add(ctx, arts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSearchSeeds(b *testing.B) {
	ix := newIndex(b, retrieval.Config{}, loadSeeds(b))
	benchSearch(b, ix, seedQuestions, false)
}

func BenchmarkSearchSeedsDiverse(b *testing.B) {
	ix := newIndex(b, retrieval.Config{}, loadSeeds(b))
	benchSearch(b, ix, seedQuestions, true)
}

func benchSearch(b *testing.B, ix *retrieval.Index, qs []string, diverse bool) {
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := ix.Search(ctx, retrieval.Query{Text: qs[i%len(qs)], K: 10, Diverse: diverse}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkReopenSeeds measures opening a persisted seed index.
func BenchmarkReopenSeeds(b *testing.B) {
	dir := tempDir(b)
	newIndex(b, retrieval.Config{Dir: dir}, loadSeeds(b))
	benchReopen(b, dir)
}

func benchReopen(b *testing.B, dir string) {
	ctx := context.Background()
	var cpu time.Duration
	for b.Loop() {
		c := cpuTime()
		ix, err := retrieval.New(ctx, retrieval.Config{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - c
		if ix.Len() == 0 {
			b.Fatal("reopened index is empty")
		}
		if err := ix.Close(); err != nil {
			b.Fatal(err)
		}
	}
	// cpu-ms: the CPU time of a reopen, the figure that compares across
	// runs on a shared machine (ns/op is wall time).
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkStartMultiHop measures loading the 609 MultiHop-RAG articles and
// indexing them in memory.
func BenchmarkStartMultiHop(b *testing.B) {
	corpus := multiHopCorpus(b)
	ctx := context.Background()
	for b.Loop() {
		arts, _, err := article.Load(corpus)
		if err != nil {
			b.Fatal(err)
		}
		ix, err := retrieval.New(ctx, retrieval.Config{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ix.Add(ctx, arts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSearchMultiHop(b *testing.B) {
	ix := newIndex(b, retrieval.Config{}, loadMultiHop(b))
	benchSearch(b, ix, benchdata.MultiHopQuestions(b), false)
}

func BenchmarkSearchMultiHopDiverse(b *testing.B) {
	ix := newIndex(b, retrieval.Config{}, loadMultiHop(b))
	benchSearch(b, ix, benchdata.MultiHopQuestions(b), true)
}

// BenchmarkReopenMultiHop measures opening a persisted MultiHop-RAG index.
func BenchmarkReopenMultiHop(b *testing.B) {
	dir := tempDir(b)
	newIndex(b, retrieval.Config{Dir: dir}, loadMultiHop(b))
	benchReopen(b, dir)
}

// synthArticles returns synthetic articles with about n chunks in all
// (articles are added until their chunks reach n).
func synthArticles(tb testing.TB, n int) []article.Article {
	tb.Helper()
	g := synthetic.New(1)
	var out []article.Article
	for i, chunks := 0, 0; chunks < n; i++ {
		a := g.Article(i)
		chunks += len(retrieval.ChunkOptions{}.Chunks(&a))
		out = append(out, a)
	}
	return out
}

func synthQuestions(n, arts int) []string {
	g := synthetic.New(1)
	out := make([]string, n)
	for i := range out {
		out[i] = g.Question(i, arts)
	}
	return out
}

// large enables the benchmarks on 100,000 synthetic chunks, which take a
// minute: go test -run '^$' -bench Synthetic ./retrieval/ -args -large
var large = flag.Bool("large", false, "also run the benchmarks on 100,000 synthetic chunks")

// BenchmarkSynthetic measures the index on synthetic corpora of 10,000 and
// (with -large) 100,000 chunks: building it in memory
// (reported as chunks/s), searching (hybrid, lexical only, vector only),
// and reopening it from its file. cmd/scalebench goes up to 1M chunks and
// compares with chromem-go and bleve.
func BenchmarkSynthetic(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("%dk", size/1000), func(b *testing.B) {
			if size > 10_000 && !*large {
				b.Skip("large synthetic corpus: run with -args -large")
			}
			arts := synthArticles(b, size)
			qs := synthQuestions(200, len(arts))
			dir := tempDir(b)
			ix := newIndex(b, retrieval.Config{Dir: dir}, arts)
			b.Run("add", func(b *testing.B) {
				for b.Loop() {
					ix, err := retrieval.New(ctx, retrieval.Config{})
					if err != nil {
						b.Fatal(err)
					}
					if _, err := ix.Add(ctx, arts); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(ix.ChunkCount())*float64(b.N)/b.Elapsed().Seconds(), "chunks/s")
			})
			for _, mode := range []string{"hybrid", "lexical", "vector"} {
				b.Run("search-"+mode, func(b *testing.B) {
					t := retrieval.DefaultTuning()
					switch mode {
					case "lexical":
						t.VectorWeight = -1
					case "vector":
						t.LexicalWeight = -1
					}
					ix.SetTuning(t)
					defer ix.SetTuning(retrieval.DefaultTuning())
					benchSearch(b, ix, qs, false)
				})
			}
			b.Run("reopen", func(b *testing.B) { benchReopen(b, dir) })
		})
	}
}

// huge enables the durable-add and merge benchmarks on 1,000,000 synthetic
// chunks (about two minutes and 7 GB to build):
// go test -run '^$' -bench DurableAdd ./retrieval/ -args -large -huge
var huge = flag.Bool("huge", false, "also run the durable-add benchmark on 1,000,000 synthetic chunks")

// BenchmarkDurableAdd measures adding one new article to a persistent index
// of 10,000 (and with -large 100,000, with -huge 1,000,000) synthetic
// chunks: Add returns once the article is searchable and durable.
func BenchmarkDurableAdd(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("%dk", size/1000), func(b *testing.B) {
			if size > 10_000 && !*large || size > 100_000 && !*huge {
				b.Skip("large synthetic corpus: run with -args -large (and -huge for 1M)")
			}
			arts := synthArticles(b, size)
			dir := tempDir(b)
			ix := newIndex(b, retrieval.Config{Dir: dir}, arts)
			g := synthetic.New(2)
			i := 0
			var write time.Duration
			for b.Loop() {
				a := g.Article(len(arts) + i)
				a.ID = fmt.Sprintf("durable-%06d", i)
				i++
				st, err := ix.Add(ctx, []article.Article{a})
				if err != nil || st.Added != 1 {
					b.Fatalf("add: %+v, %v", st, err)
				}
				write += st.Write
			}
			// write-ms: making the article durable (the log record and its
			// fsync); the rest of ns/op is analysis and the in-memory commit.
			b.ReportMetric(float64(write.Microseconds())/1000/float64(b.N), "write-ms/op")
			if size < 1_000_000 {
				return // BenchmarkRestartAndMerge measures the smaller sizes
			}
			// At 1M, on the same files (a second build would take minutes):
			// restart with the adds above in the logs, one add whose
			// background merge compacts and writes a new base, and restart
			// from that base. One index is in memory at a time.
			ix.Close()
			runtime.GC()
			debug.FreeOSMemory()
			start, cpu := time.Now(), cpuTime()
			// MergeIdle starts the merge right after the add (MergeChunks
			// cannot: the logs may hold a 400th of the index).
			re := newIndex(b, retrieval.Config{Dir: dir, MergeIdle: time.Millisecond}, nil)
			b.ReportMetric(time.Since(start).Seconds(), "restart-logged-s")
			b.ReportMetric((cpuTime() - cpu).Seconds(), "restart-logged-cpu-s")
			start, cpu = time.Now(), cpuTime()
			a := g.Article(len(arts) + i)
			a.ID = fmt.Sprintf("durable-%06d", i)
			if _, err := re.Add(ctx, []article.Article{a}); err != nil {
				b.Fatal(err)
			}
			for deadline := time.Now().Add(30 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
				if names, _ := re.Files(); len(names) == 1 && strings.HasPrefix(names[0], "base-") {
					break // merged: a base and no log
				}
				if time.Now().After(deadline) {
					b.Fatal("no merge within 30 minutes")
				}
			}
			if err := re.Close(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(time.Since(start).Seconds(), "add+merge-s")
			b.ReportMetric((cpuTime() - cpu).Seconds(), "add+merge-cpu-s")
			runtime.GC()
			debug.FreeOSMemory()
			start, cpu = time.Now(), cpuTime()
			newIndex(b, retrieval.Config{Dir: dir}, nil)
			b.ReportMetric(time.Since(start).Seconds(), "restart-base-s")
			b.ReportMetric((cpuTime() - cpu).Seconds(), "restart-base-cpu-s")
		})
	}
}

// cpuTime is the CPU time (user and system) the process has used so far:
// on a shared machine it is the figure a restart can be compared by, when
// the wall time is the share of the cores the process got.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRestartAndMerge measures, on a persistent index of 10,000 (with
// -large 100,000) synthetic chunks: reopening it from a merged base
// segment; reopening it with 50 single-article log records to replay; and
// a merge (one article added, then Close waits for the background merge
// that writes a new base).
func BenchmarkRestartAndMerge(b *testing.B) {
	ctx := context.Background()
	for _, size := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("%dk", size/1000), func(b *testing.B) {
			if size > 10_000 && !*large {
				b.Skip("large synthetic corpus: run with -args -large")
			}
			arts := synthArticles(b, size)
			dir := tempDir(b)
			newIndex(b, retrieval.Config{Dir: dir}, arts)
			b.Run("reopen-base", func(b *testing.B) { benchReopen(b, dir) })
			ix := newIndex(b, retrieval.Config{Dir: dir, MergeChunks: 1 << 30}, nil)
			g := synthetic.New(2)
			for i := range 50 {
				a := g.Article(len(arts) + i)
				a.ID = fmt.Sprintf("logged-%06d", i)
				if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
					b.Fatal(err)
				}
			}
			ix.Close()
			b.Run("reopen-base+50-logged", func(b *testing.B) { benchReopen(b, dir) })
			ix = newIndex(b, retrieval.Config{Dir: dir, MergeChunks: 1}, nil)
			i := 0
			b.Run("add+merge", func(b *testing.B) {
				for b.Loop() {
					a := g.Article(len(arts) + 100 + i)
					a.ID = fmt.Sprintf("merged-%06d", i)
					i++
					if _, err := ix.Add(ctx, []article.Article{a}); err != nil {
						b.Fatal(err)
					}
					if err := ix.Close(); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
