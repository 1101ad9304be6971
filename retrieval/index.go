package retrieval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/briefbot/briefbot/article"
	chromem "github.com/philippgille/chromem-go"
)

// Config configures an Index.
type Config struct {
	// Dir is where the index persists; "" keeps it in memory only.
	Dir string
	// Embed makes embeddings; nil means LocalEmbedder (no network).
	Embed chromem.EmbeddingFunc
	// EmbedModel names the model behind Embed; the persistent index records it
	// and re-embeds when it changes. With a nil Embed it must be "" or
	// LocalModel; with a persistent custom Embed it is required.
	EmbedModel string
	// Logger receives progress and warnings; nil discards them.
	Logger *slog.Logger
	// EmbedConcurrency is how many chunks are embedded at once; 0 means
	// GOMAXPROCS. Raise it for a remote embedding service.
	EmbedConcurrency int
	// Chunking sets the chunk sizes; a persisted index made with other sizes
	// is rebuilt.
	Chunking ChunkOptions
	// Tuning sets the search parameters; nil means
	// DefaultTuningFor(EmbedModel).
	Tuning *Tuning
	// ReadOnly opens the index in Dir without ever writing there: Add and
	// Remove change the index in memory only. For a process that is not
	// the data directory's writer.
	ReadOnly bool
	// MergeChunks is how many chunks the logs after the base segment may
	// hold before a background merge compacts the index and writes a new
	// base (at least a 400th of the index); 0 means 512. An Add of more
	// chunks than that writes a new base at once instead of a log record.
	// An index in memory compacts itself likewise once its small segments
	// and removed articles hold that many chunks.
	MergeChunks int
	// MergeIdle is how long after the last Add or Remove the logs are
	// merged into a new base in the background even below MergeChunks, so
	// that a restart after a quiet spell replays nothing; 0 means 30s, a
	// negative value never.
	MergeIdle time.Duration
	// oneBitCodes makes an index on the local embedder keep 1-bit codes
	// too, for tests that force the 1-bit pass over its vectors: the
	// index itself never turns the pass on there (see bitcal.go), so it
	// does not build them.
	oneBitCodes bool
	// Progress, when set, is told as an Add prepares its articles how many
	// of the total it has chunked and embedded: first (0, total), then
	// rising to (total, total). Calls are made one at a time, never for
	// an Add of unchanged articles or while the index replays its files.
	Progress func(done, total int)
}

// AddStats reports what Add did.
type AddStats struct {
	Added     int // new articles
	Updated   int // articles whose content changed
	Unchanged int // articles already indexed with the same content hash
	Chunks    int // chunks embedded
	// Write is the time spent making the articles durable: writing and
	// fsyncing their log record, or a new base segment for a large batch.
	Write time.Duration
}

