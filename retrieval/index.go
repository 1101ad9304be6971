package retrieval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
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
}

// AddStats reports what Add did.
type AddStats struct {
	Added     int // new articles
	Updated   int // articles whose content changed
	Unchanged int // articles already indexed with the same content hash
	Chunks    int // chunks embedded
}

// Index is a hybrid (lexical + vector) index over article chunks. It is safe
// for concurrent use: searches run in parallel with each other and wait only
// for the short final step of an Add.
type Index struct {
	dir      string
	embed    chromem.EmbeddingFunc
	model    string
	log      *slog.Logger
	embedN   int
	chunking ChunkOptions
	an       analyzer

	addMu sync.Mutex // serialises Add and Remove

	mu        sync.RWMutex // guards everything below
	tuning    Tuning
	entries   map[string]*entry
	order     []*entry    // by article ID
	chunks    []*chunkRec // all chunks, article by article
	chunkIdx  map[string]int32
	dict      map[string]uint32
	terms     []string // term ID -> term
	lex       *lexIndex
	dim       int
	coll      *chromem.Collection
	maxIDF    float64
	embedText bool // whether chunks are embedded with their article's title
}

// entry is an indexed article.
type entry struct {
	art    *article.Article
	hash   string
	outlet string // lower-case, trimmed
	idx    int32  // position in Index.order
	chunks []*chunkRec
	title  bag
	tLen   int32
	body   bag
	bLen   int32
}

// chunkRec is an indexed chunk.
type chunkRec struct {
	Chunk
	vec    []float32
	bag    bag
	length int32
}

