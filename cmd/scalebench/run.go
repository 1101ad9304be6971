package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/synthetic"
	"github.com/briefbot/briefbot/retrieval/vecscan"
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
	dims       []int
	real       bool
	realFile   string
	json       bool
	candidates int
	// timeline is how many of the slowest hybrid queries to log piece by
	// piece; ab also times the hybrid query on stop 18's schedule
	// (engine overlap).
	timeline int
	ab       bool
}

// maxQueries is the most timed queries -queries asks for.
const maxQueries = 10_000_000

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
	fs.DurationVar(&o.budget, "query-budget", 90*time.Second, "stop the timed queries of a size and question set after this long (at least 20 queries run)")
	dims := fs.String("dims", "512", "embedding dimensions, comma-separated: 512 (the local embedder) and/or 1536 (model-sized)")
	fs.BoolVar(&o.real, "real", false, "also time the MultiHop-RAG dev questions (from -real-file) against the synthetic index")
	fs.StringVar(&o.realFile, "real-file", realQuestionsFile, "the MultiHop-RAG dev questions, for -real")
	fs.BoolVar(&o.json, "json", false, "print one JSON object per size, dimension, engine and question set to stdout instead of the table")
	fs.IntVar(&o.candidates, "candidates", 100, "candidates the quantised scan passes to exact rescoring (engine quant)")
	fs.IntVar(&o.timeline, "timeline", 0, "log when each piece of the N slowest hybrid queries ran, and on which goroutine (0: none)")
	fs.BoolVar(&o.ab, "ab", false, "also time the hybrid query with its two sides started together (engine overlap: the schedule of stop 18) beside the one pool (ours)")
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
	for _, s := range strings.Split(*dims, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || (n != retrieval.LocalDim && n != modelDims) {
			return o, fmt.Errorf("bad dimension %q in -dims: want %d or %d", s, retrieval.LocalDim, modelDims)
		}
		o.dims = append(o.dims, n)
	}
	if o.timeline < 0 {
		return o, errors.New("-timeline must not be negative")
	}
	if o.queries <= 0 || o.k <= 0 || o.candidates <= 0 {
		return o, errors.New("-queries, -k and -candidates must be positive")
	}
	if o.queries > maxQueries {
		// The questions are made before the timing: more would not fit.
		return o, fmt.Errorf("-queries must be at most %d (-query-budget bounds the time)", maxQueries)
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
			return fmt.Errorf("-pprof: %w", err)
		}
	}
	if o.out != "" {
		// Found unwritable now, not after hours of measuring; the table
		// of an earlier run there stays until this run's replaces it.
		f, err := os.OpenFile(o.out, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("-out: %w", err)
		}
		f.Close()
	}
	var realQs []string
	if o.real {
		if realQs, err = loadRealQuestions(o.realFile); err != nil {
			return err
		}
	}
	g := synthetic.New(o.seed)
	var results []result
	for _, size := range o.sizes {
		for _, dims := range o.dims {
			r, err := measure(ctx, o, g, size, dims, realQs, stderr)
			if err != nil {
				return fmt.Errorf("size %d, %d dimensions: %w", size, dims, err)
			}
			results = append(results, r)
			if o.json {
				if err := writeJSON(stdout, r); err != nil {
					return err
				}
			}
		}
	}
	var b strings.Builder
	writeTable(&b, o, results)
	if !o.json {
		if _, err := io.WriteString(stdout, b.String()); err != nil {
			return err
		}
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
	heapPerChunk float64 // bytes
}

// timing is one engine's query times over one question set.
type timing struct {
	p50, p99 time.Duration
}

// setResult is what one question set measured.
type setResult struct {
	name    string // "synthetic" or "real"
	queries int    // timed queries per engine
	times   map[string]timing
	recall  float64 // top-10 recall of the quantised scan against the exact one
	// oursRecall is the same for our index's vector side (Search with the
	// lexical side off).
	oursRecall float64
	words      float64 // average words per question
	// gcCycles is how many garbage collections ran during the timed
	// queries, gcPause their stop-the-world pauses in all, and gcQueries
	// how many of each engine's timed queries one ran during.
	gcCycles  int
	gcPause   time.Duration
	gcQueries map[string]int
}

