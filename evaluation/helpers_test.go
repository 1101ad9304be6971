package evaluation_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/evaluation"
	"github.com/briefbot/briefbot/internal/benchdata"
	"github.com/briefbot/briefbot/retrieval"
)

// multiHopIndex indexes the MultiHop-RAG corpus (skipping the test when the
// shared benchmark files are absent).
func multiHopIndex(tb testing.TB, tuning *retrieval.Tuning) *retrieval.Index {
	tb.Helper()
	path := benchdata.Path(tb, "multihop-rag", "corpus.json")
	arts, _, err := article.Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	ix, err := retrieval.New(ctx, retrieval.Config{Tuning: tuning})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ix.Add(ctx, arts); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("indexed %d MultiHop articles (%d chunks) in %v", len(arts), ix.ChunkCount(), time.Since(start))
	return ix
}

// runMultiHop evaluates the first limit dev queries (all when limit is 0).
func runMultiHop(tb testing.TB, s evaluation.Searcher, limit int) evaluation.MultiHopReport {
	tb.Helper()
	return runMultiHopOpt(tb, s, limit, false)
}

func runMultiHopOpt(tb testing.TB, s evaluation.Searcher, limit int, diverse bool) evaluation.MultiHopReport {
	tb.Helper()
	dir := filepath.Dir(benchdata.Path(tb, "multihop-rag", "MultiHopRAG.dev.json"))
	qs, err := evaluation.LoadMultiHopQueries(filepath.Join(dir, "MultiHopRAG.dev.json"))
	if err != nil {
		tb.Fatal(err)
	}
	if limit > 0 && limit < len(qs) {
		qs = qs[:limit]
	}
	qrels, err := evaluation.LoadQrels(filepath.Join(dir, "qrels_doc.dev.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	ids, err := evaluation.MultiHopCorpusURLs(filepath.Join(dir, "corpus.json"))
	if err != nil {
		tb.Fatal(err)
	}
	rep, err := evaluation.EvalMultiHop(context.Background(), s, qs, evaluation.MultiHopOptions{Qrels: qrels, CorpusIDs: ids, Diverse: diverse})
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}
