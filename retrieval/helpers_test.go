package retrieval_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/internal/benchdata"
	"github.com/briefbot/briefbot/retrieval"
	"github.com/briefbot/briefbot/seeds"
	chromem "github.com/philippgille/chromem-go"
)

// multiHopCorpus returns the path of the MultiHop-RAG corpus beside the
// checkout; without it the test is skipped, or fails in CI.
func multiHopCorpus(tb testing.TB) string {
	tb.Helper()
	return benchdata.Path(tb, "multihop-rag", "corpus.json")
}

func loadSeeds(tb testing.TB) []article.Article {
	tb.Helper()
	arts, skips, err := article.LoadFS(seeds.FS)
	if err != nil {
		tb.Fatalf("load seeds: %v", err)
	}
	if len(arts) != 5 || len(skips) != 0 {
		tb.Fatalf("load seeds: got %d articles and skips %v, want 5 and none", len(arts), skips)
	}
	return arts
}

// loadMultiHop loads the MultiHop-RAG corpus, skipping when the shared
// benchmark files are absent.
func loadMultiHop(tb testing.TB) []article.Article {
	tb.Helper()
	corpus := multiHopCorpus(tb)
	arts, _, err := article.Load(corpus)
	if err != nil {
		tb.Fatalf("load %s: %v", corpus, err)
	}
	if len(arts) < 600 {
		tb.Fatalf("load %s: got %d articles, want 609", corpus, len(arts))
	}
	return arts
}

func newIndex(tb testing.TB, cfg retrieval.Config, arts []article.Article) *retrieval.Index {
	tb.Helper()
	ctx := context.Background()
	ix, err := retrieval.New(ctx, cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	if len(arts) > 0 {
		if _, err := ix.Add(ctx, arts); err != nil {
			tb.Fatalf("Add: %v", err)
		}
	}
	return ix
}

// countingEmbedder wraps the local embedder and counts its calls.
type countingEmbedder struct {
	calls atomic.Int64
	dim   int // 0: LocalDim; otherwise the vectors are cut to dim
	embed chromem.EmbeddingFunc
}

func newCountingEmbedder(dim int) *countingEmbedder {
	return &countingEmbedder{dim: dim, embed: retrieval.LocalEmbedder()}
}

func (c *countingEmbedder) Func(ctx context.Context, text string) ([]float32, error) {
	c.calls.Add(1)
	v, err := c.embed(ctx, text)
	if err != nil || c.dim == 0 {
		return v, err
	}
	return v[:c.dim], nil
}

func articleIDs(hits []retrieval.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.Chunk.ArticleID)
	}
	return out
}

func seedID(prefix string, arts []article.Article) string {
	for _, a := range arts {
		if strings.HasPrefix(a.ID, prefix) {
			return a.ID
		}
	}
	return prefix
}

func tempDir(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "index")
}