// floorTail returns the floor's p99 over its p50 in the set: the tail of
// the machine itself (the floor is the same work every query), beside
// which the engines' tails are read; 0 without a floor.
func (sr setResult) floorTail() float64 {
	f, ok := sr.times["floor"]
	if !ok || f.p50 <= 0 {
		return 0
	}
	return f.p99.Seconds() / f.p50.Seconds()
}

// result is one size and dimension's measurements.
type result struct {
	size, dims, chunks, articles int
	textPerChunk                 float64 // article text bytes per chunk, held by the caller
	ours, chromem, bleve         engineResult
	embed                        time.Duration // embedding every chunk once, for chromem, quant and floor
	quantBytes, floorBytes       float64       // per chunk
	ourIndex, ourSave            time.Duration // parts of ours.build
	restart                      time.Duration
	fileBytes                    int64
	sets                         []setResult
	sameAfterRestart             bool
	// rssBefore is the resident set of the whole process, in bytes,
	// settled before our build; mem has the peak and settled resident set
	// of each phase of our index, in memPhases order (0 where the system
	// does not tell).
	rssBefore uint64
	mem       [len(memPhases)]phaseRSS
}

// phaseRSS is the resident set of the whole process during one phase of
// our index: its peak, and the size settled after the phase.
type phaseRSS struct{ peak, settled uint64 }

// ratio returns the peak over the settled size, 0 when not measured.
func (p phaseRSS) ratio() float64 {
	if p.settled == 0 {
		return 0
	}
	return float64(p.peak) / float64(p.settled)
}

// memPhases name the phases of our index whose peak resident set is
// measured: the bulk build (New + one Add of the corpus), the restart (New
// on the persisted directory), a small Add into the full index, and a
// merge (an Add of more chunks than Config.MergeChunks, which compacts
// the index and writes a new base, the work of a background merge).
var memPhases = [...]string{"build", "restart", "add", "merge"}

const (
	phaseBuild = iota
	phaseRestart
	phaseAdd
	phaseMerge
)

// measurePhase runs fn and returns the process's peak resident set while
// it ran and the resident set settled after it.
func measurePhase(fn func() error) (phaseRSS, error) {
	resetPeakRSS()
	err := fn()
	p := phaseRSS{peak: peakRSS()}
	p.settled = settledRSS()
	return p, err
}

// engine is a built index under test.
type engine struct {
	name  string
	query func(ctx context.Context, q string) error
	times []time.Duration
	// probe, when set, returns the probe each query of ours carries
	// (retrieval.WithProbe); probes holds those that recorded, one per
	// time.
	probe  func() *retrieval.Probe
	probes []*retrieval.Probe
}

// engineOrder is the order of the engines in tables and JSON.
var engineOrder = []string{"ours", "lexical", "vector", "quant", "chromem", "bleve", "floor"}

