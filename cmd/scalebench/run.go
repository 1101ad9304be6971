package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/synthetic"
)

// options are the command-line settings.
type options struct {
	sizes      []int
	queries    int
	k          int
	out        string
	bleveMax   int
	chromemMax int
	pprofDir   string
	seed       uint64
	budget     time.Duration
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("scalebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("sizes", "1000,10000,100000,1000000", "corpus sizes in chunks, comma-separated")
	var o options
	fs.IntVar(&o.queries, "queries", 200, "timed queries per engine and size")
	fs.IntVar(&o.k, "k", 10, "hits per query")
	fs.StringVar(&o.out, "out", "", "also write the markdown table to this file")
	fs.IntVar(&o.bleveMax, "bleve-max", 100_000, "largest size indexed with bleve (0: no limit)")
	fs.IntVar(&o.chromemMax, "chromem-max", 0, "largest size indexed with plain chromem-go (0: no limit)")
	fs.StringVar(&o.pprofDir, "pprof", "", "write CPU profiles of our build and search, and a heap profile, per size, to this directory")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the synthetic corpus")
	fs.DurationVar(&o.budget, "query-budget", 90*time.Second, "stop the timed queries of a size after this long (at least 20 queries run)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return o, fmt.Errorf("bad size %q in -sizes", s)
		}
		o.sizes = append(o.sizes, n)
	}
	if o.queries <= 0 || o.k <= 0 {
		return o, errors.New("-queries and -k must be positive")
	}
	return o, nil
}

// run parses the flags, measures every size and prints the table.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.pprofDir != "" {
		if err := os.MkdirAll(o.pprofDir, 0o755); err != nil {
			return err
		}
	}
	g := synthetic.New(o.seed)
	var results []result
	for _, size := range o.sizes {
		r, err := measure(ctx, o, g, size, stderr)
		if err != nil {
			return fmt.Errorf("size %d: %w", size, err)
		}
		results = append(results, r)
	}
	var b strings.Builder
	writeTable(&b, o, results)
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		return err
	}
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(b.String()), 0o644); err != nil {
			return fmt.Errorf("write table: %w", err)
		}
	}
	return nil
}

// engineResult is what one engine measured at one size.
type engineResult struct {
	built        bool
	build        time.Duration
	p50, p99     time.Duration
	heapPerChunk float64 // bytes
}

// result is one size's row.
type result struct {
	size, chunks, articles int
	textPerChunk           float64 // article text bytes per chunk, held by the caller
	ours, chromem, bleve   engineResult
	ourIndex, ourSave      time.Duration // parts of ours.build
	restart                time.Duration
	fileBytes              int64
	queries                int           // timed queries per engine
	lexP50, lexP99         time.Duration // ours with the vector component off
	sameAfterRestart       bool
}

// engine is a built index under test.
type engine struct {
	name  string
	query func(ctx context.Context, q string) error
	times []time.Duration
}