// New opens (or creates) an index. With cfg.Dir set it loads the index
// persisted there; when the embedding model, analyser or chunk sizes
// changed since, it re-indexes the stored articles before returning.
func New(ctx context.Context, cfg Config) (*Index, error) {
	ix := &Index{
		dir:       cfg.Dir,
		embed:     cfg.Embed,
		model:     cfg.EmbedModel,
		log:       cfg.Logger,
		embedN:    cfg.EmbedConcurrency,
		chunking:  cfg.Chunking.withDefaults(),
		an:        analyzer{cache: newStemCache(1 << 18)},
		entries:   map[string]*entry{},
		chunkIdx:  map[string]int32{},
		dict:      map[string]uint32{},
		embedText: true,
	}
	if ix.log == nil {
		ix.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if ix.embedN <= 0 {
		ix.embedN = runtime.GOMAXPROCS(0)
	}
	switch {
	case ix.embed == nil && ix.model != "" && ix.model != LocalModel:
		return nil, fmt.Errorf("new index: embedding model %q named without an embedding function", ix.model)
	case ix.embed == nil:
		ix.embed, ix.model = LocalEmbedder(), LocalModel
	case ix.model == "" && ix.dir != "":
		return nil, errors.New("new index: a persistent index with a custom embedding function needs EmbedModel")
	}
	ix.tuning = DefaultTuningFor(ix.model)
	if cfg.Tuning != nil {
		ix.tuning = cfg.Tuning.withDefaults()
	}
	// The collection always gets an explicit embedding function: a nil one
	// would fall back to OpenAI. Vectors are made by Add, never by chromem.
	coll, err := chromem.NewDB().CreateCollection("chunks", nil, ix.embed)
	if err != nil {
		return nil, fmt.Errorf("new index: create collection: %w", err)
	}
	ix.coll = coll
	ix.rebuild()
	if ix.dir == "" {
		return ix, nil
	}
	if err := os.MkdirAll(ix.dir, 0o755); err != nil {
		return nil, fmt.Errorf("new index: %w", err)
	}
	if err := ix.load(ctx); err != nil {
		return nil, fmt.Errorf("open index in %s: %w", ix.dir, err)
	}
	return ix, nil
}

// Add indexes articles, skipping those whose content hash is unchanged; an
// article with a known ID and a new hash replaces the old one. Chunks are
// embedded concurrently; searches go on meanwhile. With a persistent index
// the result is saved before Add returns.
func (ix *Index) Add(ctx context.Context, arts []article.Article) (AddStats, error) {
	ix.addMu.Lock()
	defer ix.addMu.Unlock()
	var st AddStats
	todo := make([]*prepArticle, 0, len(arts))
	pos := map[string]int{}
	ix.mu.RLock()
	for i := range arts {
		a := arts[i]
		a.Body = slices.Clone(a.Body) // the index keeps its own copy
		if a.ID == "" {
			ix.mu.RUnlock()
			return st, fmt.Errorf("add article %d: empty ID", i)
		}
		h := a.Hash()
		if e, ok := ix.entries[a.ID]; ok && e.hash == h {
			st.Unchanged++
			continue
		}
		p := &prepArticle{art: &a, hash: h}
		if _, ok := ix.entries[a.ID]; ok {
			p.updated = true
		}
		if j, dup := pos[a.ID]; dup {
			todo[j] = p // the last copy of an ID wins
			continue
		}
		pos[a.ID] = len(todo)
		todo = append(todo, p)
	}
	ix.mu.RUnlock()
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
	if err := ix.prepare(ctx, todo); err != nil {
		return AddStats{}, fmt.Errorf("add articles: %w", err)
	}
	for _, p := range todo {
		st.Chunks += len(p.chunks)
	}
	if err := ix.commit(todo, nil); err != nil {
		return AddStats{}, err
	}
	ix.log.Info("indexed articles", "added", st.Added, "updated", st.Updated,
		"unchanged", st.Unchanged, "chunks", st.Chunks, "took", time.Since(start).Round(time.Millisecond))
	if err := ix.save(); err != nil {
		return st, err
	}
	return st, nil
}

// Remove takes articles out of the index and reports how many it held.
func (ix *Index) Remove(ctx context.Context, ids ...string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	ix.addMu.Lock()
	defer ix.addMu.Unlock()
	n := 0
	ix.mu.RLock()
	for _, id := range ids {
		if _, ok := ix.entries[id]; ok {
			n++
		}
	}
	ix.mu.RUnlock()
	if n == 0 {
		return 0, nil
	}
	if err := ix.commit(nil, ids); err != nil {
		return 0, err
	}
	return n, ix.save()
}

// commit swaps prepared articles in and removed ones out, under the write
// lock, and rebuilds the lexical index.
func (ix *Index) commit(preps []*prepArticle, remove []string) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	dim := 0
	for _, p := range preps {
		for _, c := range p.chunks {
			if dim == 0 {
				dim = len(c.vec)
			}
			if len(c.vec) != dim {
				return fmt.Errorf("add articles: embeddings of %d and %d dimensions from model %q", dim, len(c.vec), ix.model)
			}
		}
	}
	if dim > 0 && ix.dim > 0 && dim != ix.dim && len(ix.chunks) > 0 {
		return fmt.Errorf("add articles: model %q gave %d-dimensional embeddings, the index holds %d; name a new EmbedModel to re-embed", ix.model, dim, ix.dim)
	}
	if dim > 0 {
		ix.dim = dim
	}
	ctx := context.Background() // chromem's Delete and AddDocument do no I/O here
	drop := func(id string) error {
		e, ok := ix.entries[id]
		if !ok {
			return nil
		}
		ids := make([]string, len(e.chunks))
		for i, c := range e.chunks {
			ids[i] = c.ID
		}
		delete(ix.entries, id)
		if len(ids) == 0 {
			return nil
		}
		if err := ix.coll.Delete(ctx, nil, nil, ids...); err != nil {
			return fmt.Errorf("remove article %s: %w", id, err)
		}
		return nil
	}
	for _, id := range remove {
		if err := drop(id); err != nil {
			return err
		}
	}
	for _, p := range preps {
		if err := drop(p.art.ID); err != nil {
			return err
		}
		e := ix.intern(p)
		for _, c := range e.chunks {
			doc := chromem.Document{
				ID:        c.ID,
				Metadata:  map[string]string{"article_id": e.art.ID, "outlet": e.art.Outlet, "date": e.art.Date()},
				Embedding: c.vec,
				Content:   c.Text,
			}
			if err := ix.coll.AddDocument(ctx, doc); err != nil {
				return fmt.Errorf("add chunk %s: %w", c.ID, err)
			}
		}
		ix.entries[e.art.ID] = e
	}
	ix.rebuild()
	return nil
}