// Index is a hybrid (lexical + vector) index over article chunks. It is safe
// for concurrent use: searches run in parallel with each other and with an
// Add, which builds the next state of the index beside the current one
// (the new articles in a small segment of their own, the rest shared) and
// makes searches wait only while it swaps them.
//
// The chunk embeddings sit in contiguous slabs (vecStore) beside their
// 4-bit codes; a search scans the codes on every core with a SIMD kernel
// and rescores the best candidates exactly in float32. Embedding functions
// are chromem-go's EmbeddingFunc, so chromem-go's OpenAI, Ollama and other
// embedders plug in as they are; the similarities are the ones a chromem-go
// collection of the same vectors gives, to the bit (tested against one).
type Index struct {
	dir       string
	embed     chromem.EmbeddingFunc
	local     bool // embed is the LocalEmbedder: chunks are embedded from their analysis
	model     string
	log       *slog.Logger
	embedN    int
	chunking  ChunkOptions
	an        analyzer
	embedText bool // whether chunks are embedded with their article's title
	progress  func(done, total int)

	addMu sync.Mutex // serialises Add, Remove and starting merges

	readOnly    bool
	loading     bool // replaying the files: nothing is written
	mergeChunks int
	mergeIdle   time.Duration
	idleTimer   *time.Timer // pending idle merge; guarded by addMu
	fileMu      sync.Mutex  // guards files
	files       segFiles
	mergeWG     sync.WaitGroup // the background merges
	// bg counts the background merges running, segMerging and memMerging
	// tell which; mergeCond (on addMu) is signalled as each ends. All
	// guarded by addMu.
	bg         int
	segMerging bool
	memMerging bool
	mergeCond  *sync.Cond
	bitWG      sync.WaitGroup // the background checks of the 1-bit pass (bitcal.go)
	bitMin     int            // chunks before the first check: minBitSlots (tests lower it)
	bitCost    scanCost       // what a check's scan costs: wallClock (tests inject one)
	memMin     int            // chunks from which builds and merges guard memory: minGuardChunks (tests lower it)

	mu     sync.RWMutex // guards tuning, snap and damaged
	tuning Tuning
	snap   *snapshot
	// damaged is set once a merge found the mapped base file damaged
	// (dropDamaged): searches and changes fail with it.
	damaged error

	terms *dict
	vecs  *vecStore
	// prepared counts the articles the running Add has prepared, for its
	// memory guard; guarded by addMu for the rest.
	prepared atomic.Int64
}

// New opens (or creates) an index. With cfg.Dir set it loads the index
// persisted there; when the embedding model, analyser or chunk sizes
// changed since, it re-indexes the stored articles before returning.
// Unless cfg.ReadOnly, the Index is the directory's one writer until Close:
// New fails with ErrLocked while another writer, in this process or
// another, holds it (see LockFile).
func New(ctx context.Context, cfg Config) (*Index, error) {
	for attempt := 1; ; attempt++ {
		ix, err := open(ctx, cfg)
		// A read-only index may read the manifest just before the writer's
		// merge deletes the files it names: read it again.
		if err != nil && cfg.ReadOnly && attempt < 3 && errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return ix, err
	}
}

