package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/briefbot/briefbot/internal/benchdata"
)

// TestEvalSmall is the small, fast version of `bot eval` that CI runs: the
// whole seed question set and the first few dozen questions of each
// benchmark, through the same composer as `bot ask --json`. Its floors sit
// below the full-split figures in BENCHMARKS.md, so that a change that
// breaks retrieval or grounding fails CI.
func TestEvalSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes two benchmark corpora")
	}
	t.Parallel()
	bench := filepath.Dir(filepath.Dir(benchdata.Path(t, "multihop-rag", "corpus.json")))
	benchdata.Path(t, "scifact", "corpus.jsonl")
	cfg, err := loadConfig(env{"BOT_DATA_DIR": t.TempDir()}.get)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)

	// The three evaluations share nothing: they run side by side.
	t.Run("seeds", func(t *testing.T) {
		t.Parallel()
		var out strings.Builder
		seeds, err := evalSeeds(ctx, cfg, logger, &out, 10)
		if err != nil {
			t.Fatal(err)
		}
		if seeds.quotes == 0 || seeds.verbatim != seeds.quotes {
			t.Errorf("seed quotes verbatim %d/%d, want all", seeds.verbatim, seeds.quotes)
		}
		if seeds.cited != seeds.answerable || seeds.declined != seeds.unanswerable {
			t.Errorf("seeds: cited %d/%d, declined %d/%d; want all", seeds.cited, seeds.answerable, seeds.declined, seeds.unanswerable)
		}
		t.Logf("report:\n%s", out.String())
	})

	t.Run("multihop", func(t *testing.T) {
		t.Parallel()
		var out strings.Builder
		mh, err := evalMultiHop(ctx, cfg, logger, &out, io.Discard, filepath.Join(bench, "multihop-rag"), 10, 48, nil)
		if err != nil {
			t.Fatal(err)
		}
		if mh.Chunk.N < 30 || mh.Chunk.Hits10 < 0.85 || mh.Chunk.MRR10 < 0.55 {
			t.Errorf("MultiHop on %d questions: Hits@10 %.3f, MRR@10 %.3f; want >= 0.85 and >= 0.55", mh.Chunk.N, mh.Chunk.Hits10, mh.Chunk.MRR10)
		}
		if mh.Null == 0 || mh.NullDeclined != mh.Null {
			t.Errorf("MultiHop null queries declined %d/%d, want all", mh.NullDeclined, mh.Null)
		}
		if float64(mh.Answered) < 0.5*float64(mh.Queries) {
			t.Errorf("MultiHop answerable questions answered %d/%d, want at least half", mh.Answered, mh.Queries)
		}
		t.Logf("report:\n%s", out.String())
	})

	t.Run("scifact", func(t *testing.T) {
		t.Parallel()
		var out strings.Builder
		sf, err := evalSciFact(ctx, cfg, logger, &out, io.Discard, filepath.Join(bench, "scifact"), 10, 40, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sf.Queries != 40 || sf.NDCG10 < 0.65 {
			t.Errorf("SciFact on %d claims: nDCG@10 %.3f, want >= 0.65", sf.Queries, sf.NDCG10)
		}
		t.Logf("report:\n%s", out.String())
	})
}

// TestEvalScoresAskOutput checks that `bot eval --answers` scores the JSON
// that `bot ask --json` prints the same way as answers computed in process.
func TestEvalScoresAskOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("indexes a benchmark corpus")
	}
	t.Parallel()
	dir := filepath.Dir(benchdata.Path(t, "multihop-rag", "corpus.json"))
	qs := "Who is the individual associated with the cryptocurrency industry facing a criminal trial on fraud and conspiracy charges, as reported by both The Verge and TechCrunch, and is accused by prosecutors of committing fraud for personal gain?\n"
	// The question's evidence and a few dozen other articles are enough to
	// check the scoring of ask's JSON (TestEvalSmall measures retrieval on
	// the whole corpus), and index in a fraction of the time.
	corpus := multihopSubset(t, dir, 30)
	out, errOut, code := runBot(t, env{}, qs, "ask", "--corpus", corpus, "--json", "--k", "10")
	if code != 0 {
		t.Fatalf("ask: exit %d: %s", code, errOut)
	}
	answers := filepath.Join(t.TempDir(), "answers.jsonl")
	if err := os.WriteFile(answers, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	report, errOut, code := runBot(t, env{}, "", "eval", "--only", "multihop", "--limit", "1", "--answers", answers, "--benchmarks", filepath.Dir(dir))
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errOut)
	}
	if !strings.Contains(report, "| all (chunk rule) | 1 |") || !strings.Contains(report, "missing answers 0") {
		t.Errorf("report does not score the one answer given:\n%s", report)
	}
}

// multihopSubset writes a MultiHop-RAG corpus file holding the evidence
// articles of the first dev question and the first n other articles, and
// returns its path.
func multihopSubset(tb testing.TB, dir string, n int) string {
	tb.Helper()
	var queries []struct {
		Evidence []struct {
			URL string `json:"url"`
		} `json:"evidence_list"`
	}
	var records []json.RawMessage
	for _, f := range []struct {
		name string
		into any
	}{{"MultiHopRAG.dev.json", &queries}, {"corpus.json", &records}} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			tb.Fatal(err)
		}
		if err := json.Unmarshal(b, f.into); err != nil {
			tb.Fatalf("%s: %v", f.name, err)
		}
	}
	evidence := map[string]bool{}
	for _, e := range queries[0].Evidence {
		evidence[e.URL] = true
	}
	var keep []json.RawMessage
	found := 0
	for i, r := range records {
		var rec struct {
			URL string `json:"url"`
		}
		if err := json.Unmarshal(r, &rec); err != nil {
			tb.Fatal(err)
		}
		if evidence[rec.URL] {
			found++
		}
		if evidence[rec.URL] || i < n {
			keep = append(keep, r)
		}
	}
	if found != len(evidence) {
		tb.Fatalf("found %d of the %d evidence articles in the corpus", found, len(evidence))
	}
	b, err := json.Marshal(keep)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "corpus.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}