// intern gives the terms of a prepared article IDs and makes its entry.
func (ix *Index) intern(p *prepArticle) *entry {
	e := &entry{
		art:    p.art,
		hash:   p.hash,
		outlet: strings.ToLower(strings.TrimSpace(p.art.Outlet)),
		title:  ix.bagOf(p.title),
		tLen:   p.titleLen,
		body:   ix.bagOf(p.body),
		bLen:   p.bodyLen,
		chunks: make([]*chunkRec, len(p.chunks)),
	}
	for i, c := range p.chunks {
		e.chunks[i] = &chunkRec{Chunk: c.Chunk, vec: c.vec, bag: ix.bagOf(c.counts), length: c.length}
	}
	return e
}

// bagOf turns term counts into a bag, giving new terms IDs.
func (ix *Index) bagOf(tc termCounts) bag {
	b := bag{IDs: make([]uint32, 0, len(tc)), TFs: make([]uint32, 0, len(tc))}
	type pair struct{ id, tf uint32 }
	ps := make([]pair, 0, len(tc))
	for t, n := range tc {
		id, ok := ix.dict[t]
		if !ok {
			id = uint32(len(ix.terms))
			ix.dict[t] = id
			ix.terms = append(ix.terms, t)
		}
		ps = append(ps, pair{id, n})
	}
	slices.SortFunc(ps, func(a, b pair) int { return cmp.Compare(a.id, b.id) })
	for _, p := range ps {
		b.IDs = append(b.IDs, p.id)
		b.TFs = append(b.TFs, p.tf)
	}
	return b
}

// rebuild recomputes the article order, the chunk table and the lexical
// index from the entries. Callers hold the write lock.
func (ix *Index) rebuild() {
	ix.order = ix.order[:0]
	for _, e := range ix.entries {
		ix.order = append(ix.order, e)
	}
	slices.SortFunc(ix.order, func(a, b *entry) int { return strings.Compare(a.art.ID, b.art.ID) })
	ix.chunks = ix.chunks[:0]
	clear(ix.chunkIdx)
	in := make([]lexInput, len(ix.order))
	for i, e := range ix.order {
		e.idx = int32(i)
		li := lexInput{title: e.title, titleLen: e.tLen, body: e.body, bodyLen: e.bLen,
			chunks: make([]bag, len(e.chunks)), chunkLen: make([]int32, len(e.chunks))}
		for j, c := range e.chunks {
			ix.chunkIdx[c.ID] = int32(len(ix.chunks))
			ix.chunks = append(ix.chunks, c)
			li.chunks[j] = c.bag
			li.chunkLen[j] = c.length
		}
		in[i] = li
	}
	ix.lex = buildLex(len(ix.terms), in)
	ix.maxIDF = idf(ix.lex.nChunks, 0)
	if len(ix.chunks) == 0 && ix.coll.Count() == 0 {
		ix.dim = 0
	}
}

// Article returns an indexed article by ID.
func (ix *Index) Article(id string) (*article.Article, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	e, ok := ix.entries[id]
	if !ok {
		return nil, false
	}
	return e.art, true
}

// Articles returns every indexed article, ordered by ID.
func (ix *Index) Articles() []*article.Article {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]*article.Article, len(ix.order))
	for i, e := range ix.order {
		out[i] = e.art
	}
	return out
}

// Len returns the number of indexed articles.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.order)
}

// ChunkCount returns the number of indexed chunks.
func (ix *Index) ChunkCount() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.chunks)
}

// Chunks returns the chunks of an indexed article in order, or nil.
func (ix *Index) Chunks(articleID string) []Chunk {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	e, ok := ix.entries[articleID]
	if !ok {
		return nil
	}
	out := make([]Chunk, len(e.chunks))
	for i, c := range e.chunks {
		out[i] = c.Chunk
	}
	return out
}

// IDF returns the BM25 inverse document frequency of an analysed term (as
// Analyze returns it) over the indexed chunks, counting a chunk when its
// text or its article's title has the term: ln(1 + (N-df+0.5)/(df+0.5)).
// Rarer terms get more; a term no chunk has gets the maximum, ln(2N+2).
func (ix *Index) IDF(term string) float64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	id, ok := ix.dict[term]
	if !ok || int(id) >= len(ix.lex.chunkDF) || ix.lex.chunkDF[id] == 0 {
		return ix.maxIDF
	}
	return idf(ix.lex.nChunks, ix.lex.chunkDF[id])
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