// open is New, once.
func open(ctx context.Context, cfg Config) (*Index, error) {
	ix := &Index{
		dir:         cfg.Dir,
		embed:       cfg.Embed,
		model:       cfg.EmbedModel,
		log:         cfg.Logger,
		embedN:      cfg.EmbedConcurrency,
		progress:    cfg.Progress,
		chunking:    cfg.Chunking.withDefaults(),
		an:          analyzer{cache: newStemCache(1 << 18)},
		embedText:   true,
		readOnly:    cfg.ReadOnly,
		mergeChunks: cfg.MergeChunks,
		mergeIdle:   cfg.MergeIdle,
		snap:        emptySnapshot(),
		terms:       newDict(),
		vecs:        &vecStore{},
		bitMin:      minBitSlots,
		bitCost:     wallClock,
		memMin:      minGuardChunks,
	}
	ix.mergeCond = sync.NewCond(&ix.addMu)
	if ix.log == nil {
		ix.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if ix.embedN <= 0 {
		ix.embedN = runtime.GOMAXPROCS(0)
	}
	if ix.mergeChunks <= 0 {
		ix.mergeChunks = defaultMergeChunks
	}
	if ix.mergeIdle == 0 {
		ix.mergeIdle = defaultMergeIdle
	}
	switch {
	case ix.embed == nil && ix.model != "" && ix.model != LocalModel:
		return nil, fmt.Errorf("new index: embedding model %q named without an embedding function", ix.model)
	case ix.embed == nil:
		ix.embed, ix.model, ix.local = LocalEmbedder(), LocalModel, true
	case ix.model == "" && ix.dir != "":
		return nil, errors.New("new index: a persistent index with a custom embedding function needs EmbedModel")
	}
	ix.vecs.bitless = ix.local && !cfg.oneBitCodes
	ix.tuning = DefaultTuningFor(ix.model)
	if cfg.Tuning != nil {
		ix.tuning = cfg.Tuning.withDefaults()
		if err := ix.tuning.check(); err != nil {
			return nil, fmt.Errorf("new index: %w", err)
		}
	}
	if ix.dir == "" {
		return ix, nil
	}
	if !ix.readOnly {
		if err := os.MkdirAll(ix.dir, 0o755); err != nil {
			return nil, fmt.Errorf("new index: %w", err)
		}
		lock, err := lockDir(ix.dir)
		if err != nil {
			return nil, fmt.Errorf("new index: %w", err)
		}
		if lock == nil {
			ix.log.Warn("this system cannot lock the index directory: make sure that one process at a time writes to it", "dir", ix.dir)
		}
		ix.files.lock, ix.files.locked = lock, true
	}
	ix.loading = true
	err := ix.load(ctx)
	ix.loading = false
	if err != nil {
		ix.unlock()
		return nil, fmt.Errorf("open index in %s: %w", ix.dir, err)
	}
	return ix, nil
}

// current returns the published snapshot.
func (ix *Index) current() *snapshot {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.snap
}

// Add indexes articles, skipping those whose content hash is unchanged; an
// article with a known ID and a new hash replaces the old one. Chunks are
// analysed and embedded on every core (EmbedConcurrency at once for a
// custom embedding function); searches go on meanwhile. With a persistent
// index the articles are durable before Add returns: one log record,
// fsynced (or, for a batch larger than Config.MergeChunks, a new base
// segment).
func (ix *Index) Add(ctx context.Context, arts []article.Article) (AddStats, error) {
	ix.addMu.Lock()
	defer ix.addMu.Unlock()
	if err := ix.refuseDamaged(); err != nil {
		return AddStats{}, fmt.Errorf("add articles: %w", err)
	}
	return ix.add(ctx, arts, nil)
}

// add is Add with addMu held; known, when set, gives stored vectors to reuse
// instead of embedding (see prepArticle.known).
func (ix *Index) add(ctx context.Context, arts []article.Article, known map[string][]knownChunk) (AddStats, error) {
	var st AddStats
	old := ix.snap // only Add and Remove replace it, under addMu
	todo := make([]*prepArticle, 0, len(arts))
	pos := map[string]int{}
	for i := range arts {
		a := arts[i]
		if a.ID == "" {
			return st, fmt.Errorf("add article %d: empty ID", i)
		}
		h := a.Hash()
		oa, exists := old.lookup(a.ID)
		if exists && old.arts[oa].hash == h {
			st.Unchanged++
			continue
		}
		a.Body = slices.Clone(a.Body) // the index keeps its own copy
		p := &prepArticle{art: &a, hash: h, updated: exists, known: known[a.ID]}
		if j, dup := pos[a.ID]; dup {
			todo[j] = p // the last copy of an ID wins
			continue
		}
		pos[a.ID] = len(todo)
		todo = append(todo, p)
	}
	for _, p := range todo {
		if p.updated {
			st.Updated++
		} else {
			st.Added++
		}
	}
	if len(todo) == 0 {
		return st, nil
	}
	start := time.Now()
	var guard *memGuard
	if ix.bulk(todo, old) {
		// A bulk Add: the index holds the heap to a soft limit meanwhile
		// (memlimit.go), projected from the articles prepared until they
		// all are, then the live heap once they are.
		guard = guardMemory(0)
		defer guard.release()
		ix.prepared.Store(0)
		guard.project(func() int { return int(ix.prepared.Load()) }, len(todo))
	}
	if err := ix.prepare(ctx, todo); err != nil {
		ix.releaseSlots(todo)
		return AddStats{}, fmt.Errorf("add articles: %w", err)
	}
	guard.settle(func(live uint64) (expect, peak uint64) {
		return prepSizes(live, todo, ix.terms.len(), old)
	})
	for _, p := range todo {
		st.Chunks += len(p.chunks)
	}
	prepared := time.Now()
	persist := ix.persistent()
	logged := false
	if persist && st.Chunks <= ix.mergeThreshold() {
		rec, err := ix.encodeAddRecord(todo)
		if err == nil {
			err = ix.appendRecord(rec, st.Chunks)
		}
		if err != nil {
			ix.releaseSlots(todo)
			return AddStats{}, fmt.Errorf("add articles: %w", err)
		}
		logged = true
	}
	durable := time.Now()
	st.Write = durable.Sub(prepared)
	if err := ix.commit(change{add: todo}); err != nil {
		ix.releaseSlots(todo)
		return AddStats{}, err
	}
	ix.log.Info("indexed articles", "added", st.Added, "updated", st.Updated,
		"unchanged", st.Unchanged, "chunks", st.Chunks, "took", time.Since(start).Round(time.Millisecond),
		"prepare", prepared.Sub(start).Round(time.Millisecond), "log", durable.Sub(prepared).Round(time.Millisecond),
		"commit", time.Since(durable).Round(time.Millisecond))
	switch {
	case logged:
		ix.maybeMerge()
	case persist:
		cp := time.Now()
		if err := ix.checkpoint(); err != nil {
			return st, err
		}
		st.Write = time.Since(cp)
	case st.Chunks > ix.mergeThreshold() && !ix.snap.compacted():
		// A large batch in memory (or replayed) is compacted at once.
		if err := ix.compactNow(); err != nil {
			return st, err
		}
	default:
		ix.maybeMerge()
	}
	return st, nil
}

// bulk reports whether preps are a bulk Add that the memory guard
// watches: more chunks, by an estimate from the length of their texts
// (six bytes a word), than the index takes before it merges (such an Add
// writes a new base or compacts), into an index of at least memMin
// chunks with them.
func (ix *Index) bulk(preps []*prepArticle, old *snapshot) bool {
	bytes := 0
	for _, p := range preps {
		bytes += len(p.art.Text)
	}
	n := bytes / (6 * ix.chunking.Target)
	return n > ix.mergeThreshold() && old.lex.liveChunks+n >= ix.memMin
}

// persistent reports whether changes are written to the index's files now.
func (ix *Index) persistent() bool { return ix.dir != "" && !ix.readOnly && !ix.loading }

// releaseSlots frees the vector slots reserved for articles that were not
// committed.
func (ix *Index) releaseSlots(preps []*prepArticle) {
	var slots []int32
	for _, p := range preps {
		for _, c := range p.chunks {
			slots = append(slots, c.slot)
		}
	}
	ix.vecs.release(slots)
}

// Remove takes articles out of the index and reports how many it held.
func (ix *Index) Remove(ctx context.Context, ids ...string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	ix.addMu.Lock()
	defer ix.addMu.Unlock()
	if err := ix.refuseDamaged(); err != nil {
		return 0, fmt.Errorf("remove articles: %w", err)
	}
	n := 0
	for _, id := range ids {
		if _, ok := ix.snap.lookup(id); ok {
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	if ix.persistent() {
		rec, err := encodeRemoveRecord(ids)
		if err == nil {
			err = ix.appendRecord(rec, 0)
		}
		if err != nil {
			return 0, fmt.Errorf("remove articles: %w", err)
		}
	}
	if err := ix.removeNow(ids); err != nil {
		return 0, err
	}
	ix.maybeMerge()
	return n, nil
}

// removeNow takes the articles out of the index in memory. Callers hold
// addMu.
func (ix *Index) removeNow(ids []string) error {
	var present []string
	for _, id := range ids {
		if _, ok := ix.snap.lookup(id); ok {
			present = append(present, id)
		}
	}
	if len(present) == 0 {
		return nil
	}
	return ix.commit(change{remove: present})
}

// commit builds the next snapshot beside the current one and publishes
// it. Callers hold addMu.
func (ix *Index) commit(ch change) error {
	b, err := ix.next(ix.snap, ch)
	if err != nil {
		return fmt.Errorf("add articles: %w", err)
	}
	ix.publish(b.snap)
	// No search can read the dropped chunks' vectors any more.
	ix.vecs.release(b.freed)
	return nil
}

// Article returns an indexed article by ID.
func (ix *Index) Article(id string) (*article.Article, bool) {
	s := ix.current()
	a, ok := s.lookup(id)
	if !ok {
		return nil, false
	}
	return s.arts[a].art, true
}

// Articles returns every indexed article, ordered by ID.
func (ix *Index) Articles() []*article.Article {
	s := ix.current()
	live := s.live()
	out := make([]*article.Article, len(live))
	for i, a := range live {
		out[i] = s.arts[a].art
	}
	return out
}

// Len returns the number of indexed articles.
func (ix *Index) Len() int { return ix.current().lex.liveArts }

// ChunkCount returns the number of indexed chunks.
func (ix *Index) ChunkCount() int { return ix.current().lex.liveChunks }

// Chunks returns the chunks of an indexed article in order, or nil.
func (ix *Index) Chunks(articleID string) []Chunk {
	s := ix.current()
	a, ok := s.lookup(articleID)
	if !ok {
		return nil
	}
	return s.articleChunks(a)
}

// IDF returns the BM25 inverse document frequency of an analysed term (as
// Analyze returns it) over the indexed chunks, counting a chunk when its
// text or its article's title has the term: ln(1 + (N-df+0.5)/(df+0.5)).
// Rarer terms get more; a term no chunk has gets the maximum, ln(2N+2).
func (ix *Index) IDF(term string) float64 {
	s := ix.current()
	id, ok := ix.terms.lookup(term)
	if !ok || int(id) >= s.lex.nTerms() {
		return s.maxIDF
	}
	df := s.lex.chunkDF(id)
	if df == 0 {
		return s.maxIDF
	}
	return idf(s.lex.liveChunks, df)
}

// Analyze is the package-level Analyze with the index's stem cache: the
// same terms, faster on repeated words.
func (ix *Index) Analyze(text string) []string {
	toks := ix.an.tokens(text, nil)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.term
	}
	return out
}

// SetTuning replaces the search parameters; zero fields take the
// defaults. A parameter out of its range (Tuning.check: a B outside 0..1,
// a negative K1 or field weight, a number that is not finite) is an error
// naming it, and the parameters stay as they were.
func (ix *Index) SetTuning(t Tuning) error {
	t = t.withDefaults()
	if err := t.check(); err != nil {
		return err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.tuning = t
	return nil
}

// EmbedModel returns the name of the embedding model whose vectors the index
// holds.
func (ix *Index) EmbedModel() string { return ix.model }

// prepArticle is an article analysed, chunked and embedded, not yet
// indexed.
type prepArticle struct {
	art     *article.Article
	hash    string
	updated bool
	// known are stored chunks whose vectors can be reused, when their
	// offsets match the chunks made now (an index file of an older
	// format).
	known []knownChunk
	// slots, when set, are the vector slots of the article's chunks,
	// indexed already: it is analysed again for its terms, not embedded.
	slots []int32

	title, body       packedBag
	titleLen, bodyLen int32
	chunks            []prepChunk

	entryOnce sync.Once
	e         *entry
}

// knownChunk is a stored chunk and its unit vector.
type knownChunk struct {
	start, end int
	vec        []float32
}

// prepChunk is a chunk analysed and embedded.
type prepChunk struct {
	id         string
	start, end int32
	length     int32 // words
	bag        packedBag
	slot       int32 // vector slot, -1 before embedding
}

// entry returns the article's index entry, made once.
func (p *prepArticle) entry() *entry {
	p.entryOnce.Do(func() {
		a := p.art
		p.e = &entry{art: a, hash: p.hash, outlet: strings.ToLower(strings.TrimSpace(a.Outlet))}
	})
	return p.e
}

// parallel runs fn(0..n-1) on up to workers goroutines and returns the first
// error; it stops early when ctx ends or fn fails.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	if n == 0 {
		return ctx.Err()
	}
	if workers > n {
		workers = n
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					cancel(err)
				}
			}
		}()
	}
	func() {
		defer close(next)
		for i := 0; i < n; i++ {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}