// measure builds the engines over a corpus of size chunks with dims-sized
// embeddings, queries them in turn with each question set and reopens
// ours.
func measure(ctx context.Context, o options, g *synthetic.Generator, size, dims int, realQs []string, logw io.Writer) (result, error) {
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, "[%s] %d/%dd: %s\n", time.Now().Format("15:04:05"), size, dims, fmt.Sprintf(format, args...))
	}
	embed, model, err := embedderFor(dims)
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	c, err := makeCorpus(ctx, g, size)
	if err != nil {
		return result{}, err
	}
	r := result{size: size, dims: dims, chunks: len(c.chunks), articles: len(c.arts), textPerChunk: float64(c.textBytes) / float64(len(c.chunks))}
	synth := make([]string, o.queries)
	for i := range synth {
		synth[i] = g.Question(i, len(c.arts))
	}
	logf("corpus: %d articles, %d chunks, %.0f text bytes per chunk, made in %v", r.articles, r.chunks, r.textPerChunk, time.Since(start).Round(time.Millisecond))

	dir, err := os.MkdirTemp("", "scalebench-*")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	cfg := retrieval.Config{Dir: filepath.Join(dir, "ours")}
	if dims != retrieval.LocalDim {
		cfg.Embed, cfg.EmbedModel = embed, model
	}

	// Ours.
	r.rssBefore = settledRSS()
	base := heapInUse()
	stopProf, err := startCPUProfile(o.pprofDir, fmt.Sprintf("build-%d-%d.cpu", size, dims))
	if err != nil {
		return r, err
	}
	var ix *retrieval.Index
	var bt buildTimes
	r.mem[phaseBuild], err = measurePhase(func() (err error) {
		ix, bt, err = buildOurs(ctx, cfg, c.arts)
		return err
	})
	stopProf()
	if err != nil {
		return r, err
	}
	if ix.ChunkCount() != r.chunks {
		return r, fmt.Errorf("our index holds %d chunks, the corpus %d", ix.ChunkCount(), r.chunks)
	}
	r.ours = engineResult{built: true, build: bt.total}
	bitFrac := ix.BitFraction()
	logf("build: 1-bit vector pass fraction %d (1/fraction of the slots; 0: off)", bitFrac)
	r.ourIndex, r.ourSave = bt.index, bt.save
	r.ours.heapPerChunk = growth(base) / float64(r.chunks)
	if err := writeHeapProfile(o.pprofDir, fmt.Sprintf("heap-%d-%d.prof", size, dims)); err != nil {
		return r, err
	}
	logf("ours: built in %v (index %v, save %v), %.0f B/chunk", bt.total.Round(time.Millisecond), bt.index.Round(time.Millisecond), bt.save.Round(time.Millisecond), r.ours.heapPerChunk)
	lexical := retrieval.DefaultTuningFor(model)
	lexical.VectorWeight = -1
	vectorOnly := retrieval.DefaultTuningFor(model)
	vectorOnly.LexicalWeight = -1
	// tuned searches ix with tuning t (the vector or the lexical
	// component switched off), the default restored after.
	tuned := func(t retrieval.Tuning) func(context.Context, string) error {
		return func(ctx context.Context, q string) error {
			ix.SetTuning(t)
			defer ix.SetTuning(retrieval.DefaultTuningFor(model))
			_, err := ix.Search(ctx, retrieval.Query{Text: q, K: o.k})
			return err
		}
	}
	search := func(ctx context.Context, q string) error {
		_, err := ix.Search(ctx, retrieval.Query{Text: q, K: o.k})
		return err
	}
	// probe returns a probe per query when one is asked for: a timeline,
	// or the overlap schedule (then ours carries one too, so that both
	// pay the same).
	probe := func(overlap bool) func() *retrieval.Probe {
		if o.timeline == 0 && !o.ab {
			return nil
		}
		return func() *retrieval.Probe { return &retrieval.Probe{Overlap: overlap, Record: o.timeline > 0} }
	}
	engines := []*engine{{name: "ours", query: search, probe: probe(false)}, {name: "lexical", query: tuned(lexical)}, {name: "vector", query: tuned(vectorOnly)}}
	if o.ab {
		engines = append(engines, &engine{name: "overlap", query: search, probe: probe(true)})
	}

	// The vectors once, contiguous: the quantised scan and the floor read
	// them, chromem-go gets them as its documents' embeddings.
	t0 := time.Now()
	vecs, err := embedAll(ctx, c, embed, dims)
	if err != nil {
		return r, err
	}
	r.embed = time.Since(t0)
	codes := vecscan.Quantize(vecs, dims)
	r.quantBytes = float64(codes.Bytes())/float64(r.chunks) + float64(4*dims)
	r.floorBytes = float64(4 * dims)
	logf("vectors: embedded in %v; quantised codes %.0f B/chunk (kernel %s)", r.embed.Round(time.Millisecond), float64(codes.Bytes())/float64(r.chunks), vecscan.Kernel())
	embedQ := func(ctx context.Context, q string) ([]float32, error) {
		v, err := embed(ctx, q)
		if err != nil {
			return nil, err
		}
		if len(v) != dims {
			return nil, fmt.Errorf("query embedding of %d dimensions, want %d", len(v), dims)
		}
		return v, nil
	}
	var sink uint64
	engines = append(engines, &engine{name: "quant", query: func(ctx context.Context, q string) error {
		v, err := embedQ(ctx, q)
		if err != nil {
			return err
		}
		vecscan.Search(&codes, vecs, v, o.k, o.candidates)
		return nil
	}}, &engine{name: "floor", query: func(ctx context.Context, q string) error {
		sink += vecscan.ReadFloor(vecs)
		return nil
	}})

	// Plain chromem-go.
	var ch *chromemEngine
	if o.chromemMax == 0 || size <= o.chromemMax {
		before := heapInUse()
		ch, err = buildChromem(ctx, c, vecs, dims, embed)
		if err != nil {
			return r, err
		}
		// Its documents' embeddings are sub-slices of vecs: they count too.
		r.chromem = engineResult{built: true, build: ch.build + r.embed, heapPerChunk: growth(before)/float64(r.chunks) + r.floorBytes}
		logf("chromem: built in %v (with the embedding), %.0f B/chunk", r.chromem.build.Round(time.Millisecond), r.chromem.heapPerChunk)
		engines = append(engines, &engine{name: "chromem", query: ch.query(o.k)})
	}

	// Bleve.
	var bl *bleveEngine
	// bleve indexes text only: it is built and timed with the first
	// dimension of -dims alone.
	if (o.bleveMax == 0 || size <= o.bleveMax) && dims == o.dims[0] {
		before := heapInUse()
		bl, err = buildBleve(ctx, c, filepath.Join(dir, "bleve"))
		if err != nil {
			return r, err
		}
		// On disk, bleve's index is memory-mapped: its files count as well
		// as its heap.
		heap := growth(before)
		files := dirSize(filepath.Join(dir, "bleve"))
		r.bleve = engineResult{built: true, build: bl.build, heapPerChunk: (heap + float64(files)) / float64(r.chunks)}
		logf("bleve: built and merged in %v, %d segment(s), heap %.0f B/chunk + files %.0f B/chunk", bl.build.Round(time.Millisecond), bl.segments, heap/float64(r.chunks), float64(files)/float64(r.chunks))
		engines = append(engines, &engine{name: "bleve", query: bl.query(o.k)})
	}

	sets := []struct {
		name string
		qs   []string
	}{{"synthetic", synth}}
	if len(realQs) > 0 {
		sets = append(sets, struct {
			name string
			qs   []string
		}{"real", realQs[:min(len(realQs), o.queries)]})
	}
	for _, set := range sets {
		sr, err := timeSet(ctx, o, engines, set.name, set.qs, o.seed)
		if err != nil {
			return r, err
		}
		logf("%s questions: %s", set.name, slowest(engines, "ours", 3))
		for _, e := range engines {
			for _, line := range timelines(e, o.timeline) {
				logf("%s questions: %s", set.name, line)
			}
		}
		if sr.recall, err = quantRecall(ctx, embedQ, &codes, vecs, dims, set.qs, o.candidates); err != nil {
			return r, err
		}
		ix.SetTuning(vectorOnly)
		sr.oursRecall, err = oursRecall(ctx, ix, c, embedQ, vecs, dims, set.qs)
		ix.SetTuning(retrieval.DefaultTuningFor(model))
		if err != nil {
			return r, err
		}
		for _, name := range jsonEngines {
			if t, ok := sr.times[name]; ok {
				logf("%s questions, %s: p50 %v, p99 %v (%d of %d queries during a garbage collection)", set.name, name, t.p50.Round(time.Microsecond), t.p99.Round(time.Microsecond), sr.gcQueries[name], sr.queries)
			}
		}
		logf("%s questions: %d garbage collections during the timed queries, %v of pauses; the machine's own tail (the floor's p99 over its p50) %.2f", set.name, sr.gcCycles, sr.gcPause, sr.floorTail())
		logf("%s questions: top-10 recall of the vector side, ours %.4f, quant %.4f at %d candidates", set.name, sr.oursRecall, sr.recall, o.candidates)
		r.sets = append(r.sets, sr)
	}
	_ = sink
	if o.pprofDir != "" {
		qs := synth
		if len(realQs) > 0 {
			qs = realQs
		}
		if err := profileSearch(ctx, o, ix, qs, fmt.Sprintf("search-%d-%d.cpu", size, dims)); err != nil {
			return r, err
		}
	}

	// Restart: drop everything, reopen ours from its file.
	want := make([][]retrieval.Hit, min(20, len(synth)))
	for i := range want {
		if want[i], err = ix.Search(ctx, retrieval.Query{Text: synth[i], K: o.k}); err != nil {
			return r, err
		}
	}
	if bl != nil {
		if err := bl.close(); err != nil {
			return r, err
		}
	}
	// Closed, not only dropped: an index under the merge threshold armed
	// its idle merge, which would otherwise rewrite the files (and delete
	// the log the reopening reads) while the restart runs, 30 s after the
	// build, once the queries take that long.
	if err := ix.Close(); err != nil {
		return r, fmt.Errorf("close: %w", err)
	}
	ix, ch, bl, engines, vecs, codes = nil, nil, nil, nil, nil, vecscan.Codes{}
	runtime.GC()
	stopProf, err = startCPUProfile(o.pprofDir, fmt.Sprintf("restart-%d-%d.cpu", size, dims))
	if err != nil {
		return r, err
	}
	var re *retrieval.Index
	t := time.Now()
	r.mem[phaseRestart], err = measurePhase(func() (err error) {
		re, err = retrieval.New(ctx, cfg)
		r.restart = time.Since(t)
		return err
	})
	stopProf()
	if err != nil {
		return r, fmt.Errorf("reopen: %w", err)
	}
	re.WaitVectorCheck() // the same 1-bit pass as before the restart
	logf("restart: 1-bit vector pass fraction %d (0: off), before the restart %d", re.BitFraction(), bitFrac)
	if re.ChunkCount() != r.chunks {
		return r, fmt.Errorf("reopened index holds %d chunks, want %d", re.ChunkCount(), r.chunks)
	}
	r.sameAfterRestart = true
	common, total := 0, 0
	for i := range want {
		got, err := re.Search(ctx, retrieval.Query{Text: synth[i], K: o.k})
		if err != nil {
			return r, err
		}
		r.sameAfterRestart = r.sameAfterRestart && sameHits(got, want[i])
		common, total = common+commonChunks(got, want[i]), total+len(want[i])
	}
	// With the 1-bit pass on, a reload's slot order changes which near
	// ties the pass keeps, and the check after the reload, which times
	// the pass, may decide otherwise near a tie of the times: the answers
	// must agree on 99% of the chunks.
	agree := float64(common) / float64(max(1, total))
	if !r.sameAfterRestart && (bitFrac == 0 && re.BitFraction() == 0 || agree < 0.99) {
		return r, fmt.Errorf("the reopened index answers differently (%.4f of the chunks in common)", agree)
	}
	if !r.sameAfterRestart {
		logf("restart: with the 1-bit pass on, %.4f of the chunks in common", agree)
	}
	r.fileBytes = dirSize(cfg.Dir)
	logf("restart: %v from %.1f MB", r.restart.Round(time.Millisecond), float64(r.fileBytes)/1e6)

	// A small Add into the full index: the peak while it builds the next
	// snapshot beside the current one.
	if r.mem[phaseAdd], err = measureAdd(ctx, re, g, r.articles+1_000_000, addArticles); err != nil {
		return r, fmt.Errorf("add to the reopened index: %w", err)
	}
	// A merge: an Add of more chunks than the merge threshold (at least
	// MergeChunks, 512 by default, and a 400th of the index) compacts the
	// index and writes it as a new base, as a background merge does.
	if r.mem[phaseMerge], err = measureAdd(ctx, re, g, r.articles+2_000_000, mergeArticles(r.articles)); err != nil {
		return r, fmt.Errorf("merge into the reopened index: %w", err)
	}
	// The Add armed the idle merge, whose timer would keep the index
	// alive into the next size's heap baseline.
	if err := re.Close(); err != nil {
		return r, fmt.Errorf("close the reopened index: %w", err)
	}
	logf("RSS: before %s; %s", mb(r.rssBefore), memSummary(r))
	return r, nil
}

