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

// buildOurs indexes the articles in a persistent index in dir; the index
// logs how long the indexing and the saving took.
func buildOurs(ctx context.Context, dir string, arts []article.Article) (*retrieval.Index, buildTimes, error) {
	h := &tookHandler{took: map[string]time.Duration{}}
	start := time.Now()
	ix, err := retrieval.New(ctx, retrieval.Config{Dir: dir, Logger: slog.New(h)})
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

// buildChromem embeds the chunks (title and text, as ours does) on every
// core and adds them to a collection with their article, outlet and date
// as metadata, the way a chromem-go user would.
func buildChromem(ctx context.Context, c *corpus) (*chromemEngine, error) {
	embed := retrieval.LocalEmbedder()
	start := time.Now()
	coll, err := chromem.NewDB().CreateCollection("chunks", nil, embed)
	if err != nil {
		return nil, err
	}
	const batch = 10_000
	docs := make([]chromem.Document, batch)
	for off := 0; off < len(c.chunks); off += batch {
		part := c.chunks[off:min(off+batch, len(c.chunks))]
		docs = docs[:len(part)]
		var embErr error
		var mu sync.Mutex
		err := parallel(ctx, len(part), func(i int) {
			ch := part[i]
			v, err := embed(ctx, ch.embedText())
			if err != nil {
				mu.Lock()
				embErr = err
				mu.Unlock()
				return
			}
			docs[i] = chromem.Document{ID: ch.ID, Embedding: v, Content: ch.Text,
				Metadata: map[string]string{"article_id": ch.ArticleID, "outlet": ch.outlet, "date": ch.date}}
		})
		if err == nil {
			err = embErr
		}
		if err != nil {
			return nil, fmt.Errorf("chromem: embed: %w", err)
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
		_, err = e.coll.QueryEmbedding(ctx, v, k, nil, nil)
		return err
	}
}

// bleveEngine is an in-memory bleve index (scorch, the default engine) of
// the chunks' titles and texts, analysed as English (stop words, Porter
// stemming). In memory scorch does not merge segments, so the chunks go in
// batches of bleveBatch: one segment each.
type bleveEngine struct {
	idx   bleve.Index
	build time.Duration
}

const bleveBatch = 10_000

// bleveDoc is a chunk as bleve indexes it.
type bleveDoc struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

func buildBleve(ctx context.Context, c *corpus) (*bleveEngine, error) {
	start := time.Now()
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = en.AnalyzerName
	field := bleve.NewTextFieldMapping()
	field.Store, field.IncludeTermVectors, field.DocValues = false, false, false
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt("title", field)
	doc.AddFieldMappingsAt("text", field)
	m.DefaultMapping = doc
	idx, err := bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
	if err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	const batch = bleveBatch
	for off := 0; off < len(c.chunks); off += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := idx.NewBatch()
		for _, ch := range c.chunks[off:min(off+batch, len(c.chunks))] {
			if err := b.Index(ch.ID, bleveDoc{Title: ch.title, Text: ch.Text}); err != nil {
				return nil, fmt.Errorf("bleve: %w", err)
			}
		}
		if err := idx.Batch(b); err != nil {
			return nil, fmt.Errorf("bleve: %w", err)
		}
	}
	return &bleveEngine{idx: idx, build: time.Since(start)}, nil
}

// query runs a match query (the question analysed, any term may match,
// scored by TF-IDF) over the title and text.
func (e *bleveEngine) query(k int) func(ctx context.Context, q string) error {
	return func(ctx context.Context, q string) error {
		req := bleve.NewSearchRequestOptions(bleve.NewMatchQuery(q), k, 0, false)
		_, err := e.idx.SearchInContext(ctx, req)
		return err
	}
}

func (e *bleveEngine) close() error { return e.idx.Close() }