// measure builds the three engines over a corpus of size chunks, queries
// them in turn and reopens ours.
func measure(ctx context.Context, o options, g *synthetic.Generator, size int, logw io.Writer) (result, error) {
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, "[%s] %d: %s\n", time.Now().Format("15:04:05"), size, fmt.Sprintf(format, args...))
	}
	start := time.Now()
	c, err := makeCorpus(ctx, g, size)
	if err != nil {
		return result{}, err
	}
	r := result{size: size, chunks: len(c.chunks), articles: len(c.arts), textPerChunk: float64(c.textBytes) / float64(len(c.chunks))}
	qs := make([]string, o.queries)
	for i := range qs {
		qs[i] = g.Question(i, len(c.arts))
	}
	logf("corpus: %d articles, %d chunks, %.0f text bytes per chunk, made in %v", r.articles, r.chunks, r.textPerChunk, time.Since(start).Round(time.Millisecond))

	dir, err := os.MkdirTemp("", "scalebench-*")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)

	// Ours.
	base := heapInUse()
	stopProf, err := startCPUProfile(o.pprofDir, fmt.Sprintf("build-%d.cpu", size))
	if err != nil {
		return r, err
	}
	ix, bt, err := buildOurs(ctx, dir, c.arts)
	stopProf()
	if err != nil {
		return r, err
	}
	if ix.ChunkCount() != r.chunks {
		return r, fmt.Errorf("our index holds %d chunks, the corpus %d", ix.ChunkCount(), r.chunks)
	}
	r.ours = engineResult{built: true, build: bt.total}
	r.ourIndex, r.ourSave = bt.index, bt.save
	afterOurs := heapInUse()
	r.ours.heapPerChunk = float64(afterOurs-base) / float64(r.chunks)
	if err := writeHeapProfile(o.pprofDir, fmt.Sprintf("heap-%d.prof", size)); err != nil {
		return r, err
	}
	logf("ours: built in %v (index %v, save %v), %.0f B/chunk", bt.total.Round(time.Millisecond), bt.index.Round(time.Millisecond), bt.save.Round(time.Millisecond), r.ours.heapPerChunk)
	lexical := retrieval.DefaultTuning()
	lexical.VectorWeight = -1
	engines := []*engine{{name: "ours", query: func(ctx context.Context, q string) error {
		_, err := ix.Search(ctx, retrieval.Query{Text: q, K: o.k})
		return err
	}}, {name: "ours-lexical", query: func(ctx context.Context, q string) error {
		// The same index with the vector component switched off.
		ix.SetTuning(lexical)
		defer ix.SetTuning(retrieval.DefaultTuning())
		_, err := ix.Search(ctx, retrieval.Query{Text: q, K: o.k})
		return err
	}}}

	// Plain chromem-go.
	var ch *chromemEngine
	if o.chromemMax == 0 || size <= o.chromemMax {
		before := heapInUse()
		ch, err = buildChromem(ctx, c)
		if err != nil {
			return r, err
		}
		r.chromem = engineResult{built: true, build: ch.build, heapPerChunk: float64(heapInUse()-before) / float64(r.chunks)}
		logf("chromem: built in %v, %.0f B/chunk", ch.build.Round(time.Millisecond), r.chromem.heapPerChunk)
		engines = append(engines, &engine{name: "chromem", query: ch.query(o.k)})
	}

	// Bleve.
	var bl *bleveEngine
	if o.bleveMax == 0 || size <= o.bleveMax {
		before := heapInUse()
		bl, err = buildBleve(ctx, c)
		if err != nil {
			return r, err
		}
		r.bleve = engineResult{built: true, build: bl.build, heapPerChunk: float64(heapInUse()-before) / float64(r.chunks)}
		logf("bleve: built in %v, %.0f B/chunk", bl.build.Round(time.Millisecond), r.bleve.heapPerChunk)
		engines = append(engines, &engine{name: "bleve", query: bl.query(o.k)})
	}

	// Queries, interleaved: query i goes to every engine in turn, the
	// first engine rotating, so that a slow spell of the machine hits all.
	for _, e := range engines {
		for _, q := range qs[:min(5, len(qs))] { // warm-up
			if err := e.query(ctx, q); err != nil {
				return r, fmt.Errorf("%s: %w", e.name, err)
			}
		}
	}
	qstart := time.Now()
	for i, q := range qs {
		if i >= 20 && time.Since(qstart) > o.budget {
			break
		}
		r.queries = i + 1
		for j := range engines {
			e := engines[(i+j)%len(engines)]
			t := time.Now()
			if err := e.query(ctx, q); err != nil {
				return r, fmt.Errorf("%s: %w", e.name, err)
			}
			e.times = append(e.times, time.Since(t))
		}
	}
	for _, e := range engines {
		p50, p99 := percentiles(e.times)
		switch e.name {
		case "ours":
			r.ours.p50, r.ours.p99 = p50, p99
		case "ours-lexical":
			r.lexP50, r.lexP99 = p50, p99
		case "chromem":
			r.chromem.p50, r.chromem.p99 = p50, p99
		case "bleve":
			r.bleve.p50, r.bleve.p99 = p50, p99
		}
		logf("%s: query p50 %v, p99 %v", e.name, p50.Round(time.Microsecond), p99.Round(time.Microsecond))
	}
	if o.pprofDir != "" {
		if err := profileSearch(ctx, o, ix, qs, fmt.Sprintf("search-%d.cpu", size)); err != nil {
			return r, err
		}
	}

	// Restart: drop everything, reopen ours from its file.
	want := make([][]retrieval.Hit, min(20, len(qs)))
	for i := range want {
		if want[i], err = ix.Search(ctx, retrieval.Query{Text: qs[i], K: o.k}); err != nil {
			return r, err
		}
	}
	if bl != nil {
		if err := bl.close(); err != nil {
			return r, err
		}
	}
	ix, ch, bl, engines = nil, nil, nil, nil
	runtime.GC()
	stopProf, err = startCPUProfile(o.pprofDir, fmt.Sprintf("restart-%d.cpu", size))
	if err != nil {
		return r, err
	}
	t := time.Now()
	re, err := retrieval.New(ctx, retrieval.Config{Dir: dir})
	r.restart = time.Since(t)
	stopProf()
	if err != nil {
		return r, fmt.Errorf("reopen: %w", err)
	}
	if re.ChunkCount() != r.chunks {
		return r, fmt.Errorf("reopened index holds %d chunks, want %d", re.ChunkCount(), r.chunks)
	}
	r.sameAfterRestart = true
	for i := range want {
		got, err := re.Search(ctx, retrieval.Query{Text: qs[i], K: o.k})
		if err != nil {
			return r, err
		}
		r.sameAfterRestart = r.sameAfterRestart && sameHits(got, want[i])
	}
	if !r.sameAfterRestart {
		return r, errors.New("the reopened index answers differently")
	}
	r.fileBytes = dirSize(dir)
	logf("restart: %v from %.1f MB", r.restart.Round(time.Millisecond), float64(r.fileBytes)/1e6)
	return r, nil
}

func sameHits(a, b []retrieval.Hit) bool {
	return slices.EqualFunc(a, b, func(x, y retrieval.Hit) bool {
		return x.Chunk == y.Chunk && x.Score == y.Score && x.Lexical == y.Lexical && x.Vector == y.Vector
	})
}

// percentiles returns the median and the 99th percentile (nearest rank).
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(float64(len(s))*p+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return rank(0.50), rank(0.99)
}

// heapInUse returns the bytes in in-use heap spans after two collections.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// startCPUProfile starts a CPU profile into dir/name; with dir "" it does
// nothing. The returned function stops it.
func startCPUProfile(dir, name string) (func(), error) {
	if dir == "" {
		return func() {}, nil
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func writeHeapProfile(dir, name string) error {
	if dir == "" {
		return nil
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	runtime.GC()
	return pprof.WriteHeapProfile(f)
}

// profileSearch profiles our search alone, running the queries for at least
// three seconds.
func profileSearch(ctx context.Context, o options, ix *retrieval.Index, qs []string, name string) error {
	stop, err := startCPUProfile(o.pprofDir, name)
	if err != nil {
		return err
	}
	defer stop()
	start := time.Now()
	for i := 0; time.Since(start) < 3*time.Second || i < len(qs); i++ {
		if _, err := ix.Search(ctx, retrieval.Query{Text: qs[i%len(qs)], K: o.k}); err != nil {
			return err
		}
	}
	return nil
}
