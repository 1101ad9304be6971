package retrieval

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/sentence"
	chromem "github.com/philippgille/chromem-go"
)

// Config configures an Index.
type Config struct {
	// Dir is where the index persists; "" keeps it in memory only.
	Dir string
	// Embed makes embeddings; nil means the local embedder (no network).
	Embed chromem.EmbeddingFunc
	// EmbedModel names the model behind Embed; the persistent index records it
	// and re-embeds when it changes.
	EmbedModel string
	Logger     *slog.Logger
}

// AddStats reports what Add did.
type AddStats struct {
	Added     int // new articles
	Updated   int // articles whose content changed
	Unchanged int // articles already indexed with the same content hash
	Chunks    int // chunks embedded
}

// Index is a hybrid (lexical + vector) index over article chunks.
type Index struct {
	// STUB: replaced by the retrieval work.
	mu       sync.RWMutex
	articles map[string]*article.Article
	chunks   []Chunk
}

// New opens (or creates) an index.
func New(ctx context.Context, cfg Config) (*Index, error) {
	return &Index{articles: map[string]*article.Article{}}, nil
}

// Add indexes articles, skipping those whose content hash is unchanged.
func (ix *Index) Add(ctx context.Context, arts []article.Article) (AddStats, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var st AddStats
	for i := range arts {
		a := arts[i]
		ix.articles[a.ID] = &a
		st.Added++
		n := 0
		for _, b := range a.Body {
			for _, s := range sentence.Split(a.Text[b.Start:b.End]) {
				ix.chunks = append(ix.chunks, Chunk{ID: fmt.Sprintf("%s#%d", a.ID, n), ArticleID: a.ID, N: n, Start: b.Start + s.Start, End: b.Start + s.End, Text: a.Text[b.Start+s.Start : b.Start+s.End]})
				n++
			}
		}
		st.Chunks += n
	}
	return st, nil
}

// Search runs a hybrid search.
func (ix *Index) Search(ctx context.Context, q Query) ([]Hit, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	k := q.K
	if k <= 0 {
		k = 10
	}
	terms := Analyze(q.Text)
	var hits []Hit
	for _, c := range ix.chunks {
		ct := map[string]bool{}
		for _, t := range Analyze(c.Text) {
			ct[t] = true
		}
		s := 0.0
		for _, t := range terms {
			if ct[t] {
				s++
			}
		}
		if s > 0 {
			hits = append(hits, Hit{Chunk: c, Article: ix.articles[c.ArticleID], Score: s, Lexical: s})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].Score > hits[j].Score })
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits, nil
}

// Article returns an indexed article by ID.
func (ix *Index) Article(id string) (*article.Article, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	a, ok := ix.articles[id]
	return a, ok
}

// Articles returns every indexed article, ordered by ID.
func (ix *Index) Articles() []*article.Article {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]*article.Article, 0, len(ix.articles))
	for _, a := range ix.articles {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// IDF returns the inverse document frequency of an analysed term over the
// indexed chunks (higher for rarer terms).
func (ix *Index) IDF(term string) float64 {
	return math.Log(2)
}

// Analyze turns text into the lexical index's terms: lower-cased, stop words
// removed, stemmed.
func Analyze(text string) []string {
	return strings.Fields(strings.ToLower(text))
}