// timeSet times the engines on one question set. Query i goes to every
// engine in turn, in an order shuffled for each query (seeded with seed),
// so that a slow spell of the machine hits all alike, and each engine
// follows each other about as often: a fixed rotation would always run
// the same engine right after the floor, which evicts the caches. It counts the garbage collections that ran
// during the timed queries, and for each engine the queries one ran
// during: a real bot collects garbage too, so they stay in the times, but
// the count tells whether a tail is the collector's.
func timeSet(ctx context.Context, o options, engines []*engine, name string, qs []string, seed uint64) (setResult, error) {
	sr := setResult{name: name, times: map[string]timing{}, gcQueries: map[string]int{}}
	words := 0
	for _, q := range qs {
		words += len(strings.Fields(q))
	}
	sr.words = float64(words) / float64(len(qs))
	for _, e := range engines {
		// Room for every time: no append copies while timing.
		e.times = make([]time.Duration, 0, len(qs))
		e.probes = nil
		for _, q := range qs[:min(5, len(qs))] { // warm-up
			qctx, _ := e.context(ctx)
			if err := e.query(qctx, q); err != nil {
				return sr, fmt.Errorf("%s: %w", e.name, err)
			}
		}
	}
	gc := gcCounter()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	qstart := time.Now()
	shuffle := rand.New(rand.NewPCG(seed, uint64(len(qs))))
	for i, q := range qs {
		if i >= 20 && time.Since(qstart) > o.budget {
			break
		}
		sr.queries = i + 1
		for _, j := range shuffle.Perm(len(engines)) {
			e := engines[j]
			qctx, p := e.context(ctx)
			n := gc()
			t := time.Now()
			if err := e.query(qctx, q); err != nil {
				return sr, fmt.Errorf("%s: %w", e.name, err)
			}
			e.times = append(e.times, time.Since(t))
			if p != nil && p.Record {
				e.probes = append(e.probes, p)
			}
			if gc() != n {
				sr.gcQueries[e.name]++
			}
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	sr.gcCycles = int(after.NumGC - before.NumGC)
	sr.gcPause = time.Duration(after.PauseTotalNs - before.PauseTotalNs)
	for _, e := range engines {
		p50, p99 := percentiles(e.times)
		sr.times[e.name] = timing{p50, p99}
	}
	return sr, nil
}

// context returns ctx with a new probe of the engine's, and the probe,
// if it has any.
func (e *engine) context(ctx context.Context) (context.Context, *retrieval.Probe) {
	if e.probe == nil {
		return ctx, nil
	}
	p := e.probe()
	return retrieval.WithProbe(ctx, p), p
}

// slowest says which questions took the engine named longest (their
// numbers in the set) and what every engine took on them: whether a tail
// is particular questions, and which side's.
func slowest(engines []*engine, name string, n int) string {
	var times []time.Duration
	for _, e := range engines {
		if e.name == name {
			times = e.times
		}
	}
	order := make([]int, len(times))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(times[b], times[a]) })
	var parts []string
	for _, i := range order[:min(n, len(order))] {
		var each []string
		for _, e := range engines {
			each = append(each, fmt.Sprintf("%s %v", e.name, e.times[i].Round(time.Microsecond)))
		}
		parts = append(parts, fmt.Sprintf("question %d (%s)", i, strings.Join(each, ", ")))
	}
	return fmt.Sprintf("slowest for %s: %s", name, strings.Join(parts, "; "))
}

