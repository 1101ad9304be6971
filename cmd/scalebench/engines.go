package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/retrieval/synthetic"
	chromem "github.com/philippgille/chromem-go"
)

// corpus is a synthetic corpus and its chunks as the index cuts them.
type corpus struct {
	arts      []article.Article
	chunks    []corpusChunk
	textBytes int
}

// corpusChunk is a chunk as the other engines get it.
type corpusChunk struct {
	retrieval.Chunk
	title, outlet, date string
}

// embedText is what our index embeds for a chunk: its article's title and
// its text.
func (c corpusChunk) embedText() string {
	if c.title == "" {
		return c.Text
	}
	return c.title + "\n\n" + c.Text
}

// makeCorpus generates articles, on every core, until their chunks reach n.
func makeCorpus(ctx context.Context, g *synthetic.Generator, n int) (*corpus, error) {
	c := &corpus{}
	total := 0
	for next := 0; total < n; {
		batch := max(64, (n-total)/6+16) // about 6.6 chunks per article
		arts := make([]article.Article, batch)
		chunks := make([][]retrieval.Chunk, batch)
		err := parallel(ctx, batch, func(i int) {
			arts[i] = g.Article(next + i)
			chunks[i] = retrieval.ChunkOptions{}.Chunks(&arts[i])
		})
		if err != nil {
			return nil, err
		}
		for i := range arts {
			if total >= n {
				break
			}
			a := &arts[i]
			c.arts = append(c.arts, *a)
			c.textBytes += len(a.Text)
			for _, ch := range chunks[i] {
				c.chunks = append(c.chunks, corpusChunk{Chunk: ch, title: a.Title, outlet: a.Outlet, date: a.Date()})
			}
			total += len(chunks[i])
		}
		next += batch
	}
	return c, nil
}

// parallel runs fn(0..n-1) on GOMAXPROCS goroutines, each taking a
// contiguous range.
func parallel(ctx context.Context, n int, fn func(i int)) error {
	w := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for p := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := p * n / w; i < (p+1)*n/w && ctx.Err() == nil; i++ {
				fn(i)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// buildTimes splits our build time into indexing and saving.
type buildTimes struct {
	total, index, save time.Duration
}

// buildOurs indexes the articles in the persistent index cfg describes; the index
// logs how long the indexing and the saving took.
func buildOurs(ctx context.Context, cfg retrieval.Config, arts []article.Article) (*retrieval.Index, buildTimes, error) {
	h := &tookHandler{took: map[string]time.Duration{}}
	start := time.Now()
	cfg.Logger = slog.New(h)
	ix, err := retrieval.New(ctx, cfg)
	if err != nil {
		return nil, buildTimes{}, err
	}
	if _, err := ix.Add(ctx, arts); err != nil {
		return nil, buildTimes{}, err
	}
	bt := buildTimes{total: time.Since(start)}
	h.mu.Lock()
	bt.save = h.took["saved index"]
	h.mu.Unlock()
	bt.index = bt.total - bt.save
	ix.WaitVectorCheck() // not timed: it runs beside the searches, but not here
	return ix, bt, nil
}

// tookHandler is a slog handler that keeps the "took" attribute of each
// message.
type tookHandler struct {
	mu   sync.Mutex
	took map[string]time.Duration
}

func (h *tookHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *tookHandler) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "took" {
			if d, ok := a.Value.Any().(time.Duration); ok {
				h.mu.Lock()
				h.took[r.Message] = d
				h.mu.Unlock()
			}
		}
		return true
	})
	return nil
}

func (h *tookHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *tookHandler) WithGroup(string) slog.Handler      { return h }

// chromemEngine is a plain chromem-go collection of the chunks, embedded
// with the same local embedder as ours.
type chromemEngine struct {
	coll  *chromem.Collection
	embed chromem.EmbeddingFunc
	build time.Duration
}