// SetTuning replaces the search parameters; zero fields take the defaults.
func (ix *Index) SetTuning(t Tuning) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.tuning = t.withDefaults()
}

// EmbedModel returns the name of the embedding model whose vectors the index
// holds.
func (ix *Index) EmbedModel() string { return ix.model }

// prepArticle is an article analysed, chunked and embedded, before its terms
// have IDs.
type prepArticle struct {
	art      *article.Article
	hash     string
	updated  bool
	title    termCounts
	titleLen int32
	body     termCounts
	bodyLen  int32
	chunks   []prepChunk
}

// prepChunk is a chunk analysed and embedded.
type prepChunk struct {
	Chunk
	counts termCounts
	length int32
	vec    []float32
	embed  string // text given to the embedding function
}

// prepare chunks, analyses and embeds articles, using every core for the
// analysis and EmbedConcurrency workers for the embedding.
func (ix *Index) prepare(ctx context.Context, preps []*prepArticle) error {
	err := parallel(ctx, len(preps), runtime.GOMAXPROCS(0), func(i int) error {
		ix.analyzeArticle(preps[i])
		return nil
	})
	if err != nil {
		return err
	}
	type job struct{ p, c int }
	var jobs []job
	for pi, p := range preps {
		for ci := range p.chunks {
			jobs = append(jobs, job{pi, ci})
		}
	}
	return parallel(ctx, len(jobs), ix.embedN, func(i int) error {
		c := &preps[jobs[i].p].chunks[jobs[i].c]
		v, err := ix.embed(ctx, c.embed)
		if err != nil {
			return fmt.Errorf("embed chunk %s: %w", c.ID, err)
		}
		if v = normalized(v); v == nil {
			return fmt.Errorf("embed chunk %s: empty or zero embedding", c.ID)
		}
		c.vec = v
		c.embed = ""
		return nil
	})
}

// analyzeArticle chunks an article and analyses its title field, body and
// chunks. Every sentence is analysed once: a chunk's terms are the sum of
// its sentences', the article's the sum of all its sentences'.
func (ix *Index) analyzeArticle(p *prepArticle) {
	a := p.art
	var buf []token
	var st sentTerms
	p.title = termCounts{}
	date := ""
	if !a.PublishedAt.IsZero() {
		date = a.PublishedAt.UTC().Format("January 2, 2006")
	}
	for _, field := range []string{a.Title, a.Outlet, date} {
		st, buf = ix.an.analyzeField(field, buf)
		for _, t := range st.terms {
			p.title[t]++
		}
		p.titleLen += st.length
	}
	sents := articleSentences(a, ix.chunking)
	analysed := make([]sentTerms, len(sents))
	p.body = termCounts{}
	for i, s := range sents {
		if s.start < 0 {
			continue
		}
		analysed[i], buf = ix.an.analyzeField(a.Text[s.start:s.end], buf)
		for _, t := range analysed[i].terms {
			p.body[t]++
		}
		p.bodyLen += analysed[i].length
	}
	plans := planChunks(sents, ix.chunking)
	p.chunks = make([]prepChunk, len(plans))
	for i, pl := range plans {
		c := prepChunk{Chunk: makeChunk(a, i, pl.start, pl.end), counts: termCounts{}}
		for s := pl.first; s < pl.last; s++ {
			for _, t := range analysed[s].terms {
				c.counts[t]++
			}
			c.length += analysed[s].length
		}
		c.embed = c.Text
		if ix.embedText && a.Title != "" {
			c.embed = a.Title + "\n\n" + c.Text
		}
		p.chunks[i] = c
	}
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
	next := make(chan int)
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

// normalized scales v to unit length in place (chromem-go does not normalise
// what an embedding function returns) and returns it; it returns nil for an
// empty, zero or non-finite vector.
func normalized(v []float32) []float32 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return nil
	}
	if math.Abs(s-1) < 1e-9 {
		return v
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
	return v
}