// gcCounter returns a function that reads the number of garbage
// collections completed so far, without stopping the world (as
// runtime.ReadMemStats does) or allocating.
func gcCounter() func() uint64 {
	sample := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	return func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return sample[0].Value.Uint64()
	}
}

// recallQuestions is how many questions of a set the recall is measured on:
// each needs an exact scan on one core.
const recallQuestions = 50

// quantRecall returns the share of the exact float32 scan's top 10 that the
// quantised scan (with exact rescoring of its candidates) also returns in
// its top 10, over the set's first questions.
func quantRecall(ctx context.Context, embed func(context.Context, string) ([]float32, error), codes *vecscan.Codes, vecs []float32, dims int, qs []string, candidates int) (float64, error) {
	found, total := 0, 0
	for _, q := range qs[:min(recallQuestions, len(qs))] {
		v, err := embed(ctx, q)
		if err != nil {
			return 0, err
		}
		want := vecscan.Exact(vecs, dims, v, 10)
		got := vecscan.Search(codes, vecs, v, 10, candidates)
		in := map[int32]bool{}
		for _, g := range got {
			in[g.ID] = true
		}
		for _, w := range want {
			if in[w.ID] {
				found++
			}
		}
		total += len(want)
	}
	if total == 0 {
		return 1, nil
	}
	return float64(found) / float64(total), nil
}