// buildChromem adds the chunks, with their embeddings already made (vecs,
// dims each) and their article, outlet and date as metadata, to a
// collection, the way a chromem-go user would.
func buildChromem(ctx context.Context, c *corpus, vecs []float32, dims int, embed chromem.EmbeddingFunc) (*chromemEngine, error) {
	start := time.Now()
	coll, err := chromem.NewDB().CreateCollection("chunks", nil, embed)
	if err != nil {
		return nil, err
	}
	const batch = 10_000
	docs := make([]chromem.Document, 0, batch)
	for off := 0; off < len(c.chunks); off += batch {
		docs = docs[:0]
		for i := off; i < min(off+batch, len(c.chunks)); i++ {
			ch := c.chunks[i]
			docs = append(docs, chromem.Document{ID: ch.ID, Embedding: vecs[i*dims : (i+1)*dims : (i+1)*dims], Content: ch.Text,
				Metadata: map[string]string{"article_id": ch.ArticleID, "outlet": ch.outlet, "date": ch.date}})
		}
		if err := coll.AddDocuments(ctx, docs, runtime.GOMAXPROCS(0)); err != nil {
			return nil, fmt.Errorf("chromem: add: %w", err)
		}
	}
	return &chromemEngine{coll: coll, embed: embed, build: time.Since(start)}, nil
}

// query embeds the question and queries the collection: what a plain
// chromem-go user does.
func (e *chromemEngine) query(k int) func(ctx context.Context, q string) error {
	return func(ctx context.Context, q string) error {
		v, err := e.embed(ctx, q)
		if err != nil {
			return err
		}
		// chromem-go refuses a k above its count (a size below -k).
		_, err = e.coll.QueryEmbedding(ctx, v, min(k, e.coll.Count()), nil, nil)
		return err
	}
}

// bleveEngine is a bleve index (scorch, the default engine) of the chunks'
// titles and texts, analysed as English (stop words, Porter stemming),
// scored by BM25 and force-merged into one segment after the build.
type bleveEngine struct {
	idx      bleve.Index
	build    time.Duration
	segments uint64
}

const bleveBatch = 10_000

// bleveDoc is a chunk as bleve indexes it.
type bleveDoc struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// buildBleve indexes the chunks on disk in path, in batches, then merges
// the segments into one (scorch merges only on disk).
func buildBleve(ctx context.Context, c *corpus, path string) (*bleveEngine, error) {
	start := time.Now()
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = en.AnalyzerName
	m.ScoringModel = "bm25" // bleve_index_api's BM25Scoring; the default is TF-IDF
	field := bleve.NewTextFieldMapping()
	field.Store, field.IncludeTermVectors, field.DocValues = false, false, false
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt("title", field)
	doc.AddFieldMappingsAt("text", field)
	m.DefaultMapping = doc
	idx, err := bleve.NewUsing(path, m, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	const batch = bleveBatch
	for off := 0; off < len(c.chunks); off += batch {
		if err := ctx.Err(); err != nil {
			idx.Close()
			return nil, err
		}
		b := idx.NewBatch()
		for _, ch := range c.chunks[off:min(off+batch, len(c.chunks))] {
			if err := b.Index(ch.ID, bleveDoc{Title: ch.title, Text: ch.Text}); err != nil {
				idx.Close()
				return nil, fmt.Errorf("bleve: %w", err)
			}
		}
		if err := idx.Batch(b); err != nil {
			idx.Close()
			return nil, fmt.Errorf("bleve: %w", err)
		}
	}
	adv, err := idx.Advanced()
	if err != nil {
		idx.Close()
		return nil, fmt.Errorf("bleve: %w", err)
	}
	sc, ok := adv.(*scorch.Scorch)
	if !ok {
		idx.Close()
		return nil, fmt.Errorf("bleve: index is a %T, not scorch", adv)
	}
	if err := sc.ForceMerge(ctx, &mergeplan.SingleSegmentMergePlanOptions); err != nil {
		idx.Close()
		return nil, fmt.Errorf("bleve: merge: %w", err)
	}
	e := &bleveEngine{idx: idx, build: time.Since(start)}
	st := sc.StatsMap()
	for _, k := range []string{"num_root_filesegments", "num_root_memorysegments"} {
		if n, ok := st[k].(uint64); ok {
			e.segments += n
		}
	}
	return e, nil
}

// query runs a match query (the question analysed, any term may match,
// scored by BM25) over the title and text.
func (e *bleveEngine) query(k int) func(ctx context.Context, q string) error {
	return func(ctx context.Context, q string) error {
		req := bleve.NewSearchRequestOptions(bleve.NewMatchQuery(q), k, 0, false)
		_, err := e.idx.SearchInContext(ctx, req)
		return err
	}
}

func (e *bleveEngine) close() error { return e.idx.Close() }
