package evaluation_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/briefbot/briefbot/article"
	"github.com/briefbot/briefbot/evaluation"
	"github.com/briefbot/briefbot/internal/benchdata"
	"github.com/briefbot/briefbot/retrieval"
)

var full = flag.Bool("full", false, "run the full MultiHop-RAG dev and SciFact test evaluations and print the reports")

// TestFullEvaluation prints the full reports; it runs only with -full.
func TestFullEvaluation(t *testing.T) {
	if !*full {
		t.Skip("run with -full")
	}
	ctx := context.Background()
	t.Run("multihop", func(t *testing.T) {
		ix := multiHopIndex(t, nil)
		for _, diverse := range []bool{false, true} {
			rep := runMultiHopOpt(t, ix, 0, diverse)
			fmt.Printf("\nMultiHop-RAG dev, Diverse=%v\n", diverse)
			rep.WriteTable(os.Stdout)
		}
	})
	t.Run("scifact", func(t *testing.T) {
		dir := filepath.Dir(benchdata.Path(t, "scifact", "corpus.jsonl"))
		arts, _, err := article.Load(filepath.Join(dir, "corpus.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		ix, err := retrieval.New(ctx, retrieval.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ix.Add(ctx, arts); err != nil {
			t.Fatal(err)
		}
		t.Logf("indexed %d SciFact docs (%d chunks) in %v", len(arts), ix.ChunkCount(), time.Since(start))
		qs, err := evaluation.LoadBEIRQueries(filepath.Join(dir, "queries.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		qrels, err := evaluation.LoadQrels(filepath.Join(dir, "qrels", "test.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := evaluation.EvalBEIR(ctx, ix, qs, qrels, evaluation.BEIROptions{})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println()
		rep.WriteTable(os.Stdout, "SciFact test")
	})
}