// addArticles is how many articles the timed Add into a full index adds.
const addArticles = 10

// mergeArticles returns how many articles the Add that merges an index of
// n articles adds: about a 200th of them (1.3 times the 400th of the
// chunks that the merge threshold is, at 6.6 chunks per article) and 100
// more (over the threshold's floor of 512 chunks).
func mergeArticles(n int) int { return n/200 + 100 }

// measureAdd adds n new articles of the generator, from the first'th on,
// to ix and returns the resident set during the Add.
func measureAdd(ctx context.Context, ix *retrieval.Index, g *synthetic.Generator, first, n int) (phaseRSS, error) {
	arts := make([]article.Article, n)
	for i := range arts {
		arts[i] = g.Article(first + i)
	}
	return measurePhase(func() error {
		_, err := ix.Add(ctx, arts)
		return err
	})
}

// memSummary says each phase's peak and settled resident set.
func memSummary(r result) string {
	parts := make([]string, len(memPhases))
	for i, name := range memPhases {
		m := r.mem[i]
		parts[i] = fmt.Sprintf("%s peak %s over %s settled (%.2fx)", name, mb(m.peak), mb(m.settled), m.ratio())
	}
	return strings.Join(parts, "; ")
}

func mb(b uint64) string { return fmt.Sprintf("%.0f MB", float64(b)/1e6) }

// oursRecall returns the share of the exact float32 scan's top 10 that our
// index's vector side (ix, tuned with the lexical side off) returns in its
// top 10, over the set's first questions. Chunk i of c has vector i of
// vecs.
func oursRecall(ctx context.Context, ix *retrieval.Index, c *corpus, embed func(context.Context, string) ([]float32, error), vecs []float32, dims int, qs []string) (float64, error) {
	found, total := 0, 0
	for _, q := range qs[:min(recallQuestions, len(qs))] {
		v, err := embed(ctx, q)
		if err != nil {
			return 0, err
		}
		hits, err := ix.Search(ctx, retrieval.Query{Text: q, K: 10})
		if err != nil {
			return 0, err
		}
		in := map[string]bool{}
		for _, h := range hits {
			in[h.Chunk.ID] = true
		}
		for _, w := range vecscan.Exact(vecs, dims, v, 10) {
			if in[c.chunks[w.ID].ID] {
				found++
			}
			total++
		}
	}
	if total == 0 {
		return 1, nil
	}
	return float64(found) / float64(total), nil
}

// commonChunks returns how many of b's chunks a also holds.
func commonChunks(a, b []retrieval.Hit) int {
	in := map[string]bool{}
	for _, h := range a {
		in[h.Chunk.ID] = true
	}
	n := 0
	for _, h := range b {
		if in[h.Chunk.ID] {
			n++
		}
	}
	return n
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

// growth returns the heap in use now less before, in bytes (negative when
// it shrank).
func growth(before uint64) float64 {
	return float64(int64(heapInUse()) - int64(before))
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
